//! The sites while tally runs: the sites file's, read at start, and those
//! defined through the admin API and the console, kept in the store
//! ([`crate::store::Defined`]). A site created on one replica is served
//! there at once, and on the others within [`REREAD_EVERY`]: each replica
//! of a Redis store asks the store's definitions' version on that beat,
//! and reads them again when it moved (the embedded store has one
//! process, which serves what it writes). Serving a new set of sites grows every per-site
//! service (counters, polls, their changes) by the sites that were not
//! there, and sets the rest to the sites served: rate limits, CORS (an
//! origin no site has is refused at once), retention (a site deleted is
//! a removed site), backups. A site no longer served is not found.

mod define;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::archive::Backups;
use crate::clock::Clock;
use crate::counter::{Counter, Counters};
use crate::edge::limit::RateLimits;
use crate::edge::origin::CorsOrigins;
use crate::editing::{Editing, Editings};
use crate::retention::Retention;
use crate::sites::{Sites, SitesFileDefaults};
use crate::store::{Store, StoreError};
use crate::voting::{Voting, Votings};

pub use define::DefineError;

/// How often a replica asks whether the sites defined in the store
/// changed: a site created on another replica is served here within it.
pub const REREAD_EVERY: Duration = Duration::from_secs(2);

/// How a site's changes are made, given its polls and its counter.
pub type MakeEditing = Box<dyn Fn(&Arc<Voting>, &Arc<Counter>) -> Editing + Send + Sync>;

/// The per-site services a new site needs.
pub struct Services {
    pub counters: Arc<Counters>,
    pub votings: Arc<Votings>,
    pub editings: Arc<Editings>,
    pub make_editing: MakeEditing,
    pub rate_limits: Arc<RateLimits>,
    pub cors: Arc<CorsOrigins>,
    pub retention: Arc<Retention>,
    pub backups: Arc<Backups>,
}

/// The deployment's sites, the file's and the store's, and every service
/// that keeps something per site.
pub struct SiteBook {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// The sites file's sites (or the one site `default`).
    file: Arc<Sites>,
    defaults: SitesFileDefaults,
    services: Services,
    /// The store's definitions' version last served; `u64::MAX` before
    /// the first read.
    version: AtomicU64,
    /// One change of the sites at a time on this replica.
    changing: tokio::sync::Mutex<()>,
}

impl SiteBook {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        defaults: SitesFileDefaults,
        services: Services,
    ) -> Self {
        Self {
            store,
            clock,
            file: services.counters.sites(),
            defaults,
            services,
            version: AtomicU64::new(u64::MAX),
            changing: tokio::sync::Mutex::new(()),
        }
    }

    /// The sites served now.
    pub fn sites(&self) -> Arc<Sites> {
        self.services.counters.sites()
    }

    /// What a site takes from the deployment's settings when it does not
    /// say.
    pub fn defaults(&self) -> &SitesFileDefaults {
        &self.defaults
    }

    /// Reads the store's definitions if they changed since last served,
    /// and serves them. Without a sites file there are none.
    pub async fn reread(&self) -> Result<(), StoreError> {
        if !self.file.configured() {
            return Ok(());
        }
        let _one = self.changing.lock().await;
        self.reread_held().await
    }

    /// [`SiteBook::reread`], the change lock held.
    async fn reread_held(&self) -> Result<(), StoreError> {
        let version = self.store.sites_version().await?;
        if version == self.version.load(Ordering::Acquire) {
            return Ok(());
        }
        let stored = self.store.defined_sites().await?;
        self.serve(self.file.with_stored(&stored, &self.defaults));
        self.version.store(version, Ordering::Release);
        Ok(())
    }

    /// Serves `sites`: each per-site service grows by the sites it does
    /// not have; polls before counters, so a site the counters know has
    /// its polls.
    fn serve(&self, sites: Arc<Sites>) {
        let s = &self.services;
        let before = s.counters.sites().len();
        s.votings.grow(Arc::clone(&sites));
        s.counters.grow(Arc::clone(&sites));
        for def in sites.all() {
            if s.editings.get(&def.id).is_some() {
                continue;
            }
            if let (Some(voting), Some(counter)) = (s.votings.get(&def.id), s.counters.get(&def.id))
            {
                s.editings
                    .add(Arc::new((s.make_editing)(&voting, &counter)));
            }
        }
        s.rate_limits.set_sites(sites.all().into_iter().map(|def| {
            let names = std::iter::once(&def.id).chain(&def.aliases);
            (names.cloned().collect(), def.rate_limit)
        }));
        s.cors.serve(&sites.origins());
        s.retention.serve(&sites);
        s.backups.serve(&sites);
        if sites.len() != before {
            tracing::info!(
                sites = sites.len(),
                before,
                "sites defined through the admin API served"
            );
        }
    }

    /// Every [`REREAD_EVERY`] until `shutdown`, serves the store's
    /// definitions if they changed (another replica wrote them).
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        // One process serves an embedded store: what it defines, it serves
        // when it writes it, and the start read the rest.
        if !self.file.configured() || self.store.kind() == "embedded" {
            return;
        }
        let mut tick = tokio::time::interval(REREAD_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if let Err(e) = self.reread().await {
                tracing::debug!(error = %e, "the sites defined in the store were not read; tried again shortly");
            }
        }
    }
}
