//! What a poll is, which ballots it accepts, and how its results read.
//! Pure rules: no I/O here.

use std::collections::HashSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::challenge::ChallengeMode;
use crate::ids::{OptionId, PollId};

pub mod edit;
mod judge;
mod results;
mod visibility;
pub use judge::{Proof, Standing, Verdict, judge};
pub use results::{OptionResult, Results, largest_remainder_tenths};
pub use visibility::{Shown, Viewer, Visibility};

/// Most options a poll may have.
pub const MAX_OPTIONS: usize = 20;
/// Fewest options a poll may have.
pub const MIN_OPTIONS: usize = 2;
/// Most characters in a question.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Most characters in an option's label.
pub const MAX_LABEL_CHARS: usize = 200;

/// One answer a visitor can choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOption {
    pub id: OptionId,
    pub label: String,
}

/// A poll as an editor defines it, before it is checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollSpec {
    pub id: PollId,
    pub question: String,
    pub options: Vec<PollOption>,
    #[serde(default)]
    pub max_choices: Option<u32>,
    #[serde(default)]
    pub opens_at: Option<Timestamp>,
    #[serde(default)]
    pub closes_at: Option<Timestamp>,
    /// Who may see the results, and when (default: always, everyone).
    #[serde(default)]
    pub results: Visibility,
    /// Whether a ballot must carry a solved challenge (default: off).
    #[serde(default)]
    pub challenge: ChallengeMode,
    /// When an editor archived it: closed, left out of the public lists,
    /// its results kept.
    #[serde(default)]
    pub archived_at: Option<Timestamp>,
}

/// A checked poll. Only [`Poll::new`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: PollId,
    pub question: String,
    pub options: Vec<PollOption>,
    pub max_choices: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub opens_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub closes_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Visibility::is_always", default)]
    pub results: Visibility,
    #[serde(skip_serializing_if = "ChallengeMode::is_off", default)]
    pub challenge: ChallengeMode,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub archived_at: Option<Timestamp>,
    /// The dates a close set aside, which a reopening restores.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub set_aside: Option<SetAside>,
}

/// The dates of a poll's schedule that had not come when it was closed:
/// a planned opening, a planned end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAside {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub opens_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub closes_at: Option<Timestamp>,
}

/// Why a poll definition was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PollError {
    #[error("question must be 1 to {MAX_QUESTION_CHARS} characters")]
    Question,
    #[error("a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options")]
    OptionCount,
    #[error("option '{0}' appears twice")]
    DuplicateOption(OptionId),
    #[error("option '{0}' needs a label of 1 to {MAX_LABEL_CHARS} characters")]
    Label(OptionId),
    /// Two options read the same (case, spacing and Unicode form aside).
    #[error("option '{0}' has the same label as another")]
    DuplicateLabel(OptionId),
    #[error("max_choices must be between 1 and the number of options")]
    MaxChoices,
    #[error("opens_at must be before closes_at")]
    Window,
}

impl Poll {
    pub fn new(spec: PollSpec) -> Result<Self, PollError> {
        let question = spec.question.trim().to_owned();
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(PollError::Question);
        }
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&spec.options.len()) {
            return Err(PollError::OptionCount);
        }
        let mut seen = HashSet::new();
        let mut labels = HashSet::new();
        let mut options = Vec::with_capacity(spec.options.len());
        for option in spec.options {
            if !seen.insert(option.id.clone()) {
                return Err(PollError::DuplicateOption(option.id));
            }
            let label = option.label.trim().to_owned();
            if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
                return Err(PollError::Label(option.id));
            }
            if !labels.insert(edit::key(&label)) {
                return Err(PollError::DuplicateLabel(option.id));
            }
            options.push(PollOption {
                id: option.id,
                label,
            });
        }
        let max_choices = spec.max_choices.unwrap_or(1);
        if max_choices == 0 || max_choices as usize > options.len() {
            return Err(PollError::MaxChoices);
        }
        if let (Some(opens), Some(closes)) = (spec.opens_at, spec.closes_at)
            && opens >= closes
        {
            return Err(PollError::Window);
        }
        Ok(Self {
            id: spec.id,
            question,
            options,
            max_choices,
            opens_at: spec.opens_at,
            closes_at: spec.closes_at,
            results: spec.results,
            challenge: spec.challenge,
            archived_at: spec.archived_at,
            set_aside: None,
        })
    }

    /// Whether the poll takes ballots at `now`.
    pub fn status(&self, now: Timestamp) -> PollStatus {
        if self.opens_at.is_some_and(|opens| now < opens) {
            PollStatus::NotYetOpen
        } else if self.closes_at.is_some_and(|closes| now >= closes) {
            PollStatus::Closed
        } else {
            PollStatus::Open
        }
    }

    /// This poll, closed at `now` unless it already closed earlier; the
    /// dates of its schedule still ahead are set aside for a reopening.
    pub fn closed_at(&self, now: Timestamp) -> Poll {
        let mut closed = self.clone();
        let ahead = SetAside {
            opens_at: self.opens_at.filter(|&t| t > now),
            closes_at: self.closes_at.filter(|&t| t > now),
        };
        if ahead != SetAside::default() {
            closed.set_aside = Some(ahead);
        }
        closed.closes_at = Some(match self.closes_at {
            Some(earlier) if earlier <= now => earlier,
            _ => now,
        });
        if closed.opens_at.is_some_and(|opens| opens >= now) {
            closed.opens_at = None;
        }
        closed
    }

    /// This poll taking ballots again: until `closes_at` if given, else
    /// until the end a close set aside (or its own, not closed) if still
    /// ahead, else with no end; a poll closed before its planned opening
    /// waits for it again.
    pub fn reopened_at(&self, now: Timestamp, closes_at: Option<Timestamp>) -> Poll {
        let mut open = self.clone();
        let aside = open.set_aside.take().unwrap_or_default();
        open.archived_at = None;
        let ahead = |t: &Timestamp| *t > now;
        open.closes_at = closes_at
            .or(aside.closes_at.filter(ahead))
            .or(self.closes_at.filter(ahead));
        let planned = aside.opens_at.filter(|&t| t > now);
        open.opens_at = planned.filter(|&o| open.closes_at.is_none_or(|c| o < c));
        open
    }

    /// Checks a ballot's choices against this poll.
    pub fn check_choices(&self, choices: &[OptionId]) -> Result<(), ChoiceError> {
        if choices.is_empty() {
            return Err(ChoiceError::NoChoice);
        }
        let mut seen = HashSet::new();
        for choice in choices {
            if !self.options.iter().any(|o| &o.id == choice) {
                return Err(ChoiceError::UnknownOption(choice.clone()));
            }
            if !seen.insert(choice) {
                return Err(ChoiceError::Duplicate(choice.clone()));
            }
        }
        if choices.len() > self.max_choices as usize {
            return Err(ChoiceError::TooMany {
                max: self.max_choices,
            });
        }
        Ok(())
    }

    /// The option ids, in order.
    pub fn option_ids(&self) -> impl Iterator<Item = &OptionId> {
        self.options.iter().map(|o| &o.id)
    }
}

/// Whether a poll takes ballots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PollStatus {
    NotYetOpen,
    Open,
    Closed,
}

/// Why a ballot's choices were refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChoiceError {
    #[error("choose at least one option")]
    NoChoice,
    #[error("'{0}' is not an option of this poll")]
    UnknownOption(OptionId),
    #[error("'{0}' is chosen twice")]
    Duplicate(OptionId),
    #[error("choose at most {max} options")]
    TooMany { max: u32 },
}

#[cfg(test)]
mod tests {
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
    }
}
