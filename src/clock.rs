//! The wall clock the domain reads: injectable, so tests can move time across
//! visit windows and midnights without sleeping.

use parking_lot::Mutex;

use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from. Timers (flush interval, timeouts) use tokio's
/// monotonic clock; this is only for what the domain calls a date or a time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// Whether ballots are judged (opened, closed) by this clock. A test's
    /// clock, set to the moment under test, is; the real one is not: the
    /// store's own clock judges ballots, so replicas whose clocks drifted
    /// apart still give one verdict.
    fn judges_ballots(&self) -> bool {
        true
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn judges_ballots(&self) -> bool {
        false
    }
}

/// The real clock, off by a fixed amount: a replica whose clock drifted.
#[derive(Debug, Clone, Copy)]
pub struct DriftedClock(pub SignedDuration);

impl Clock for DriftedClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
            .saturating_add(self.0)
            .unwrap_or(Timestamp::MAX)
    }

    fn judges_ballots(&self) -> bool {
        false
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock() = to;
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock();
        *now = now.checked_add(by).expect("clock stays in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock()
    }
}
