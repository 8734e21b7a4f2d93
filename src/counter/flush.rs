//! Getting a replica's counting into the store: the flush every interval
//! (one idempotent batch of increments, the counters read back), the
//! outage buffer replayed when the store returns, housekeeping, and the
//! drain at shutdown, which spills to disk what the store would not take.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::pending::InFlight;
use super::{Counter, ONLINE_WINDOW, REPLAY_PER_FLUSH, spill};
use crate::metrics::DropReason;
use crate::store::{CounterQuery, Keep, StoreError};

impl Counter {
    /// Writes what is pending as one batch and reads the counters back.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.flushing.write().await;
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
            let pages = state.pages.take_asked();
            (state.inflight.as_ref().map(|f| f.batch.clone()), pages)
        };
        let query = CounterQuery {
            today: period.now.day,
            yesterday: period.yesterday,
            week: period.now.week,
            month: period.now.month,
            online_since: now - ONLINE_WINDOW,
            pages,
        };
        let result = match &batch {
            Some(batch) => {
                let keep = Keep {
                    max_pages: self.settings.max_pages,
                    top_pages: self.settings.top_pages,
                    page_days: self.settings.page_days,
                };
                self.store.apply(&self.site, batch, &query, &keep).await
            }
            None => self.store.read(&self.site, &query).await,
        };
        let mut state = self.state();
        match result {
            Ok(mut snapshot) => {
                state
                    .pages
                    .refreshed(&query.pages, &snapshot.pages, batch.as_ref());
                self.metrics
                    .views_dropped(DropReason::SiteCap, snapshot.views_dropped);
                snapshot.pages.clear();
                state.stored = snapshot;
                state.stored_period = Some(period);
                if batch.is_some() {
                    state.inflight = None;
                }
                state.store_ok = true;
                self.metrics
                    .flush_duration
                    .observe(started.elapsed().as_secs_f64());
                Ok(())
            }
            Err(e) => {
                state.store_ok = false;
                Err(e)
            }
        }
    }

    /// Decides buffered hits now that the store answers again, oldest first.
    async fn replay(&self) {
        for _ in 0..REPLAY_PER_FLUSH {
            let Some(buffered) = self.state().buffer.pop_front() else {
                break;
            };
            match self
                .store
                .touch(&self.site, &self.touch_of(&buffered))
                .await
            {
                // Admitted without a look-up: the flush counts what the
                // page cap drops.
                Ok(outcome) => self.record(&buffered.hit, buffered.at, outcome, true),
                Err(_) => {
                    let mut state = self.state();
                    state.buffer.push_front(buffered);
                    state.store_ok = false;
                    break;
                }
            }
        }
        self.metrics
            .hit_buffer
            .set(self.state().buffer.len() as i64);
    }

    /// Whether hits are waiting (buffered, pending, spilled or in flight).
    pub fn has_unwritten(&self) -> bool {
        let state = self.state();
        !state.buffer.is_empty()
            || !state.pending.is_empty()
            || state.inflight.is_some()
            || !state.spilled.is_empty()
    }

    /// Hits waiting in the outage buffer.
    pub fn buffered(&self) -> usize {
        self.state().buffer.len()
    }

    /// Flushes every interval until `shutdown` turns true.
    pub async fn run(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            self.cycle().await;
            // A short slice of housekeeping, every tick.
            if self.state().store_ok
                && let Err(e) = self.store.maintain(self.clock.now()).await
            {
                tracing::warn!(error = %e, "store housekeeping failed");
            }
        }
    }

    async fn cycle(&self) {
        let was_ok = self.state().store_ok;
        match self.flush().await {
            Ok(()) => {
                if !was_ok {
                    tracing::info!(buffered = self.buffered(), "store available again");
                }
                if self.buffered() > 0 {
                    self.replay().await;
                }
            }
            Err(e) if was_ok => {
                // A fresh look tells why (refused credentials, refused
                // connection) where the failed call may only have timed out.
                let cause = self.store.ping().await.err().unwrap_or(e);
                tracing::warn!(error = %cause, "store unavailable; buffering hits");
            }
            Err(_) => {}
        }
    }

    /// Writes everything waiting, trying until `deadline`; then makes the
    /// store durable. What the store would not take by then is spilled to
    /// the spill directory, and written by the next start. Used at
    /// shutdown.
    pub async fn drain(&self, deadline: Instant) {
        while self.has_unwritten() && Instant::now() < deadline {
            self.cycle().await;
            if self.has_unwritten() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        if self.has_unwritten() {
            self.spill();
        }
        if let Err(e) = self.store.sync().await {
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
