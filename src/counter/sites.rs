//! Every site's counter, and the one flush that serves them all. A
//! site's counter is built after its parent's and holds its ancestors', so
//! a hit is counted, when it is decided, for its site and every site above
//! it (the roll-up): no read ever adds sites up. A site created while
//! tally runs gets its counter then ([`Counters::grow`]); a site moved
//! counts for its new chain from then.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use futures_util::StreamExt as _;
use tokio::sync::watch;

use super::Counter;
use super::flush::{Due, MOST_RETRY_WAIT};
use crate::calendar::Day;
use crate::ids::SiteId;
use crate::pacing::Backoff;
use crate::sites::{SiteDef, Sites};
use crate::store::{SiteFlush, StoreError};

/// Most sites in one store call: a tick of a thousand sites' flushes
/// takes a few round trips (one write transaction each, embedded), and
/// no call holds Redis, and the hits' touches behind it, for long.
const SITES_PER_CALL: usize = 32;

/// A quiet site is written once in this many ticks (see [`Counter::due`]).
const QUIET_TICKS: u32 = 10;

/// Reads (and outage replays) under way at once.
const FLUSHES_AT_ONCE: usize = 32;

/// One site's visits on each day of a span.
pub struct SiteVisits {
    pub site: SiteDef,
    /// Its figure, as its counter shows it: its own visits and those of
    /// the sites below it.
    pub visits: Vec<u64>,
    /// Its own pages' visits: its figure less its children's.
    pub own: Vec<u64>,
}

/// How a site's counter is made, given its ancestors' (nearest first).
pub type MakeCounter = Box<dyn Fn(&SiteDef, Vec<Arc<Counter>>) -> Counter + Send + Sync>;

/// The sites and their counters at one moment: swapped whole when a site
/// is created while tally runs, so a hit loads one pointer.
struct Tree {
    sites: Arc<Sites>,
    by_site: HashMap<SiteId, Arc<Counter>>,
    /// Every counter, parents before their children.
    all: Vec<Arc<Counter>>,
}

/// The counters of a deployment's sites.
pub struct Counters {
    tree: ArcSwap<Tree>,
    /// The counter of the site deployment-wide operations speak of
    /// ([`Sites::primary`]).
    primary: Arc<Counter>,
    make: MakeCounter,
}

impl Counters {
    /// Builds each site's counter with `make`, given the counters of the
    /// site's ancestors (nearest first); `make` builds those of the sites
    /// created later ([`Counters::grow`]).
    pub fn new(
        sites: Arc<Sites>,
        make: impl Fn(&SiteDef, Vec<Arc<Counter>>) -> Counter + Send + Sync + 'static,
    ) -> Self {
        let make: MakeCounter = Box::new(make);
        let tree = grown(None, sites, &make);
        let primary = tree
            .by_site
            .get(&tree.sites.primary().id)
            .cloned()
            .expect("the primary site is one of the sites");
        Self {
            tree: ArcSwap::from_pointee(tree),
            primary,
            make,
        }
    }

    /// Serves `sites` from now on: a counter for each site that has none
    /// yet (a site created since), built after its parent's; the others
    /// keep theirs.
    pub fn grow(&self, sites: Arc<Sites>) {
        let now = self.tree.load_full();
        self.tree
            .store(Arc::new(grown(Some(&now), sites, &self.make)));
    }

    pub fn sites(&self) -> Arc<Sites> {
        Arc::clone(&self.tree.load().sites)
    }

    /// The counter of `site`.
    pub fn get(&self, site: &SiteId) -> Option<Arc<Counter>> {
        self.tree.load().by_site.get(site).cloned()
    }

    /// The counter deployment-wide operations speak of.
    pub fn primary(&self) -> &Arc<Counter> {
        &self.primary
    }

    /// Every counter, parents before their children.
    pub fn all(&self) -> Vec<Arc<Counter>> {
        self.tree.load().all.clone()
    }

    /// Each site's visits on each day of `from..=to` (empty when `from`
    /// is after `to`), every site in id order; read a few sites at a time.
    pub async fn visits_per_day(&self, from: Day, to: Day) -> Result<Vec<SiteVisits>, StoreError> {
        let tree = self.tree.load_full();
        let defs = tree.sites.all();
        let counters: Vec<Arc<Counter>> = defs
            .iter()
            .filter_map(|def| tree.by_site.get(&def.id).cloned())
            .collect();
        let read = counters.into_iter().map(|counter| async move {
            match from <= to {
                true => counter.visits_by_day(from, to).await,
                false => Ok(Vec::new()),
            }
        });
        let figures: Vec<Vec<u64>> = futures_util::stream::iter(read)
            .buffered(FLUSHES_AT_ONCE)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        // A site's own visits: its figure less its children's figures.
        let own = defs
            .iter()
            .zip(&figures)
            .map(|(def, visits)| {
                let mut own = visits.clone();
                let children = defs
                    .iter()
                    .zip(&figures)
                    .filter(|(d, _)| d.parent.as_ref() == Some(&def.id));
                for (_, theirs) in children {
                    for (mine, theirs) in own.iter_mut().zip(theirs) {
                        *mine = mine.saturating_sub(*theirs);
                    }
                }
                own
            })
            .collect::<Vec<_>>();
        Ok(defs
            .into_iter()
            .zip(figures)
            .zip(own)
            .map(|((site, visits), own)| SiteVisits {
                site: site.clone(),
                visits,
                own,
            })
            .collect())
    }

    /// Whether every site has written what it recorded before `at`.
    pub fn written_since(&self, at: Instant) -> bool {
        self.tree.load().all.iter().all(|c| c.written_since(at))
    }

