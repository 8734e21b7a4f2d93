//! Getting a replica's counting into the store: the flush every interval
//! (one idempotent batch of increments, the counters read back), the
//! outage buffer replayed when the store returns, housekeeping, and the
//! drain at shutdown, which spills to disk what the store would not take.
//! While the store fails, flushes are tried less and less often, and the
//! failure is logged once in a while; the ops listener asks here whether
//! the store answers and takes writes.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::pending::InFlight;
use super::{Counter, ONLINE_WINDOW, spill};
use crate::calendar::Period;
use crate::metrics::DropReason;
use crate::pacing::LogGate;
use crate::store::{CounterQuery, CounterSnapshot, Keep, SiteFlush, StoreError};

/// The longest wait between flushes while the store fails: the counters
/// are written within about that long of its return.
pub(super) const MOST_RETRY_WAIT: Duration = Duration::from_secs(2);

/// Hits waiting that make a site busy: it is written every tick.
const BUSY_HITS: u64 = 16;

/// Whether a counter is due for the flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    No,
    /// This tick.
    Now,
    /// A quiet site's turn: this tick or, when many are, the next.
    Quiet,
}

/// The counter's log lines that a lasting failure would repeat.
#[derive(Default)]
pub(super) struct Quiet {
    unavailable: LogGate,
    housekeeping: LogGate,
}

/// A flush under way: when it started, and the period it reads.
pub(super) struct Started {
    at: Instant,
    period: Arc<Period>,
}

