//! Admission to request handling, and whether a listener is starved.
//!
//! A request is worked on only once its body has arrived (so a client that
//! sends its body slowly holds a connection, never a worker), and at most
//! `TALLY_MAX_IN_FLIGHT` at once; more wait their turn. When requests have
//! waited for a turn, or the listener has sat at its connection cap, for
//! longer than [`STARVED_AFTER`], readiness says so, so an orchestrator
//! sends traffic elsewhere while it lasts.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a saturation may last before the listener counts as starved.
pub const STARVED_AFTER: Duration = Duration::from_secs(1);

/// Since when something has been saturated (continuously), if it is.
#[derive(Debug)]
pub struct Saturation {
    origin: Instant,
    /// Milliseconds after `origin` plus one when it began; 0 when it is not.
    since: AtomicU64,
}

impl Default for Saturation {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            since: AtomicU64::new(0),
        }
    }
}

impl Saturation {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
    }

    /// Marks the beginning of a saturation (no-op if one is under way).
    pub fn begin(&self) {
        let _ = self
            .since
            .compare_exchange(0, self.now(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Marks its end.
    pub fn end(&self) {
        self.since.store(0, Ordering::Relaxed);
    }

    /// How long the current saturation has lasted, if there is one.
    pub fn lasted(&self) -> Option<Duration> {
        match self.since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(Duration::from_millis(self.now().saturating_sub(since))),
        }
    }

    /// Whether it has lasted longer than [`STARVED_AFTER`].
    pub fn starved(&self) -> bool {
        self.lasted().is_some_and(|d| d > STARVED_AFTER)
    }
}

/// The turns of request handling.
pub struct Admission {
    permits: Semaphore,
    waiting: AtomicUsize,
    queueing: Saturation,
}

/// A request waiting for its turn; counted out when it gets one or gives up.
struct Waiting<'a>(&'a Admission);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.0.waiting.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.queueing.end();
        }
    }
}

impl Admission {
    pub fn new(max_in_flight: usize) -> Self {
        Self {
            permits: Semaphore::new(max_in_flight),
            waiting: AtomicUsize::new(0),
            queueing: Saturation::default(),
        }
    }

    /// Waits for a turn. Dropping the future gives up the wait.
    pub async fn enter(&self) -> SemaphorePermit<'_> {
        if let Ok(permit) = self.permits.try_acquire() {
            return permit;
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        self.queueing.begin();
        let _waiting = Waiting(self);
        self.permits
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }

    /// Requests waiting for a turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Whether requests have been queueing for longer than [`STARVED_AFTER`].
    pub fn starved(&self) -> bool {
        self.queueing.starved()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queueing_longer_than_a_second_is_starvation() {
        let admission = Admission::new(1);
        let held = admission.enter().await;
        assert!(!admission.starved());
        let waiter = tokio::time::timeout(Duration::from_millis(1200), admission.enter());
        assert!(waiter.await.is_err(), "no turn while the only one is held");
        // The waiter gave up, so nobody queues any more.
        assert_eq!(admission.waiting(), 0);
        assert!(!admission.starved());
        let slow = async {
            let _turn = admission.enter().await;
        };
        tokio::pin!(slow);
        assert!(
            tokio::time::timeout(Duration::from_millis(1100), &mut slow)
                .await
                .is_err()
        );
        assert!(admission.starved(), "queueing for over a second");
        drop(held);
        slow.await;
        assert!(!admission.starved());
    }
}
