//! Every site's polls: one [`Voting`] per site, each with its own polls,
//! ballots, results and challenge levels; the one task that retracts the
//! ballots answered 503 for them all; the poll ids they label metrics by.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// The poll services of a deployment's sites.
pub struct Votings {
    sites: Arc<Sites>,
    by_site: HashMap<SiteId, Arc<Voting>>,
    /// Every site's, in id order.
    all: Vec<Arc<Voting>>,
    /// The poll service of the site deployment-wide operations speak of
    /// ([`Sites::primary`]).
    primary: Arc<Voting>,
    metrics: Arc<Metrics>,
}

impl Votings {
    /// Builds each site's poll service with `make`.
    pub fn new(
        sites: Arc<Sites>,
        metrics: Arc<Metrics>,
        mut make: impl FnMut(&SiteDef) -> Voting,
    ) -> Self {
        let all: Vec<Arc<Voting>> = sites
            .all()
            .into_iter()
            .map(|def| Arc::new(make(def)))
            .collect();
        let by_site: HashMap<SiteId, Arc<Voting>> = all
            .iter()
            .map(|voting| (voting.site().clone(), Arc::clone(voting)))
            .collect();
        let primary = by_site
            .get(&sites.primary().id)
            .cloned()
            .expect("the primary site is one of the sites");
        Self {
            sites,
            by_site,
            all,
            primary,
            metrics,
        }
    }

    pub fn sites(&self) -> &Arc<Sites> {
        &self.sites
    }

    /// The polls of `site`.
    pub fn get(&self, site: &SiteId) -> Option<&Arc<Voting>> {
        self.by_site.get(site)
    }

    /// The polls deployment-wide operations speak of.
    pub fn primary(&self) -> &Arc<Voting> {
        &self.primary
    }

    /// Every site's, in id order.
    pub fn all(&self) -> &[Arc<Voting>] {
        &self.all
    }

    /// Ballots answered 503 still waiting to be retracted, at every site.
    fn waiting(&self) -> usize {
        self.all.iter().map(|v| v.waiting()).sum()
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
            let waiting = self.all.iter().filter(|v| v.waiting() > 0);
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
        for voting in &self.all {
            voting.drain(deadline).await;
        }
    }
}
