//! The visit counter: what a hit, a visit and a page view are, and how a
//! replica gets them into the store without one hot key.
//!
//! A hit is decided on the visitor's own state in one store round trip
//! ([`Store::touch`]): is it a new visit, a new view of this page? The
//! resulting increments of the site-wide counters are gathered in memory and
//! written by a background flush every `TALLY_FLUSH_INTERVAL` (100 ms by
//! default) as one idempotent batch, which also reads the counters back. So
//! the site-wide keys see a few writes a second per replica, whatever the
//! traffic, and a reader sees what the store said at the last flush plus
//! this replica's own increments since: exact for this replica, at most one
//! flush interval behind for the others.
//!
//! When the store is unavailable, hits wait in a bounded buffer and are
//! decided when it returns; answers meanwhile say `stale`.

mod pages;
mod pending;
pub mod visit;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::calendar::{Calendar, Period};
use crate::clock::Clock;
use crate::ids::{PageId, PageKey, SiteId, VisitorKey, hex};
use crate::metrics::{DropReason, Metrics};
use crate::privacy::random;
use crate::store::{CounterQuery, CounterSnapshot, Store, StoreError, Touch, TouchOutcome};
use pages::PageCache;
pub use pending::Totals;
use pending::{InFlight, Pending, compose};

/// A visitor counts as online for this long after their last hit.
pub const ONLINE_WINDOW: SignedDuration = SignedDuration::from_mins(5);
/// Buffered hits replayed per flush while the store catches up.
const REPLAY_PER_FLUSH: usize = 5_000;
/// Most pages one visitor's state remembers within a visit window; see
/// [`visit`] for what happens beyond.
pub const MOST_PAGES_PER_VISITOR: u32 = 512;

/// One page load by a visitor (not a bot).
#[derive(Debug, Clone)]
pub struct Hit {
    pub visitor: VisitorKey,
    /// The address-hash identity whose live visit `visitor` may continue
    /// (see [`crate::store::Touch::inherit`]).
    pub inherit: Option<VisitorKey>,
    pub page: Option<PageId>,
}

/// The counter as answered to a visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterView {
    pub totals: Totals,
    pub page: Option<PageId>,
    /// True when the store could not be reached: the numbers are the last
    /// known ones plus this replica's own hits.
    pub stale: bool,
}

/// Settings the counter needs.
#[derive(Debug, Clone)]
pub struct CounterSettings {
    pub visit_window: Duration,
    pub max_pages: u64,
    pub hit_buffer: usize,
}

/// A hit on its way to the store: when it happened and its id, which makes
/// sending it again (after an answer was lost) safe.
struct PendingHit {
    hit: Hit,
    at: Timestamp,
    /// The local day of `at`, as `yyyymmdd`.
    day: u32,
    id: u64,
}

struct State {
    stored: CounterSnapshot,
    stored_period: Option<Arc<Period>>,
    pages: PageCache,
    inflight: Option<InFlight>,
    pending: Pending,
    buffer: VecDeque<PendingHit>,
    store_ok: bool,
}

/// The site's visit counter.
pub struct Counter {
    store: Arc<dyn Store>,
    site: SiteId,
    calendar: Calendar,
    clock: Arc<dyn Clock>,
    settings: CounterSettings,
    metrics: Arc<Metrics>,
    /// Batch ids are this replica's random prefix and a sequence number.
    batch_prefix: String,
    batch_seq: AtomicU64,
    state: Mutex<State>,
    /// One flush at a time, and no page read while one is under way (so a
    /// page's count and the batch in flight are never added twice).
    flushing: tokio::sync::RwLock<()>,
    /// Today's period and the span of time it holds for.
    period: Mutex<Option<(Timestamp, Timestamp, Arc<Period>)>>,
}

