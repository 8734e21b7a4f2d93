//! Conformance cases for retention: audit entries deleted by age, oldest
//! first and a bounded number at a time; a closed poll's voter records
//! deleted with its counts kept.

use tally::store::{Store, Verdict};

use super::{SITE, T0, ballot, poll, ts, visitor};

const DAY: i64 = 86_400_000;

/// An audit entry as tally writes one (its fields in serde_json's order).
fn entry(at_ms: i64, n: u32) -> String {
    serde_json::json!({"action": "close_poll", "at": ts(at_ms), "target": format!("p{n}"), "who": "lan"})
        .to_string()
}

fn targets(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .map(|e| serde_json::from_str::<serde_json::Value>(e).unwrap()["target"].to_string())
        .collect()
}

pub(super) async fn old_audit_entries_go_oldest_first(s: &dyn Store) {
    for (n, age_days) in [(0, 40), (1, 35), (2, 31), (3, 29), (4, 1)] {
        s.append_audit(&SITE, &entry(T0 - age_days * DAY, n))
            .await
            .unwrap();
    }
    let before = ts(T0 - 30 * DAY);
    // Nothing younger than the bound goes, and at most `most` at a time.
    assert_eq!(s.prune_audit(&SITE, before, 2).await.unwrap(), 2);
    assert_eq!(
        targets(&s.audit(&SITE, 10).await.unwrap()),
        vec!["\"p4\"", "\"p3\"", "\"p2\""]
    );
    assert_eq!(s.prune_audit(&SITE, before, 100).await.unwrap(), 1);
    assert_eq!(s.prune_audit(&SITE, before, 100).await.unwrap(), 0);
    assert_eq!(
        targets(&s.audit(&SITE, 10).await.unwrap()),
        vec!["\"p4\"", "\"p3\""]
    );
    // Later, the next one goes; the newest stays.
    assert_eq!(
        s.prune_audit(&SITE, ts(T0 - 2 * DAY), 100).await.unwrap(),
        1
    );
    assert_eq!(targets(&s.audit(&SITE, 10).await.unwrap()), vec!["\"p4\""]);
}

pub(super) async fn a_closed_polls_voters_go_and_its_counts_stay(s: &dyn Store) {
    let open = poll(1, &["tot", "chua-tot"]);
    s.put_poll(&SITE, &open, false).await.unwrap();
    let (a, b) = (visitor(301), visitor(302));
    for (v, choice) in [(&a, "tot"), (&b, "chua-tot")] {
        let (verdict, _) = s
            .cast(&SITE, &ballot(v, 1, &[choice], 10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(verdict, Verdict::Accepted);
    }
    // An open poll (no end) keeps its voters, whatever the bound.
    let far = ts(T0 + 10_000 * DAY);
    assert_eq!(s.forget_voters(&SITE, &open.id, far).await.unwrap(), 0);
    let mut closed = open.clone();
    closed.closes_at = Some(ts(T0 + 60_000));
    s.put_poll(&SITE, &closed, false).await.unwrap();
    // Closed after the bound: kept.
    let early = ts(T0 + 59_999);
    assert_eq!(s.forget_voters(&SITE, &open.id, early).await.unwrap(), 0);
    let kept = s
        .poll_state(&SITE, &open.id, Some(&a))
        .await
        .unwrap()
        .unwrap();
    assert!(kept.voted.is_some());
    // Closed by the bound: the records go, the counts stay.
    let bound = ts(T0 + 60_000);
    assert_eq!(s.forget_voters(&SITE, &open.id, bound).await.unwrap(), 2);
    assert_eq!(s.forget_voters(&SITE, &open.id, bound).await.unwrap(), 0);
    for v in [&a, &b] {
        let state = s
            .poll_state(&SITE, &open.id, Some(v))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(state.voted, None);
        assert_eq!(state.votes, vec![1, 1]);
        assert_eq!(state.voters, 2);
    }
    let days = s.ballots_by_day(&SITE, &open.id).await.unwrap();
    assert!(
        days.iter().any(|(_, o, n)| o == "_voters" && *n == 2),
        "{days:?}"
    );
    // A poll that does not exist has nothing to forget.
    let missing = tally::ids::PollId::parse("khong-co").unwrap();
    assert_eq!(s.forget_voters(&SITE, &missing, far).await.unwrap(), 0);
}
