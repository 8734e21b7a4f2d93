//! The poll rules by example: options, choices, the window, closing and
//! reopening, and the text a poll may hold.

use super::*;

fn option(id: &str, label: &str) -> PollOption {
    PollOption {
        id: OptionId::parse(id).unwrap(),
        label: label.into(),
    }
}

fn spec(options: Vec<PollOption>, max_choices: Option<u32>) -> PollSpec {
    PollSpec {
        id: PollId::parse("danh-gia").unwrap(),
        question: "Bạn đánh giá như thế nào về cổng thông tin này?".into(),
        options,
        max_choices,
        opens_at: None,
        closes_at: None,
        results: Default::default(),
        challenge: Default::default(),
        archived_at: None,
        draft: false,
    }
}

fn four() -> Vec<PollOption> {
    vec![
        option("rat-tot", "Rất tốt"),
        option("tot", "Tốt"),
        option("binh-thuong", "Bình thường"),
        option("chua-tot", "Chưa tốt"),
    ]
}

#[test]
fn a_poll_needs_two_to_twenty_distinct_labelled_options() {
    assert!(Poll::new(spec(four(), None)).is_ok());
    assert_eq!(
        Poll::new(spec(vec![option("a", "A")], None)),
        Err(PollError::OptionCount)
    );
    let dup = vec![option("a", "A"), option("a", "B")];
    assert!(matches!(
        Poll::new(spec(dup, None)),
        Err(PollError::DuplicateOption(_))
    ));
    let blank = vec![option("a", "A"), option("b", "  ")];
    assert!(matches!(
        Poll::new(spec(blank, None)),
        Err(PollError::Label(_))
    ));
    assert_eq!(Poll::new(spec(four(), Some(5))), Err(PollError::MaxChoices));
    assert_eq!(Poll::new(spec(four(), Some(0))), Err(PollError::MaxChoices));
}

#[test]
fn choices_are_checked_against_the_poll() {
    let poll = Poll::new(spec(four(), Some(2))).unwrap();
    let id = |s: &str| OptionId::parse(s).unwrap();
    assert_eq!(poll.check_choices(&[id("tot")]), Ok(()));
    assert_eq!(poll.check_choices(&[]), Err(ChoiceError::NoChoice));
    assert_eq!(
        poll.check_choices(&[id("tot"), id("tot")]),
        Err(ChoiceError::Duplicate(id("tot")))
    );
    assert_eq!(
        poll.check_choices(&[id("khac")]),
        Err(ChoiceError::UnknownOption(id("khac")))
    );
    assert_eq!(
        poll.check_choices(&[id("tot"), id("rat-tot"), id("chua-tot")]),
        Err(ChoiceError::TooMany { max: 2 })
    );
}

#[test]
fn status_follows_the_window() {
    let mut s = spec(four(), None);
    s.opens_at = Some("2026-12-01T00:00:00+07:00".parse().unwrap());
    s.closes_at = Some("2026-12-31T00:00:00+07:00".parse().unwrap());
    let poll = Poll::new(s).unwrap();
    let at = |t: &str| poll.status(t.parse().unwrap());
    assert_eq!(at("2026-11-30T23:59:59+07:00"), PollStatus::NotYetOpen);
    assert_eq!(at("2026-12-01T00:00:00+07:00"), PollStatus::Open);
    assert_eq!(at("2026-12-31T00:00:00+07:00"), PollStatus::Closed);
    let closed = poll.closed_at("2026-12-15T00:00:00Z".parse().unwrap());
    assert_eq!(
        closed.status("2026-12-15T00:00:00Z".parse().unwrap()),
        PollStatus::Closed
    );
}

