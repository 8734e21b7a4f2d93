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

mod flush;
mod pages;
mod pending;
mod previous;
mod record;
mod replay;
mod sites;
mod spill;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use jiff::{SignedDuration, Timestamp};

use crate::calendar::{Calendar, Day, Period};
use crate::clock::Clock;
use crate::ids::{PageId, PageKey, SiteId, VisitorKey, hex, random, random_id};
use crate::metrics::Metrics;
use crate::site::Site;
use crate::store::{Batch, CounterSnapshot, Store, StoreError, Touch};
use pages::{PageCache, PageReads};
pub use pending::Totals;
use pending::{InFlight, Pending, compose};
pub use previous::Previous;
pub use sites::{Counters, SiteVisits};
use spill::Spill;

/// A visitor counts as online for this long after their last hit.
pub const ONLINE_WINDOW: SignedDuration = SignedDuration::from_mins(5);
/// Buffered hits replayed per flush while the store catches up.
const REPLAY_PER_FLUSH: usize = 5_000;
/// An answer read from a counter the flush has not read back for this
/// long (an idle site's) reads it first: longer than a quiet site waits
/// for its flush at the default interval, so hits on a province's quiet
/// sites leave their reads to the flush.
const READ_BACK_AFTER: Duration = Duration::from_secs(3);
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
    /// Last week's and last month's visits.
    pub previous: Previous,
    pub page: Option<PageId>,
    /// True when the store could not be reached: the numbers are the last
    /// known ones plus this replica's own hits.
    pub stale: bool,
}

/// Why a hit was answered but not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncounted {
    /// A crawler, previewer or HTTP library, or no User-Agent.
    Bot,
    /// From a page that is not one of its site's origins.
    ForeignOrigin,
    /// Sites are configured and it named none (refused).
    NoSite,
    /// It named a site that is not one (refused).
    UnknownSite,
}

/// Settings the counter needs.
#[derive(Debug, Clone)]
pub struct CounterSettings {
    pub visit_window: Duration,
    pub max_pages: u64,
    /// Most-read pages each past day keeps in the history.
    pub top_pages: u32,
    /// Days the history keeps each day's most-read pages.
    pub page_days: u32,
    pub hit_buffer: usize,
    /// Where hits the store would not take at shutdown wait for the next start (`None`: lost, logged).
    pub spill_dir: Option<PathBuf>,
    /// Most pages whose counts are kept at hand (`TALLY_PAGE_CACHE`).
    pub page_cache: usize,
}

/// A hit on its way to the store: when it happened and its id, which makes
/// sending it again (after an answer was lost) safe.
struct PendingHit {
    hit: Hit,
    at: Timestamp,
    /// The local day of `at`.
    day: Day,
    id: u64,
}

struct State {
    stored: CounterSnapshot,
    stored_period: Option<Arc<Period>>,
    /// When the store last said `stored`.
    stored_at: Option<Instant>,
    pages: PageCache,
    inflight: Option<InFlight>,
    pending: Pending,
    buffer: VecDeque<PendingHit>,
    /// Batches a previous run spilled, written before new ones.
    spilled: VecDeque<Batch>,
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
    /// Page counts being read from the store, one read per page.
    page_reads: PageReads,
    /// One flush at a time, and no page read while one is under way (so a
    /// page's count and the batch in flight are never added twice).
    flushing: tokio::sync::RwLock<()>,
    /// Today's period and the span of time it holds for.
    period: Mutex<Option<(Timestamp, Timestamp, Arc<Period>)>>,
    previous: previous::Kept,
    /// Failures that repeat are logged at most once in a while.
    quiet: flush::Quiet,
    /// The counters of the sites whose figures include this one's, nearest
    /// first: a hit counted here is counted there too. Swapped when the
    /// site is moved under another parent while tally runs.
    ancestors: arc_swap::ArcSwap<Vec<Arc<Counter>>>,
    /// Whether an answer was read since the last flush: an idle site's
    /// counter is not read back every interval.
    asked: AtomicBool,
}

