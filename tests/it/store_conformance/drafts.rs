//! Conformance case for drafts: a published poll goes back to draft only
//! while it holds no ballot, refused by the store in the step that writes.

use tally::poll::Poll;
use tally::store::{PollState, PutPoll, Store, Verdict};

use super::{SITE, ballot, poll, visitor};

/// Without ballots a published poll goes back to draft and out again; with
/// one, the store refuses (forced or not) and the poll stays published with
/// its ballot, while an edit that keeps it published still goes.
pub(super) async fn a_poll_with_ballots_does_not_go_back_to_draft(s: &dyn Store) {
    let published = poll(1, &["tot", "chua-tot"]);
    let mut draft = published.clone();
    draft.draft = true;
    assert_eq!(
        s.put_poll(&SITE, &published, false).await.unwrap(),
        PutPoll::Created
    );
    assert_eq!(
        s.put_poll(&SITE, &draft, false).await.unwrap(),
        PutPoll::Replaced
    );
    assert!(state(s, &published).await.poll.draft);
    assert_eq!(
        s.put_poll(&SITE, &published, false).await.unwrap(),
        PutPoll::Replaced
    );

    let b = ballot(&visitor(71), 6, &["tot"], 50);
    assert_eq!(
        s.cast(&SITE, &b).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
    for force in [false, true] {
        assert_eq!(
            s.put_poll(&SITE, &draft, force).await.unwrap(),
            PutPoll::DraftWithBallots,
            "forced: {force}"
        );
    }
    let kept = state(s, &published).await;
    assert_eq!(
        (kept.poll.draft, kept.votes, kept.voters),
        (false, vec![1, 0], 1)
    );

    let mut renamed = published.clone();
    renamed.question = "Cổng thông tin này có dễ dùng không?".into();
    assert_eq!(
        s.put_poll(&SITE, &renamed, false).await.unwrap(),
        PutPoll::Replaced
    );
}

async fn state(s: &dyn Store, poll: &Poll) -> PollState {
    s.poll_state(&SITE, &poll.id, None).await.unwrap().unwrap()
}
