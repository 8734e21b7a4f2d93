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
mod text;
mod visibility;
pub use judge::{Proof, Standing, Verdict, judge};
pub use results::{OptionResult, Results, largest_remainder_tenths};
pub use text::{BadCharacter, TextField};
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
    /// Saved as a draft: seen by editors only, taking no ballots, until an
    /// editor publishes it (default: published).
    #[serde(default)]
    pub draft: bool,
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
    /// A draft is no poll to the public: no page, no answer, no ballot.
    /// Absent (as in polls stored or exported before drafts), published.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub draft: bool,
    /// The dates a close set aside, which a reopening restores.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub set_aside: Option<SetAside>,
    /// The [`Poll::fingerprint`] of the polls file's definition this poll
    /// was last written from; an editor's change leaves it behind, so the
    /// file then knows the poll is no longer its own.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from_file: Option<String>,
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
    /// A control or direction-changing character in the question or a label.
    #[error("{0}")]
    Character(BadCharacter),
}

impl Poll {
    pub fn new(spec: PollSpec) -> Result<Self, PollError> {
        let question = spec.question.trim().to_owned();
        if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
            return Err(PollError::Question);
        }
        text::check_line(&question, || TextField::Question).map_err(PollError::Character)?;
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&spec.options.len()) {
            return Err(PollError::OptionCount);
        }
        let mut seen = HashSet::new();
        let mut labels = HashSet::new();
        let mut options = Vec::with_capacity(spec.options.len());
        for (i, option) in spec.options.into_iter().enumerate() {
            if !seen.insert(option.id.clone()) {
                return Err(PollError::DuplicateOption(option.id));
            }
            let label = option.label.trim().to_owned();
            if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
                return Err(PollError::Label(option.id));
            }
            text::check_line(&label, || TextField::Label {
                position: i + 1,
                id: option.id.clone(),
            })
            .map_err(PollError::Character)?;
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
            draft: spec.draft,
            set_aside: None,
            from_file: None,
        })
    }

    /// A digest of everything that defines this poll (all but
    /// `from_file`): two polls with the same fingerprint read the same.
    pub fn fingerprint(&self) -> String {
        let definition = Poll {
            from_file: None,
            ..self.clone()
        };
        let json = serde_json::to_vec(&definition).unwrap_or_default();
        crate::ids::hex(&blake3::hash(&json).as_bytes()[..16])
    }

    /// Whether this poll is as the polls file last wrote it: written from
    /// the file and changed by no editor since.
    pub fn as_file_wrote_it(&self) -> bool {
        self.from_file.as_deref() == Some(self.fingerprint().as_str())
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
    /// waits for it again, and one that had opened keeps its opening date.
    pub fn reopened_at(&self, now: Timestamp, closes_at: Option<Timestamp>) -> Poll {
        let mut open = self.clone();
        let aside = open.set_aside.take().unwrap_or_default();
        open.archived_at = None;
        let ahead = |t: &Timestamp| *t > now;
        open.closes_at = closes_at
            .or(aside.closes_at.filter(ahead))
            .or(self.closes_at.filter(ahead));
        let planned = aside.opens_at.filter(|&t| t > now);
        let opened = self.opens_at.filter(|&t| t <= now);
        open.opens_at = planned
            .filter(|&o| open.closes_at.is_none_or(|c| o < c))
            .or(opened);
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
mod tests;