#[test]
fn closing_then_reopening_keeps_the_schedule() {
    let at = |s: &str| -> Timestamp { s.parse().unwrap() };
    let now = at("2026-12-06T10:00:00+07:00");
    // Open, ending 31/12: closed, then reopened, it ends 31/12 again.
    let mut open = Poll::new(spec(four(), None)).unwrap();
    open.closes_at = Some(at("2026-12-31T17:00:00+07:00"));
    let closed = open.closed_at(now);
    assert_eq!(closed.status(now), PollStatus::Closed);
    let later = at("2026-12-08T09:00:00+07:00");
    let again = closed.reopened_at(later, None);
    assert_eq!(again.closes_at, open.closes_at);
    assert_eq!((again.opens_at, again.set_aside), (None, None));
    assert_eq!(again.status(later), PollStatus::Open);
    // Scheduled 07/12–14/12, closed the day before: reopened, it waits
    // for 07/12 and ends 14/12.
    let mut scheduled = Poll::new(spec(four(), None)).unwrap();
    scheduled.opens_at = Some(at("2026-12-07T00:00:00+07:00"));
    scheduled.closes_at = Some(at("2026-12-14T00:00:00+07:00"));
    let closed = scheduled.closed_at(now);
    assert_eq!(closed.status(now), PollStatus::Closed);
    let again = closed.reopened_at(now, None);
    assert_eq!(
        (again.opens_at, again.closes_at),
        (scheduled.opens_at, scheduled.closes_at)
    );
    assert_eq!(again.status(now), PollStatus::NotYetOpen);
    // A date given wins; a planned end already past is not restored.
    let given = at("2026-12-20T00:00:00+07:00");
    assert_eq!(closed.reopened_at(now, Some(given)).closes_at, Some(given));
    let past_end = at("2026-12-15T00:00:00+07:00");
    assert_eq!(closed.reopened_at(past_end, None).closes_at, None);
    // Opened 01/12, ending 31/12: closed and reopened, it keeps both.
    let mut opened = Poll::new(spec(four(), None)).unwrap();
    opened.opens_at = Some(at("2026-12-01T08:00:00+07:00"));
    opened.closes_at = Some(at("2026-12-31T17:00:00+07:00"));
    let closed = opened.closed_at(now);
    assert_eq!(closed.opens_at, opened.opens_at);
    let again = closed.reopened_at(later, None);
    assert_eq!(
        (again.opens_at, again.closes_at, again.set_aside),
        (opened.opens_at, opened.closes_at, None)
    );
    assert_eq!(again.status(later), PollStatus::Open);
}

#[test]
fn the_question_and_labels_refuse_controls_and_direction_changes() {
    let mut s = spec(four(), None);
    s.question = "Bạn\0 đánh giá?".into();
    assert_eq!(
        Poll::new(s),
        Err(PollError::Character(BadCharacter {
            field: TextField::Question,
            character: '\0',
        }))
    );
    let mut options = four();
    options[2].label = "Bình\u{202E}thường".into();
    assert_eq!(
        Poll::new(spec(options, None)),
        Err(PollError::Character(BadCharacter {
            field: TextField::Label {
                position: 3,
                id: OptionId::parse("binh-thuong").unwrap(),
            },
            character: '\u{202E}',
        }))
    );
    // A line break at either end is trimmed away, as spaces are.
    let mut options = four();
    options[0].label = "Rất tốt\r\n".into();
    assert_eq!(
        Poll::new(spec(options, None)).unwrap().options[0].label,
        "Rất tốt"
    );
}

#[test]
fn a_draft_takes_no_ballot_and_is_stored_only_when_it_is_one() {
    let at: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let standing = Standing {
        already_voted: false,
        from_address: 0,
        address_cap: 50,
        solved_cap: 50,
        network_full: false,
        proof: Proof::Missing,
    };
    let choice = [OptionId::parse("tot").unwrap()];
    let draft = Poll::new(PollSpec {
        draft: true,
        ..spec(four(), None)
    })
    .unwrap();
    assert_eq!(judge(&draft, at, &standing, &choice), Verdict::NotYetOpen);
    let published = Poll {
        draft: false,
        ..draft.clone()
    };
    assert_eq!(judge(&published, at, &standing, &choice), Verdict::Accepted);
    // Stored polls without the field (written before drafts) read as
    // published; a published poll is stored without it.
    let json = serde_json::to_value(&published).unwrap();
    assert!(json.get("draft").is_none(), "{json}");
    assert_eq!(serde_json::from_value::<Poll>(json).unwrap(), published);
    assert_eq!(serde_json::to_value(&draft).unwrap()["draft"], true);
    assert_ne!(draft.fingerprint(), published.fingerprint());
}
