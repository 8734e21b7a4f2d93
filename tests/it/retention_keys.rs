//! Retention of the console's sessions and of what the per-address cap
//! keeps, over the running app with its clock moved by hand: a session
//! signs its editor in until 8 hours unused or 12 hours after signing in
//! and not a moment longer (Redis: the key's TTL is the session's end; the
//! embedded store: deleted by the housekeeping); a day's ballots per
//! address hash still refuse a ballot over the cap the minute before
//! midnight and are deleted within two days after their day (Redis: a 2-day
//! TTL; the embedded store: the housekeeping); the day's address-hashing
//! key lives an hour past its day in Redis and goes on the next day's first
//! use in the embedded store, or by the housekeeping if that use never comes;
//! a spent challenge solution refuses its replay and is deleted 15 minutes
//! after the ballot (the store's own clock judges it); a network's raised
//! challenge level goes 90 seconds after its last offer.

use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::json;
use tally::ids::SiteId;
use tally::store::keys;

use crate::challenge::{challenge, put_poll};
use crate::retention_visits::{assert_ttl, mins, pttl, redis_ports, settings};
use crate::support::console::Console;
use crate::support::{Backend, Home, TestApp, cookie, noon, redis_cli};

const TOKEN: &str = "test-admin-token-0123456789";
const POLL: &str = "danh-gia-cong";

fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

/// Signs in to the console: the session cookie (`tally_session=<id>`).
async fn sign_in(app: &TestApp) -> String {
    let mut console = Console::new(app);
    let r = console.sign_in(TOKEN).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    console.cookie.expect("a session cookie")
}

/// Whether the session cookie still opens the console.
async fn signed_in(app: &TestApp, session: &str) -> bool {
    let mut console = Console::new(app);
    console.cookie = Some(session.to_owned());
    console.get("/admin/").await.status() == StatusCode::OK
}

/// The store's key of a session cookie: a hash of its id.
fn session_key(session: &str) -> String {
    let id = session.split_once('=').unwrap().1;
    keys::session(
        &SiteId::DEFAULT,
        blake3::hash(id.as_bytes()).to_hex().as_str(),
    )
}

/// Whether the store still holds the session at all, read as of before it
/// could have ended (app stopped).
async fn session_stored(home: &Home, session: &str) -> bool {
    let store = home.open_store().await;
    let key = session_key(session);
    let hash = key.rsplit(':').next().unwrap();
    store
        .session(&SiteId::DEFAULT, hash, noon() - mins(1))
        .await
        .unwrap()
        .is_some()
}

async fn sessions_end_unused_or_at_their_longest(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.console_idle = std::time::Duration::from_secs(8 * 3600);
    })
    .await;
    let redis = !matches!(backend, Backend::Embedded);
    let (idle, busy) = (sign_in(&app).await, sign_in(&app).await);
    if redis {
        assert_ttl(&home, &session_key(&idle), hours(8));
    }
    // A minute before eight hours unused: both still sign the editor in.
    app.clock.set(noon() + hours(8) - mins(1));
    assert!(signed_in(&app, &busy).await);
    if redis {
        // Used, its end moves to twelve hours after signing in.
        assert_ttl(&home, &session_key(&busy), hours(4) + mins(1));
    }
    // Eight hours unused: the idle one ends; the busy one goes on.
    app.clock.set(noon() + hours(8) + mins(1));
    assert!(!signed_in(&app, &idle).await, "an idle session lives on");
    assert!(signed_in(&app, &busy).await);
    app.clock.set(noon() + hours(12) - mins(1));
    assert!(signed_in(&app, &busy).await);
    // Twelve hours after signing in, however busy: ended.
    app.clock.set(noon() + hours(12) + mins(1));
    assert!(!signed_in(&app, &busy).await, "a session outlives 12 h");
    if redis {
        app.stop().await;
        return;
    }
    app.flushed().await;
    app.stop().await;
    assert!(!session_stored(&home, &idle).await, "kept past its end");
    assert!(!session_stored(&home, &busy).await, "kept past its end");
}