impl Counter {
    /// The counter of `site`, whose hits also count for `ancestors` (the
    /// counters of its parent, its parent's parent…, nearest first).
    pub fn new(site: Site, settings: CounterSettings, ancestors: Vec<Arc<Counter>>) -> Self {
        let Site {
            id: site,
            store,
            calendar,
            clock,
            metrics,
        } = site;
        let spilled = settings
            .spill_dir
            .as_deref()
            .map(Spill::take_all)
            .unwrap_or_default();
        if !spilled.is_empty() {
            tracing::info!(
                hits = spilled.hits.len(),
                batches = spilled.batches.len(),
                "writing what the last shutdown spilled"
            );
        }
        let page_cache = settings.page_cache;
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
                stored_at: None,
                pages: PageCache::new(page_cache),
                inflight: None,
                pending: Pending::default(),
                buffer: spilled.hits.into(),
                spilled: spilled.batches.into(),
                store_ok: true,
            }),
            page_reads: PageReads::default(),
            flushing: tokio::sync::RwLock::new(()),
            period: Mutex::new(None),
            previous: previous::Kept::default(),
            quiet: flush::Quiet::default(),
            ancestors: arc_swap::ArcSwap::from_pointee(ancestors),
            asked: AtomicBool::new(true),
        }
    }

    pub fn site(&self) -> &SiteId {
        &self.site
    }

    /// The visits stored for each day of `from..=to`.
    pub async fn visits_by_day(&self, from: Day, to: Day) -> Result<Vec<u64>, StoreError> {
        self.store.visits_by_day(&self.site, from, to).await
    }

    fn state(&self) -> parking_lot::MutexGuard<'_, State> {
        self.state.lock()
    }

    fn window(&self) -> SignedDuration {
        SignedDuration::try_from(self.settings.visit_window).unwrap_or(SignedDuration::MAX)
    }

    fn touch_of(&self, pending: &PendingHit) -> Touch {
        Touch {
            visitor: pending.hit.visitor.clone(),
            inherit: pending.hit.inherit.clone(),
            page: pending.hit.page.as_ref().map(PageKey::of),
            at: pending.at,
            day: pending.day,
            window: self.window(),
            max_pages: MOST_PAGES_PER_VISITOR,
            id: pending.id,
        }
    }

    /// Notes a hit answered but not counted, and answers the counter.
    pub async fn not_counted(&self, why: Uncounted, page: Option<&PageId>) -> CounterView {
        self.uncounted(why);
        self.view(page).await
    }

    /// Notes a hit not counted.
    pub fn uncounted(&self, why: Uncounted) {
        let outcome = match why {
            Uncounted::Bot => 1,
            Uncounted::ForeignOrigin => 3,
            Uncounted::NoSite => 4,
            Uncounted::UnknownSite => 5,
        };
        self.metrics.hit_outcomes[outcome].inc();
    }

    /// Sets the visits counted before tally (the baseline), read back at
    /// once so that the next answers carry it.
    pub async fn set_baseline(&self, baseline: u64) -> Result<(), crate::store::StoreError> {
        self.store.set_baseline(&self.site, baseline).await?;
        self.flush().await
    }
    /// The baseline as the store holds it now.
    pub async fn stored_baseline(&self) -> Result<u64, crate::store::StoreError> {
        self.flush().await?;
        Ok(self.state().stored.baseline)
    }

    /// Counts a page load and answers the counter.
    pub async fn hit(&self, hit: Hit) -> CounterView {
        let page = hit.page.clone();
        let at = self.clock.now();
        let pending = PendingHit {
            hit,
            at,
            day: self.period(at).now.day,
            id: random_id(),
        };
        if self.state().store_ok {
            match self.store.touch(&self.site, &self.touch_of(&pending)).await {
                Ok(outcome) => {
                    let kept = match &pending.hit.page {
                        Some(page) if outcome.new_page_view => self.page_admitted(page).await,
                        _ => true,
                    };
                    self.record(&pending.hit, pending.at, outcome, kept);
                    self.metrics.hit_outcomes[0].inc();
                }
                Err(e) => {
                    self.buffering(&e);
                    self.buffer(pending);
                }
            }
        } else {
            self.buffer(pending);
        }
        self.view(page.as_ref()).await
    }

    /// The day, week and month keys at `now`, computed once a day.
    fn period(&self, now: Timestamp) -> Arc<Period> {
        let mut memo = self.period.lock();
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
        self.asked.store(true, Ordering::Relaxed);
        let (store_ok, current, fresh, cached) = {
            let mut state = self.state();
            let cached = page.map(|p| state.pages.get(p));
            let fresh = state
                .stored_at
                .is_some_and(|at| at.elapsed() < READ_BACK_AFTER);
            let current = state.stored_period.as_deref() == Some(&*period);
            (state.store_ok, current, fresh, cached)
        };
        // At start and at midnight; and on an idle site's first answer,
        // unless a flush is under way (under load, answers do not queue
        // for flushes of their own). Errors leave the state stale, which
        // the answer says.
        if store_ok && (!current || (!fresh && self.flushing.try_write().is_ok())) {
            let _ = self.flush().await;
        }
        let stored_views = match (page, cached) {
            (Some(page), Some(None)) if store_ok => self.read_page(page).await,
            (_, Some(Some(views))) => views,
            _ => 0,
        };
        let previous = self
            .previous
            .of(&*self.store, &self.site, period.now.day)
            .await;
        let state = self.state();
        // A flush may have ended since the page was read (the reads above
        // wait): the page's count as the last flush left it then goes with
        // the pending and in-flight views of this same moment, so a view
        // that just moved into the store is not lost from the answer.
        let stored_views = page
            .and_then(|p| state.pages.peek(p))
            .unwrap_or(stored_views);
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
            previous,
            page: page.cloned(),
            stale: !state.store_ok || !state.buffer.is_empty() || state.stored_period.is_none(),
        }
    }
}
