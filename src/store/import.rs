//! A previous counter's history as the store takes it: the import, under
//! an id the store keeps its outcome by, and what it did.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::Timestamp;

use crate::calendar::Day;
use crate::ids::random_id;

/// How long an import may take in the store: an editor's rare operation
/// that may carry a century of days, not a hit, so it is not held to the
/// store timeout (the larger of the two applies).
pub const IMPORT_DEADLINE: Duration = Duration::from_secs(60);

/// How long the store keeps an import's outcome under its id.
pub const IMPORT_OUTCOME_KEPT: Duration = Duration::from_secs(86_400);

/// A previous counter's daily visits, to fold into the history all at
/// once or not at all.
#[derive(Debug)]
pub struct Import {
    /// Names the import in the store, which keeps its outcome under it
    /// ([`IMPORT_OUTCOME_KEPT`]) for [`super::History::settle_import`].
    pub id: String,
    /// Each day once, with its visits.
    pub days: Vec<(Day, u64)>,
    /// Which days the today/week/month counters show.
    pub today: Day,
    /// Now, from which the outcome's time to live runs.
    pub at: Timestamp,
    /// Set by the store just before the history may begin to change (the
    /// switch is sent, the write is queued): while it is unset, a failed
    /// import changed nothing and never will.
    begun: AtomicBool,
}

impl Import {
    /// A new import, under a fresh id.
    pub fn new(days: Vec<(Day, u64)>, today: Day, at: Timestamp) -> Self {
        Self {
            id: Self::fresh_id(),
            days,
            today,
            at,
            begun: AtomicBool::new(false),
        }
    }

    /// An id no other import has.
    pub fn fresh_id() -> String {
        format!("{:016x}", random_id())
    }

    /// Whether the store may have begun to change the history.
    pub fn begun(&self) -> bool {
        self.begun.load(Ordering::SeqCst)
    }

    /// Says that the history may begin to change now.
    pub fn begin(&self) {
        self.begun.store(true, Ordering::SeqCst);
    }
}

/// What importing a previous counter's daily visits did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Days in the import.
    pub days: u64,
    /// Days whose imported figure is new or differs from the last import.
    pub changed: u64,
    /// What the total of visits changed by.
    pub added: i64,
}

/// An abandoned import's outcome, as both stores keep it.
const ABANDONED: &str = "abandoned";

impl Imported {
    /// An applied import's outcome, as both stores keep it:
    /// `applied <days> <changed> <added>`.
    pub(crate) fn outcome(&self) -> String {
        format!("applied {} {} {}", self.days, self.changed, self.added)
    }

    /// What a kept outcome says: what the import did, or `None` for one
    /// that was abandoned (fenced off before it was applied).
    pub(crate) fn from_outcome(kept: &str) -> Result<Option<Self>, super::StoreError> {
        if kept == ABANDONED {
            return Ok(None);
        }
        let unreadable = || super::StoreError::Corrupt(format!("an import's outcome: {kept:?}"));
        let mut fields = kept
            .strip_prefix("applied ")
            .ok_or_else(unreadable)?
            .split(' ');
        let mut next = || fields.next().ok_or_else(unreadable);
        let (days, changed, added) = (next()?, next()?, next()?);
        Ok(Some(Self {
            days: days.parse().map_err(|_| unreadable())?,
            changed: changed.parse().map_err(|_| unreadable())?,
            added: added.parse().map_err(|_| unreadable())?,
        }))
    }

    /// The outcome of an import abandoned before it was applied.
    pub(crate) fn abandoned() -> &'static str {
        ABANDONED
    }
}
