//! Every site's counter, and the one flush that serves them all. A
//! site's counter is built after its parent's and holds its ancestors', so
//! a hit is counted, when it is decided, for its site and every site above
//! it (the roll-up): no read ever adds sites up.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use tokio::sync::watch;

use super::Counter;
use super::flush::MOST_RETRY_WAIT;
use crate::calendar::Day;
use crate::ids::SiteId;
use crate::pacing::Backoff;
use crate::sites::{SiteDef, Sites};
use crate::store::StoreError;

/// Flushes under way at once: a deployment of a thousand sites reads
/// back the ones that need it in a few round trips' time, not one after
/// another.
const FLUSHES_AT_ONCE: usize = 32;

/// One site's visits on each day of a span.
pub struct SiteVisits<'a> {
    pub site: &'a SiteDef,
    /// Its figure, as its counter shows it: its own visits and those of
    /// the sites below it.
    pub visits: Vec<u64>,
    /// Its own pages' visits: its figure less its children's.
    pub own: Vec<u64>,
}

/// The counters of a deployment's sites.
pub struct Counters {
    sites: Arc<Sites>,
    by_site: HashMap<SiteId, Arc<Counter>>,
    /// Every counter, parents before their children.
    all: Vec<Arc<Counter>>,
    /// The counter of the site deployment-wide operations speak of
    /// ([`Sites::primary`]).
    primary: Arc<Counter>,
}

impl Counters {
    /// Builds each site's counter with `make`, given the counters of the
    /// site's ancestors (nearest first).
    pub fn new(
        sites: Arc<Sites>,
        mut make: impl FnMut(&SiteDef, Vec<Arc<Counter>>) -> Counter,
    ) -> Self {
        let mut defs = sites.all();
        // Parents first: a site's chain is longer than its parent's.
        defs.sort_by_key(|def| sites.chain(&def.id).len());
        let mut by_site: HashMap<SiteId, Arc<Counter>> = HashMap::with_capacity(defs.len());
        let mut all = Vec::with_capacity(defs.len());
        for def in defs {
            let ancestors = sites.chain(&def.id)[1..]
                .iter()
                .filter_map(|id| by_site.get(id).cloned())
                .collect();
            let counter = Arc::new(make(def, ancestors));
            by_site.insert(def.id.clone(), Arc::clone(&counter));
            all.push(counter);
        }
        let primary = by_site
            .get(&sites.primary().id)
            .cloned()
            .expect("the primary site is one of the sites");
        Self {
            sites,
            by_site,
            all,
            primary,
        }
    }

    pub fn sites(&self) -> &Arc<Sites> {
        &self.sites
    }

    /// The counter of `site`.
    pub fn get(&self, site: &SiteId) -> Option<&Arc<Counter>> {
        self.by_site.get(site)
    }

    /// The counter deployment-wide operations speak of.
    pub fn primary(&self) -> &Arc<Counter> {
        &self.primary
    }

    /// Every counter, parents before their children.
    pub fn all(&self) -> &[Arc<Counter>] {
        &self.all
    }

    /// Each site's visits on each day of `from..=to` (empty when `from`
    /// is after `to`), every site in id order; read a few sites at a time.
    pub async fn visits_per_day(
        &self,
        from: Day,
        to: Day,
    ) -> Result<Vec<SiteVisits<'_>>, StoreError> {
        let defs = self.sites.all();
        let counters: Vec<Arc<Counter>> = defs
            .iter()
            .filter_map(|def| self.by_site.get(&def.id).cloned())
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
            .map(|((site, visits), own)| SiteVisits { site, visits, own })
            .collect())
    }

    /// Whether hits are waiting anywhere.
    pub fn has_unwritten(&self) -> bool {
        self.all.iter().any(|c| c.has_unwritten())
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
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if Instant::now() < next_try {
                continue;
            }
            let due = self
                .all
                .iter()
                .filter(|c| Arc::ptr_eq(c, &self.primary) || c.due());
            futures_util::stream::iter(due)
                .for_each_concurrent(FLUSHES_AT_ONCE, |c| c.cycle())
                .await;
            if self.all.iter().any(|c| !c.store_ok()) {
                next_try = Instant::now() + backoff.failed();
                continue;
            }
            backoff.reset();
            self.primary.housekeeping().await;
        }
    }

    /// Writes everything waiting at every site, within `deadline` (see
    /// [`Counter::drain`]).
    pub async fn drain(&self, deadline: Instant) {
        for counter in &self.all {
            counter.drain(deadline).await;
        }
    }
}