/// The keys on the Redis servers matching `pattern`.
fn scan(home: &Home, pattern: &str) -> Vec<String> {
    redis_ports(home)
        .into_iter()
        .flat_map(|port| {
            redis_cli(port, &["--scan", "--pattern", pattern])
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The embedded store's entries in `table` whose key contains `part` (app
/// stopped): read from the database file itself.
fn embedded_entries(home: &Home, table: &str, part: &str) -> usize {
    use redb::{ReadableDatabase, ReadableTable};
    let Home::Embedded(dir) = home else {
        unreachable!()
    };
    let db = redb::Database::open(dir.path().join("tally.redb")).unwrap();
    let txn = db.begin_read().unwrap();
    // The tables' values differ in type; only their keys are counted.
    fn keys<V: redb::Value + 'static>(txn: &redb::ReadTransaction, table: &str) -> Vec<String> {
        let t = txn
            .open_table(redb::TableDefinition::<&str, V>::new(table))
            .unwrap();
        t.iter()
            .unwrap()
            .map(|e| e.unwrap().0.value().to_owned())
            .collect()
    }
    let keys = if table == "hash_keys" {
        keys::<&[u8]>(&txn, table)
    } else {
        keys::<u32>(&txn, table)
    };
    keys.iter().filter(|k| k.contains(part)).count()
}

async fn per_address_counts_go_after_their_day(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
        s.votes_per_address = 1;
    })
    .await;
    let redis = !matches!(backend, Backend::Embedded);
    let from = "203.0.113.7";
    let day = "2026-11-27";
    let r = app.vote(POLL, &cookie(), from, json!(["tot"])).await;
    assert_eq!(r.status(), 201);
    if redis {
        let counts = scan(&home, &format!("*:addr:{day}"));
        assert_eq!(counts.len(), 1, "{counts:?}");
        assert_ttl(&home, &counts[0], hours(48));
        // The day's hashing key: to an hour after midnight.
        let hash_key = keys::daily_key(&SiteId::DEFAULT, day.parse().unwrap());
        assert_ttl(&home, &hash_key, hours(13));
    }
    // A minute before midnight the day's count still holds the cap.
    let midnight = noon() + hours(12);
    app.clock.set(midnight - mins(1));
    let over = app.vote(POLL, &cookie(), from, json!(["tot"])).await;
    assert_eq!(over.status(), 429, "{}", over.text().await.unwrap());
    // The next day counts afresh; the day's hashing key goes.
    app.clock.set(midnight + mins(1));
    let r = app.vote(POLL, &cookie(), from, json!(["tot"])).await;
    assert_eq!(r.status(), 201);
    if redis {
        app.stop().await;
        return;
    }
    app.flushed().await;
    app.stop().await;
    assert_eq!(
        embedded_entries(&home, "hash_keys", day),
        0,
        "kept past its day"
    );
    assert_eq!(embedded_entries(&home, "hash_keys", "2026-11-28"), 1);
    // The address's count and its network's.
    assert_eq!(embedded_entries(&home, "address_ballots", day), 2);
    // Two days after the day, the housekeeping has deleted its counts.
    let clock = std::sync::Arc::new(tally::clock::ManualClock::new(
        midnight + hours(48) + mins(1),
    ));
    let app = TestApp::start_at(&home, clock, settings).await;
    app.flushed().await;
    app.stop().await;
    // With no use since, the housekeeping deleted the next day's key too.
    assert_eq!(embedded_entries(&home, "hash_keys", "hashkey:"), 0);
    assert_eq!(
        embedded_entries(&home, "address_ballots", day),
        0,
        "kept past 2 days"
    );
    assert_eq!(embedded_entries(&home, "address_ballots", "2026-11-28"), 2);
}