    /// Whether hits are waiting anywhere.
    pub fn has_unwritten(&self) -> bool {
        self.tree.load().all.iter().any(|c| c.has_unwritten())
    }

    /// Every interval until `shutdown` turns true, flushes each counter
    /// that has something to write or was read since, and the primary
    /// always; then a slice of the store's housekeeping. While the store
    /// fails, tries after a growing delay (up to [`MOST_RETRY_WAIT`]).
    pub async fn run(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backoff = Backoff::new(interval, MOST_RETRY_WAIT.max(interval));
        let mut next_try = Instant::now();
        let quiet_every = interval * QUIET_TICKS;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if Instant::now() < next_try {
                continue;
            }
            // The busy sites, and the quiet ones a share at a time, so a
            // thousand quiet sites do not all come due on the same tick.
            let tree = self.tree.load_full();
            let quiet_share = (tree.all.len() / QUIET_TICKS as usize).max(FLUSHES_AT_ONCE);
            let mut quiet = 0;
            let due: Vec<&Arc<Counter>> = tree
                .all
                .iter()
                .filter(|c| match c.due(quiet_every) {
                    _ if Arc::ptr_eq(c, &self.primary) => true,
                    Due::Now => true,
                    Due::Quiet if quiet < quiet_share => {
                        quiet += 1;
                        true
                    }
                    Due::Quiet | Due::No => false,
                })
                .collect();
            self.flush_all(&due).await;
            if tree.all.iter().any(|c| !c.store_ok()) {
                next_try = Instant::now() + backoff.failed();
                continue;
            }
            backoff.reset();
            self.primary.housekeeping().await;
        }
    }

    /// Flushes the counters `due`, [`SITES_PER_CALL`] sites to a store
    /// call. A counter whose own flush is under way (an idle site's read)
    /// is left for the next tick.
    async fn flush_all(&self, due: &[&Arc<Counter>]) {
        for chunk in due.chunks(SITES_PER_CALL) {
            let (held, flushes): (Vec<_>, Vec<SiteFlush>) = chunk
                .iter()
                .filter_map(|c| {
                    let guard = c.flushing.try_write().ok()?;
                    let was_ok = c.store_ok();
                    let (started, flush) = c.prepare();
                    Some(((*c, guard, was_ok, started), flush))
                })
                .unzip();
            if flushes.is_empty() {
                continue;
            }
            let answers = match self.primary.store.apply_sites(&flushes).await {
                Ok(answers) if answers.len() == flushes.len() => answers,
                Ok(_) => vec![
                    Err(StoreError::Corrupt(
                        "a flush's answers do not match its sites".into()
                    ));
                    flushes.len()
                ],
                Err(e) => vec![Err(e); flushes.len()],
            };
            let mut first_failure = None;
            let mut recovered = Vec::new();
            for ((counter, guard, was_ok, started), (flush, answer)) in
                held.into_iter().zip(flushes.iter().zip(answers))
            {
                let flushed = counter.finish(started, flush, answer);
                drop(guard);
                match flushed {
                    Ok(()) => recovered.push((counter, was_ok)),
                    Err(e) if was_ok && first_failure.is_none() => first_failure = Some(e),
                    Err(_) => {}
                }
            }
            futures_util::stream::iter(recovered)
                .for_each_concurrent(FLUSHES_AT_ONCE, |(c, was_ok)| c.recovered(was_ok))
                .await;
            if let Some(e) = first_failure {
                self.primary.failing(e).await;
            }
        }
    }

    /// Writes everything waiting at every site, trying until `deadline`;
    /// then spills what the store would not take, to be written by the next
    /// start, and makes the store durable.
    pub async fn drain(&self, deadline: Instant) {
        let tree = self.tree.load_full();
        loop {
            let waiting: Vec<&Arc<Counter>> =
                tree.all.iter().filter(|c| c.has_unwritten()).collect();
            if waiting.is_empty() || Instant::now() >= deadline {
                break;
            }
            self.flush_all(&waiting).await;
            if self.has_unwritten() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        for counter in &tree.all {
            counter
                .spill_rest(Arc::ptr_eq(counter, &self.primary))
                .await;
        }
    }
}

/// `sites`' counters: `now`'s, and one made for each site that has none,
/// parents first (a site's chain is longer than its parent's).
fn grown(now: Option<&Tree>, sites: Arc<Sites>, make: &MakeCounter) -> Tree {
    let mut defs = sites.all();
    defs.sort_by_key(|def| sites.chain(&def.id).len());
    let mut by_site: HashMap<SiteId, Arc<Counter>> = now.map_or_else(
        || HashMap::with_capacity(defs.len()),
        |tree| tree.by_site.clone(),
    );
    let mut all = now.map_or_else(Vec::new, |tree| tree.all.clone());
    for def in defs {
        let ancestors: Vec<Arc<Counter>> = sites.chain(&def.id)[1..]
            .iter()
            .filter_map(|id| by_site.get(id).cloned())
            .collect();
        if let Some(counter) = by_site.get(&def.id) {
            // A site moved under another parent counts for its new chain.
            let chain: Vec<SiteId> = ancestors.iter().map(|c| c.site().clone()).collect();
            if counter.ancestor_sites() != chain {
                counter.count_for(ancestors);
            }
            continue;
        }
        let counter = Arc::new(make(def, ancestors));
        by_site.insert(def.id.clone(), Arc::clone(&counter));
        all.push(counter);
    }
    Tree {
        sites,
        by_site,
        all,
    }
}