impl Counter {
    pub fn new(
        store: Arc<dyn Store>,
        site: SiteId,
        calendar: Calendar,
        clock: Arc<dyn Clock>,
        settings: CounterSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            site,
            calendar,
            clock,
            settings,
            metrics,
            batch_prefix: hex(&random::<8>()),
            batch_seq: AtomicU64::new(0),
            state: Mutex::new(State {
                stored: CounterSnapshot::default(),
                stored_period: None,
                pages: PageCache::default(),
                inflight: None,
                pending: Pending::default(),
                buffer: VecDeque::new(),
                store_ok: true,
            }),
            flushing: tokio::sync::RwLock::new(()),
            period: Mutex::new(None),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("counter state lock")
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.settings.visit_window.as_millis()).unwrap_or(i64::MAX)
    }

    fn touch_of(&self, pending: &PendingHit) -> Touch {
        Touch {
            visitor: pending.hit.visitor.clone(),
            inherit: pending.hit.inherit.clone(),
            page: pending.hit.page.as_ref().map(PageKey::of),
            at_ms: pending.at.as_millisecond(),
            day: pending.day,
            window_ms: self.window_ms(),
            max_pages: MOST_PAGES_PER_VISITOR,
            id: pending.id,
        }
    }

    /// Counts a page load and answers the counter.
    pub async fn hit(&self, hit: Hit) -> CounterView {
        let page = hit.page.clone();
        let at = self.clock.now();
        let pending = PendingHit {
            hit,
            at,
            day: self.period(at).today_code,
            id: u64::from_le_bytes(random()),
        };
        if self.state().store_ok {
            match self.store.touch(&self.site, &self.touch_of(&pending)).await {
                Ok(outcome) => {
                    let kept = match &pending.hit.page {
                        Some(page) if outcome.new_page_view => self.page_admitted(page).await,
                        _ => true,
                    };
                    self.record(&pending.hit, pending.at, outcome, kept);
                    self.metrics.hits.with_label_values(&["counted"]).inc();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "store unavailable; buffering hits");
                    self.buffer(pending);
                }
            }
        } else {
            self.buffer(pending);
        }
        self.view(page.as_ref()).await
    }

    /// Adds what a decided hit counts to the increments waiting for the
    /// next flush. `kept`: a new page view fits under `TALLY_MAX_PAGES`.
    fn record(&self, hit: &Hit, at: Timestamp, outcome: TouchOutcome, kept: bool) {
        let buckets = outcome.new_visit.then(|| self.calendar.buckets(at));
        let page = hit.page.as_ref().filter(|_| outcome.new_page_view && kept);
        if outcome.new_page_view && !kept {
            self.metrics.views_dropped(DropReason::SiteCap, 1);
        }
        if outcome.capped {
            self.metrics.views_dropped(DropReason::VisitorCap, 1);
        }
        // Online counts visits: one person is one, whichever identity
        // their hits carried.
        let online_since = self.clock.now() - ONLINE_WINDOW;
        let seen = (at >= online_since).then_some((outcome.visit, at.as_millisecond()));
        if outcome.new_visit {
            self.metrics.visits.inc();
        }
        if page.is_some() {
            self.metrics.page_views.inc();
        }
        if !self.state().pending.record(buckets, page, seen) {
            self.metrics.views_dropped(DropReason::BatchCap, 1);
        }
    }

    /// Whether a new view of `page` will be kept under `TALLY_MAX_PAGES`,
    /// so the answer shows what is stored. Far below the cap it is; near
    /// it, a page the store does not have yet is looked up. Across
    /// replicas a view admitted here may still be dropped by the flush
    /// (and counted in the metric).
    async fn page_admitted(&self, page: &PageId) -> bool {
        {
            let state = self.state();
            let waiting = state.pending.page_count()
                + state.inflight.as_ref().map_or(0, InFlight::page_count);
            let room = state.stored.distinct_pages + (waiting as u64) < self.settings.max_pages;
            let known = state.pending.has_page(page)
                || state.inflight.as_ref().is_some_and(|f| f.has_page(page))
                || state.pages.holds(page);
            if room || known {
                return true;
            }
        }
        match self
            .store
            .page_views(&self.site, std::slice::from_ref(page))
            .await
        {
            Ok(views) => {
                let n = views.first().copied().unwrap_or(0);
                self.state().pages.insert(page.clone(), n);
                n > 0
            }
            // Cannot tell: the flush counts what it drops.
            Err(_) => true,
        }
    }

    fn buffer(&self, pending: PendingHit) {
        let mut state = self.state();
        state.store_ok = false;
        if state.buffer.len() < self.settings.hit_buffer {
            state.buffer.push_back(pending);
            self.metrics.hits.with_label_values(&["buffered"]).inc();
        } else {
            self.metrics.hit_buffer_dropped.inc();
        }
        self.metrics.hit_buffer.set(state.buffer.len() as i64);
    }

    /// The day, week and month keys at `now`, computed once a day.
    fn period(&self, now: Timestamp) -> Arc<Period> {
        let mut memo = self.period.lock().expect("period lock");
        match memo.as_ref() {
            Some((begins, ends, period)) if *begins <= now && now < *ends => Arc::clone(period),
            _ => {
                let (begins, ends) = self.calendar.day_span(now);
                let period = Arc::new(self.calendar.period(now));
                *memo = Some((begins, ends, Arc::clone(&period)));
                period
            }
        }
    }

    /// The counter, counting nothing.
    pub async fn view(&self, page: Option<&PageId>) -> CounterView {
        let now = self.clock.now();
        let period = self.period(now);
        let (store_ok, current, cached) = {
            let mut state = self.state();
            let cached = page.map(|p| state.pages.get(p));
            (
                state.store_ok,
                state.stored_period.as_deref() == Some(&*period),
                cached,
            )
        };
        // Errors leave the state stale, which the answer says.
        if store_ok && !current {
            // At start and at midnight.
            let _ = self.flush().await;
        }
        let stored_views = match (page, cached) {
            (Some(page), Some(None)) if store_ok => self.read_page(page).await,
            (_, Some(Some(views))) => views,
            _ => 0,
        };
        let state = self.state();
        let stored_period = state.stored_period.as_deref().unwrap_or(&period);
        let totals = compose(
            &state.stored,
            stored_period,
            stored_views,
            state.inflight.as_ref(),
            &state.pending,
            page,
            &period,
        );
        CounterView {
            totals,
            page: page.cloned(),
            stale: !state.store_ok || !state.buffer.is_empty() || state.stored_period.is_none(),
        }
    }

    /// Reads a page's count from the store and keeps it at hand.
    async fn read_page(&self, page: &PageId) -> u64 {
        let _no_flush = self.flushing.read().await;
        match self
            .store
            .page_views(&self.site, std::slice::from_ref(page))
            .await
        {
            Ok(views) => {
                let n = views.first().copied().unwrap_or(0);
                self.state().pages.insert(page.clone(), n);
                n
            }
            Err(_) => 0,
        }
    }

    /// Writes what is pending as one batch and reads the counters back.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.flushing.write().await;
        let started = Instant::now();
        let now = self.clock.now();
        let period = self.period(now);
        let (batch, pages) = {
            let mut state = self.state();
            if state.inflight.is_none() && !state.pending.is_empty() {
                let seq = self.batch_seq.fetch_add(1, Ordering::Relaxed);
                let id = format!("{}-{seq}", self.batch_prefix);
                state.inflight = Some(state.pending.take_batch(id));
            }
            let pages = state.pages.take_asked();
            (state.inflight.as_ref().map(|f| f.batch.clone()), pages)
        };
        let query = CounterQuery {
            today: period.now.day.clone(),
            yesterday: period.yesterday.clone(),
            week: period.now.week.clone(),
            month: period.now.month.clone(),
            online_since_ms: (now - ONLINE_WINDOW).as_millisecond(),
            pages,
        };
        let result = self
            .store
            .apply(&self.site, batch.as_ref(), &query, self.settings.max_pages)
            .await;
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

    /// Whether hits are waiting (buffered, pending or in flight).
    pub fn has_unwritten(&self) -> bool {
        let state = self.state();
        !state.buffer.is_empty() || !state.pending.is_empty() || state.inflight.is_some()
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
            if self.state().store_ok {
                let now = self.clock.now().as_millisecond();
                if let Err(e) = self.store.maintain(now).await {
                    tracing::warn!(error = %e, "store housekeeping failed");
                }
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
            Err(e) if was_ok => tracing::warn!(error = %e, "counter flush failed"),
            Err(_) => {}
        }
    }

    /// Writes everything waiting, trying until `deadline`; then makes the
    /// store durable. Used at shutdown.
    pub async fn drain(&self, deadline: Instant) {
        while self.has_unwritten() && Instant::now() < deadline {
            self.cycle().await;
            if self.has_unwritten() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let left = self.state().buffer.len();
        if left > 0 || self.has_unwritten() {
            tracing::error!(buffered = left, "shutting down with hits not written");
        }
        if let Err(e) = self.store.sync().await {
            tracing::error!(error = %e, "store sync at shutdown failed");
        }
    }
}