/// A ballot with `proof` from a fresh visitor: its status and error code.
async fn vote_with(app: &TestApp, poll: &str, proof: &str) -> (u16, String) {
    let r = app
        .http
        .post(app.url(&format!("/v1/polls/{poll}/votes")))
        .header("user-agent", crate::support::BROWSER)
        .header("cookie", format!("tally_vid={}", cookie()))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({ "options": ["tan-thanh"], "proof": proof }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

/// The embedded store's spent solutions: when each may go (ms, by the
/// store's own clock, the process's), app stopped.
fn spent_until(home: &Home) -> Vec<i64> {
    use redb::{ReadableDatabase, ReadableTable};
    let Home::Embedded(dir) = home else {
        unreachable!()
    };
    let db = redb::Database::open(dir.path().join("tally.redb")).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn
        .open_table(redb::TableDefinition::<&str, &str>::new("spent_challenges"))
        .unwrap();
    table
        .iter()
        .unwrap()
        .map(|e| {
            let value = e.unwrap().1.value().to_owned();
            value.split_once('|').unwrap().0.parse().unwrap()
        })
        .collect()
}

/// A spent solution is remembered until it could no longer be sent — the
/// challenge's 10 minutes and 5 of clock skew — refusing its replay until
/// then, and is deleted after.
async fn spent_solutions_go_once_they_cannot_be_sent(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(&app, "du-thao", "on").await;
    let issued = challenge(&app, "du-thao").await;
    let proof = issued.solve().unwrap().to_compact();
    let cast_at = jiff::Timestamp::now();
    assert_eq!(vote_with(&app, "du-thao", &proof).await.0, 201);
    // While it may still be sent, its replay is refused.
    app.clock.set(noon() + mins(9));
    let replay = vote_with(&app, "du-thao", &proof).await;
    assert_eq!(replay, (403, "challenge_replayed".to_owned()));
    if !matches!(backend, Backend::Embedded) {
        let spent = scan(&home, "*:spent:*");
        assert_eq!(spent.len(), 1, "{spent:?}");
        assert_ttl(&home, &spent[0], mins(15));
        app.stop().await;
        return;
    }
    app.stop().await;
    let until = spent_until(&home);
    assert_eq!(until.len(), 1);
    let kept_for = until[0] - cast_at.as_millisecond();
    assert!(
        (mins(15).as_millis() as i64 - kept_for).abs() < 5_000,
        "{kept_for} ms"
    );
    // The housekeeping keeps it to that instant and deletes it after.
    let until = jiff::Timestamp::from_millisecond(until[0]).unwrap();
    for (at, left) in [
        (until - SignedDuration::from_secs(1), 1),
        (until + SignedDuration::from_secs(1), 0),
    ] {
        let clock = std::sync::Arc::new(tally::clock::ManualClock::new(at));
        let app = TestApp::start_at(&home, clock, settings).await;
        app.flushed().await;
        app.stop().await;
        assert_eq!(spent_until(&home).len(), left, "at {at}");
    }
}

/// A network's raised challenge level, as replicas share it: asked until 90 s
/// after its last offer and not after, deleted by the first read after that
/// (the embedded store holds it in memory only), and in Redis its key lives
/// at most a minute longer.
async fn raised_levels_go_after_their_last_offer(backend: Backend) {
    let home = Home::open(backend).await;
    let store = home.open_store().await;
    let site = SiteId::DEFAULT;
    let raised = vec![("du-thao/c00002".to_owned(), 3)];
    let offered = noon();
    let until = offered + SignedDuration::from_secs(90);
    let shared = store.share_levels(&site, &raised, until, offered).await;
    assert_eq!(shared.unwrap(), raised);
    if !matches!(backend, Backend::Embedded) {
        assert_ttl(&home, &keys::levels(&site), SignedDuration::from_secs(150));
    }
    let second = SignedDuration::from_secs(1);
    let before = store.share_levels(&site, &[], until, until - second).await;
    assert_eq!(before.unwrap(), raised);
    let after = store.share_levels(&site, &[], until, until + second).await;
    assert_eq!(after.unwrap(), []);
    if !matches!(backend, Backend::Embedded) {
        assert_eq!(
            pttl(&home, &keys::levels(&site)),
            -2,
            "the key outlived its levels"
        );
    }
}

on_every_store!(
    sessions_end_unused_or_at_their_longest,
    per_address_counts_go_after_their_day,
    spent_solutions_go_once_they_cannot_be_sent,
    raised_levels_go_after_their_last_offer,
);
