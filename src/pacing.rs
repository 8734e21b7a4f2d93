//! Pacing what repeats while something keeps failing: a growing, bounded
//! delay between tries ([`Backoff`]), and at most one log line per kind of
//! failure per interval, counting the lines held back ([`LogGate`]). A
//! failure that lasts an hour then costs a few tries a second at most and a
//! few hundred log lines, not a core and gigabytes of log.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// How often one kind of repeated failure is logged at most.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// The delay before each try of something that keeps failing: `first`,
/// then twice the last, up to `most`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    most: Duration,
    next: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, most: Duration) -> Self {
        Self {
            first,
            most,
            next: first,
        }
    }

    /// One more failure: how long to wait before the next try.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = self.next.saturating_mul(2).min(self.most);
        wait
    }

    /// A success: the next failure waits `first` again.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

/// Lets one log line of a kind through per interval; the others are
/// counted, and the next line let through says how many were held back.
/// Each place that may log the same failure over and over has one.
pub struct LogGate {
    every: Duration,
    state: Mutex<Gate>,
}

struct Gate {
    /// When a line was last let through.
    last: Option<Instant>,
    held: u64,
}

impl LogGate {
    pub const fn new(every: Duration) -> Self {
        Self {
            every,
            state: Mutex::new(Gate {
                last: None,
                held: 0,
            }),
        }
    }

    /// Whether a line may be written now: `Some` with the number of lines
    /// held back since the last one, or `None` (and this one is counted).
    pub fn pass(&self) -> Option<u64> {
        self.pass_at(Instant::now())
    }

    fn pass_at(&self, now: Instant) -> Option<u64> {
        let mut gate = self.state.lock();
        let due = gate
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.every);
        if due {
            gate.last = Some(now);
            Some(std::mem::take(&mut gate.held))
        } else {
            gate.held += 1;
            None
        }
    }
}

impl Default for LogGate {
    fn default() -> Self {
        Self::new(LOG_EVERY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backoff_doubles_up_to_its_bound_and_starts_over_after_a_success() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let waits: Vec<u128> = (0..6).map(|_| backoff.failed().as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.failed(), Duration::from_millis(100));
    }

    #[test]
    fn a_backoff_never_overflows() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::MAX);
        for _ in 0..200 {
            backoff.failed();
        }
        assert_eq!(backoff.failed(), Duration::MAX);
    }

    #[test]
    fn a_gate_lets_one_line_through_per_interval_and_counts_the_rest() {
        let gate = LogGate::new(Duration::from_secs(10));
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        assert_eq!(gate.pass_at(at(0)), Some(0), "the first line is written");
        // A thousand failures within the interval: none written.
        for ms in 1..=1000 {
            assert_eq!(gate.pass_at(at(ms)), None);
        }
        assert_eq!(gate.pass_at(at(9_999)), None);
        // The next line after the interval says how many were held back.
        assert_eq!(gate.pass_at(at(10_000)), Some(1001));
        assert_eq!(gate.pass_at(at(10_001)), None);
        assert_eq!(gate.pass_at(at(25_000)), Some(1));
        // Quiet for long: the next one passes at once, holding none.
        assert_eq!(gate.pass_at(at(90_000)), Some(0));
    }

    #[test]
    fn a_flood_of_failures_is_a_handful_of_lines() {
        // 300 000 failures a second for a minute, as a full disk once gave.
        let gate = LogGate::default();
        let start = Instant::now();
        let written = (0..60 * 300_000u64)
            .step_by(100)
            .filter(|i| {
                let at = start + Duration::from_micros(i * 1_000_000 / 300_000);
                gate.pass_at(at).is_some()
            })
            .count();
        assert_eq!(written, 6);
    }
}
