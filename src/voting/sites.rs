//! Every site's polls: one [`Voting`] per site, each with its own polls,
//! ballots, results and challenge levels; the one task that retracts the
//! ballots answered 503 for them all; the poll ids they label metrics by.
//! A site created while tally runs gets its polls then ([`Votings::grow`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use futures_util::StreamExt as _;
use parking_lot::Mutex;
use tokio::sync::watch;

use super::{MOST_KNOWN_POLLS, Voting};
use crate::ids::{PollId, SiteId};
use crate::metrics::Metrics;
use crate::sites::{SiteDef, Sites};

/// Ids of polls seen to exist, on any site: ballot metrics are labelled
/// by poll only for these (at most [`MOST_KNOWN_POLLS`]), so a client
/// cannot invent label values, and a thousand sites' polls take no more
/// labels than one site's.
#[derive(Debug, Clone, Default)]
pub struct KnownPolls(Arc<Mutex<HashSet<PollId>>>);

impl KnownPolls {
    pub fn remember(&self, poll: &PollId) {
        let mut known = self.0.lock();
        // Looked up first: every ballot names a known poll, and a clone of
        // its id is an allocation.
        if !known.contains(poll) && known.len() < MOST_KNOWN_POLLS {
            known.insert(poll.clone());
        }
    }

    pub fn contains(&self, poll: &PollId) -> bool {
        self.0.lock().contains(poll)
    }
}

/// Sites whose retractions are tried at once.
const SITES_AT_ONCE: usize = 32;

/// How a site's poll service is made.
pub type MakeVoting = Box<dyn Fn(&SiteDef) -> Voting + Send + Sync>;

/// The sites and their polls at one moment, swapped whole when a site is
/// created while tally runs.
struct Tree {
    sites: Arc<Sites>,
    by_site: HashMap<SiteId, Arc<Voting>>,
    /// Every site's, in id order.
    all: Vec<Arc<Voting>>,
}

/// The poll services of a deployment's sites.
pub struct Votings {
    tree: ArcSwap<Tree>,
    /// The poll service of the site deployment-wide operations speak of
    /// ([`Sites::primary`]).
    primary: Arc<Voting>,
    metrics: Arc<Metrics>,
    make: MakeVoting,
}

impl Votings {
    /// Builds each site's poll service with `make`, which also builds
    /// those of the sites created later ([`Votings::grow`]).
    pub fn new(
        sites: Arc<Sites>,
        metrics: Arc<Metrics>,
        make: impl Fn(&SiteDef) -> Voting + Send + Sync + 'static,
    ) -> Self {
        let make: MakeVoting = Box::new(make);
        let tree = grown(None, sites, &make);
        let primary = tree
            .by_site
            .get(&tree.sites.primary().id)
            .cloned()
            .expect("the primary site is one of the sites");
        Self {
            tree: ArcSwap::from_pointee(tree),
            primary,
            metrics,
            make,
        }
    }

    /// Serves `sites` from now on: a poll service for each site that has
    /// none yet; the others keep theirs.
    pub fn grow(&self, sites: Arc<Sites>) {
        let now = self.tree.load_full();
        self.tree
            .store(Arc::new(grown(Some(&now), sites, &self.make)));
    }

    pub fn sites(&self) -> Arc<Sites> {
        Arc::clone(&self.tree.load().sites)
    }

    /// The polls of `site`.
    pub fn get(&self, site: &SiteId) -> Option<Arc<Voting>> {
        self.tree.load().by_site.get(site).cloned()
    }

    /// The polls deployment-wide operations speak of.
    pub fn primary(&self) -> &Arc<Voting> {
        &self.primary
    }

    /// Every site's, in id order.
    pub fn all(&self) -> Vec<Arc<Voting>> {
        self.tree.load().all.clone()
    }

    /// Ballots answered 503 still waiting to be retracted, at every site.
    fn waiting(&self) -> usize {
        self.tree.load().all.iter().map(|v| v.waiting()).sum()
    }

    /// Retracts the ballots answered 503, at every site, every `interval`
    /// until `shutdown`.
    pub async fn run(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            let tree = self.tree.load_full();
            let waiting = tree.all.iter().filter(|v| v.waiting() > 0);
            futures_util::stream::iter(waiting)
                .for_each_concurrent(SITES_AT_ONCE, |v| v.retract_waiting())
                .await;
            // Each site's journal sets the gauge to its own; it is the sum.
            self.metrics.retractions_waiting.set(self.waiting() as i64);
        }
    }

    /// Retracts what waits at every site, trying until `deadline`. Used
    /// at shutdown.
    pub async fn drain(&self, deadline: Instant) {
        for voting in self.all() {
            voting.drain(deadline).await;
        }
    }
}

/// `sites`' poll services: `now`'s, and one made for each site that has
/// none, every site's in id order.
fn grown(now: Option<&Tree>, sites: Arc<Sites>, make: &MakeVoting) -> Tree {
    let mut by_site: HashMap<SiteId, Arc<Voting>> =
        now.map_or_else(HashMap::new, |tree| tree.by_site.clone());
    for def in sites.all() {
        if !by_site.contains_key(&def.id) {
            by_site.insert(def.id.clone(), Arc::new(make(def)));
        }
    }
    let mut all: Vec<Arc<Voting>> = by_site.values().cloned().collect();
    all.sort_by(|a, b| a.site().as_str().cmp(b.site().as_str()));
    Tree {
        sites,
        by_site,
        all,
    }
}