impl Counter {
    /// Writes what is pending as one batch and reads the counters back.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.flushing.write().await;
        let (started, flush) = self.prepare();
        let result = match &flush.batch {
            Some(batch) => {
                self.store
                    .apply(&self.site, batch, &flush.query, &flush.keep)
                    .await
            }
            None => self.store.read(&self.site, &flush.query).await,
        };
        self.finish(started, &flush, result)
    }

    /// What this site's next flush sends: the batch in flight, else one
    /// spilled by a previous run, else what is pending; and the counters
    /// to read back. Called holding `flushing`.
    pub(super) fn prepare(&self) -> (Started, SiteFlush) {
        let started = Instant::now();
        let now = self.clock.now();
        let period = self.period(now);
        let (batch, pages) = {
            let mut state = self.state();
            if state.inflight.is_none() {
                // Batches spilled by a previous run go first, as they are.
                if let Some(batch) = state.spilled.pop_front() {
                    state.inflight = Some(InFlight::resent(batch));
                } else if !state.pending.is_empty() {
                    let seq = self.batch_seq.fetch_add(1, Ordering::Relaxed);
                    let id = format!("{}-{seq}", self.batch_prefix);
                    state.inflight = Some(state.pending.take_batch(id));
                }
            }
            self.asked.store(false, Ordering::Relaxed);
            let pages = state.pages.take_asked();
            (state.inflight.as_ref().map(|f| f.batch.clone()), pages)
        };
        let flush = SiteFlush {
            site: self.site.clone(),
            batch,
            query: CounterQuery {
                today: period.now.day,
                yesterday: period.yesterday,
                week: period.now.week,
                month: period.now.month,
                online_since: now - ONLINE_WINDOW,
                pages,
            },
            keep: Keep {
                max_pages: self.settings.max_pages,
                top_pages: self.settings.top_pages,
                page_days: self.settings.page_days,
            },
        };
        (
            Started {
                at: started,
                period,
            },
            flush,
        )
    }

    /// Takes in the store's answer to `flush`.
    pub(super) fn finish(
        &self,
        started: Started,
        flush: &SiteFlush,
        result: Result<CounterSnapshot, StoreError>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        match result {
            Ok(mut snapshot) => {
                state
                    .pages
                    .refreshed(&flush.query.pages, &snapshot.pages, flush.batch.as_ref());
                self.metrics
                    .views_dropped(DropReason::SiteCap, snapshot.views_dropped);
                snapshot.pages.clear();
                state.stored = snapshot;
                state.stored_period = Some(started.period);
                state.stored_at = Some(started.at);
                if flush.batch.is_some() {
                    state.inflight = None;
                }
                state.store_ok = true;
                self.metrics
                    .flush_duration
                    .observe(started.at.elapsed().as_secs_f64());
                Ok(())
            }
            Err(e) => {
                state.store_ok = false;
                Err(e)
            }
        }
    }

    /// Whether hits are waiting (buffered, pending, spilled or in flight).
    pub fn has_unwritten(&self) -> bool {
        let state = self.state();
        !state.buffer.is_empty()
            || !state.pending.is_empty()
            || state.inflight.is_some()
            || !state.spilled.is_empty()
    }

    /// Whether everything recorded before `at` is written: a flush that
    /// began after it succeeded, or nothing waits.
    pub fn written_since(&self, at: Instant) -> bool {
        let flushed = self.state().stored_at.is_some_and(|t| t >= at);
        flushed || !self.has_unwritten()
    }

    /// Hits waiting in the outage buffer.
    pub fn buffered(&self) -> usize {
        self.state().buffer.len()
    }

    /// Whether the flush should visit this counter now, and how: at once
    /// if its store failed or a batch waits to be sent again, or it is busy
    /// (at least [`BUSY_HITS`] hits waiting); as a quiet site if it has
    /// hits to write or was read since and was last written `quiet_every`
    /// ago. A quiet site, a commune with a hit now and then, is written and
    /// read back once in `quiet_every` rather than every tick: a province's
    /// thousand sites take a fraction of the store's calls, and each site's
    /// own answers still count what waits.
    pub(super) fn due(&self, quiet_every: Duration) -> Due {
        let state = self.state();
        if !state.store_ok
            || state.inflight.is_some()
            || !state.spilled.is_empty()
            || !state.buffer.is_empty()
            || state.pending.hits() >= BUSY_HITS
        {
            return Due::Now;
        }
        let wants = self.asked.load(Ordering::Relaxed) || !state.pending.is_empty();
        match wants && state.stored_at.is_none_or(|at| at.elapsed() >= quiet_every) {
            true => Due::Quiet,
            false => Due::No,
        }
    }

    pub(super) fn store_ok(&self) -> bool {
        self.state().store_ok
    }

    /// A short slice of the store's housekeeping.
    pub(super) async fn housekeeping(&self) {
        if let Err(e) = self.store.maintain(self.clock.now()).await
            && let Some(held) = self.quiet.housekeeping.pass()
        {
            tracing::warn!(error = %e, not_logged_since_last = held, "store housekeeping failed");
        }
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// The store's kind: `embedded`, `redis` or `redis-cluster`.
    pub fn store_kind(&self) -> &'static str {
        self.store.kind()
    }

    /// Whether the store's own disk takes writes.
    pub fn store_disk(&self) -> crate::store::DiskHealth {
        self.store.disk()
    }

    /// Logs, once in a while, that hits wait in the buffer because of `e`.
    pub(super) fn buffering(&self, e: &StoreError) {
        if let Some(held) = self.quiet.unavailable.pass() {
            tracing::warn!(error = %e, not_logged_since_last = held, "store unavailable; buffering hits");
        }
    }

    /// After a flush the store took: replays the outage buffer, and says
    /// the store is back if it was away.
    pub(super) async fn recovered(&self, was_ok: bool) {
        if !was_ok {
            tracing::info!(buffered = self.buffered(), "store available again");
        }
        if self.buffered() > 0 {
            self.replay().await;
        }
    }

    /// After the first flush the store refused: logs why (once in a while).
    pub(super) async fn failing(&self, e: StoreError) {
        // A fresh look tells why (refused credentials, refused connection)
        // where the failed call may only have timed out.
        let cause = self.store.ping().await.err().unwrap_or(e);
        self.buffering(&cause);
    }

    /// Spills what is still unwritten to the spill directory, written by
    /// the next start; then makes the store durable. Used at shutdown,
    /// once the flushes had their time.
    pub(super) async fn spill_rest(&self, sync: bool) {
        if self.has_unwritten() {
            self.spill();
        }
        if sync && let Err(e) = self.store.sync().await {
            tracing::error!(error = %e, "store sync at shutdown failed");
        }
    }

    /// Writes everything unwritten to a spill file.
    fn spill(&self) {
        let spilled = {
            let mut state = self.state();
            let seq = self.batch_seq.fetch_add(1, Ordering::Relaxed);
            let id = format!("{}-{seq}", self.batch_prefix);
            let pending = (!state.pending.is_empty()).then(|| state.pending.take_batch(id).batch);
            let inflight = state.inflight.take().map(|f| f.batch);
            let batches: Vec<_> = state
                .spilled
                .drain(..)
                .chain(inflight)
                .chain(pending)
                .collect();
            let hits: Vec<_> = state.buffer.drain(..).collect();
            spill::Spill { hits, batches }
        };
        let Some(dir) = &self.settings.spill_dir else {
            tracing::error!(
                hits = spilled.hits.len(),
                batches = spilled.batches.len(),
                "shutting down with hits not written, and nowhere to spill them"
            );
            return;
        };
        match spilled.write(dir) {
            Ok(path) => tracing::warn!(
                hits = spilled.hits.len(),
                batches = spilled.batches.len(),
                file = %path.display(),
                "the store did not take every hit before shutdown: spilled to disk, written at the next start"
            ),
            Err(e) => tracing::error!(
                hits = spilled.hits.len(),
                batches = spilled.batches.len(),
                error = %e,
                "shutting down with hits not written: the spill file could not be written"
            ),
        }
    }
}
