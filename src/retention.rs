//! Retention: how long tally keeps what it keeps about editors and voters
//! beyond what expires by itself, and the housekeeping that deletes it on
//! time. A minute after start, then once an hour (and when a test asks),
//! it deletes audit entries older than `TALLY_AUDIT_DAYS`, the voter
//! records of polls (every site's) closed more than `TALLY_VOTER_DAYS`
//! ago, and the whole data of a site the sites file has not named for
//! [`REMOVED_SITE_DAYS`] (a removed site, kept that long so that putting
//! it back brings its counts back); every delete is idempotent, so any
//! number of replicas may sweep at once. Each sweep
//! is counted in `tally_retention_*` (what it deleted, when one last
//! succeeded, how many failed), which the alerts watch. The whole table of
//! what is kept is in `docs/privacy.md`.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::config::Settings;
use crate::ids::SiteId;
use crate::site::Site;
use crate::store::StoreError;

/// How often the housekeeping runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// The first sweep waits this long after start, out of the start's way.
const FIRST_SWEEP_AFTER: Duration = Duration::from_secs(60);
/// Audit entries deleted per store call (a sweep makes as many as needed).
const AUDIT_SLICE: u32 = 1000;
const DAY: SignedDuration = SignedDuration::from_hours(24);
/// How long a site the sites file no longer names keeps its data: while
/// it is back in the file within this many days, every count is back.
pub const REMOVED_SITE_DAYS: u32 = 30;

/// What a sweep deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub audit_entries: u64,
    pub voter_records: u64,
    /// Polls whose voter records went.
    pub polls: u64,
    /// Removed sites whose data went.
    pub sites: u64,
}

/// The retention settings and the sites they apply to.
pub struct Retention {
    /// The primary site: its store and clock serve every site's sweep.
    site: Site,
    /// The sites whose audit logs and polls' voter records are swept:
    /// `site` unless [`Retention::for_sites`] says more.
    sites: ArcSwap<Vec<SiteId>>,
    audit_days: u32,
    voter_days: u32,
    /// Every id the sites file names (sites and aliases): their data is
    /// never a removed site's.
    listed: ArcSwap<Vec<SiteId>>,
}

/// `days` whole days.
fn days(days: u32) -> SignedDuration {
    DAY * i32::try_from(days).unwrap_or(i32::MAX)
}

/// When the voter records of a poll that closed at `closes` are deleted.
pub fn voters_forgotten_at(closes: Timestamp, voter_days: u32) -> Timestamp {
    closes
        .saturating_add(days(voter_days))
        .unwrap_or(Timestamp::MAX)
}

/// From when a poll that closed at `closes` may no longer be reopened: a
/// day before its voter records go, so a reopening under way can never
/// meet a poll whose voters were forgotten (who could then vote again).
pub fn reopen_refused_from(closes: Timestamp, voter_days: u32) -> Timestamp {
    voters_forgotten_at(closes, voter_days)
        .saturating_sub(DAY)
        .unwrap_or(closes)
}

impl Retention {
    /// `site`'s retention, as `settings` ask.
    pub fn new(site: Site, settings: &Settings) -> Self {
        // Until the first sweep, the start stands for the last success, so
        // an alert on a long time without one waits for a replica's sweeps.
        site.metrics
            .retention_last_success
            .set(site.clock.now().as_second());
        Self {
            sites: ArcSwap::from_pointee(vec![site.id.clone()]),
            listed: ArcSwap::from_pointee(vec![site.id.clone()]),
            site,
            audit_days: settings.audit_days,
            voter_days: settings.voter_days,
        }
    }

    /// Sweeps the audit logs and the polls' voter records of every site
    /// in `sites` (each site has its own).
    pub fn for_sites(self, sites: impl IntoIterator<Item = SiteId>) -> Self {
        self.sites.store(Arc::new(sites.into_iter().collect()));
        self
    }

    /// Keeps the data of every id in `names` (the sites file's sites and
    /// aliases); any other site's goes [`REMOVED_SITE_DAYS`] after a start
    /// last found it in the file.
    pub fn listing(self, names: Vec<SiteId>) -> Self {
        self.listed.store(Arc::new(names));
        self
    }

    /// Serves `sites` from now on (a site was created while tally runs):
    /// their audit logs and voter records are swept, and their data kept.
    pub fn serve(&self, sites: &crate::sites::Sites) {
        let ids = sites.all().into_iter().map(|def| def.id.clone());
        self.sites.store(Arc::new(ids.collect()));
        self.listed.store(Arc::new(sites.names()));
    }

    /// Deletes what outlived its time, as of the site's clock, and counts
    /// the sweep in the metrics.
    pub async fn sweep(&self) -> Result<Swept, StoreError> {
        let now = self.site.clock.now();
        let metrics = &self.site.metrics;
        match self.delete(now).await {
            Ok(swept) => {
                let deleted = &metrics.retention_deleted;
                deleted
                    .with_label_values(&["audit_entries"])
                    .inc_by(swept.audit_entries);
                deleted
                    .with_label_values(&["voter_records"])
                    .inc_by(swept.voter_records);
                deleted.with_label_values(&["sites"]).inc_by(swept.sites);
                metrics
                    .retention_last_success
                    .set(self.site.clock.now().as_second());
                Ok(swept)
            }
            Err(e) => {
                metrics.retention_failures.inc();
                Err(e)
            }
        }
    }

    async fn delete(&self, now: Timestamp) -> Result<Swept, StoreError> {
        let store = &self.site.store;
        let mut swept = Swept::default();
        let before = now.saturating_sub(days(self.audit_days)).unwrap_or(now);
        let sites = self.sites.load_full();
        for site in sites.iter() {
            loop {
                let gone = store.prune_audit(site, before, AUDIT_SLICE).await?;
                swept.audit_entries += gone;
                if gone < u64::from(AUDIT_SLICE) {
                    break;
                }
            }
        }
        let closed_by = now.saturating_sub(days(self.voter_days)).unwrap_or(now);
        for site in sites.iter() {
            for poll in store.list_polls(site).await? {
                if poll.closes_at.is_none_or(|at| at > closed_by) {
                    continue;
                }
                let gone = store.forget_voters(site, &poll.id, closed_by).await?;
                if gone > 0 {
                    swept.voter_records += gone;
                    swept.polls += 1;
                }
            }
        }
        swept.sites = self.purge_removed(now).await?;
        if swept != Swept::default() {
            tracing::info!(
                audit_entries = swept.audit_entries,
                voter_records = swept.voter_records,
                polls = swept.polls,
                sites = swept.sites,
                "retention: deleted what outlived its time"
            );
        }
        Ok(swept)
    }

    /// Deletes the data of each site the file has not named for
    /// [`REMOVED_SITE_DAYS`], but a merge's merged site while the merge
    /// stands (its undo needs it); says how many sites went.
    async fn purge_removed(&self, now: Timestamp) -> Result<u64, StoreError> {
        let store = &self.site.store;
        // The sites named now are listed now, as at start: a site's days
        // count from when the file stopped naming it, not from the last
        // start (which may be months before the one that removed it).
        let listed = self.listed.load_full();
        store.list_sites(listed.to_vec(), now).await?;
        let due = now.saturating_sub(days(REMOVED_SITE_DAYS)).unwrap_or(now);
        let mut gone = Vec::new();
        for (name, listed_at) in store.listed_sites().await? {
            let Ok(site) = SiteId::parse(&name) else {
                continue;
            };
            if listed_at <= due && !listed.contains(&site) {
                gone.push(site);
            }
        }
        if gone.is_empty() {
            return Ok(0);
        }
        let mut merging = Vec::new();
        for into in listed.iter() {
            merging.extend(store.merges(into).await?.into_iter().map(|(from, _)| from));
        }
        let mut purged = 0;
        for site in gone {
            if merging.iter().any(|from| from == site.as_str()) {
                continue;
            }
            let keys = store.forget_site(&site).await?;
            tracing::info!(%site, keys, "retention: a site removed from the sites file {REMOVED_SITE_DAYS} days ago is deleted");
            purged += 1;
        }
        Ok(purged)
    }

    /// The sites the store keeps that the file does not name, in id
    /// order, each with when the file last named it: what the sweep will
    /// delete, and when ([`Retention::purged_at`]).
    pub async fn removed(&self) -> Result<Vec<(String, Timestamp)>, StoreError> {
        let listed = self.site.store.listed_sites().await?;
        let named = self.listed.load();
        Ok(listed
            .into_iter()
            .filter(|(name, _)| !named.iter().any(|site| site.as_str() == name))
            .collect())
    }

    /// When the data of a site last listed at `listed_at` goes, if the
    /// file does not name it again by then.
    pub fn purged_at(listed_at: Timestamp) -> Timestamp {
        listed_at
            .saturating_add(days(REMOVED_SITE_DAYS))
            .unwrap_or(Timestamp::MAX)
    }

    /// Sweeps a minute after start and every [`SWEEP_EVERY`] until
    /// `shutdown` turns true; a failed sweep is logged and tried at the
    /// next.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let first = tokio::time::Instant::now() + FIRST_SWEEP_AFTER;
        let mut tick = tokio::time::interval_at(first, SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "retention: housekeeping failed; tried again in an hour");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reopen_is_refused_a_day_before_the_voters_go() {
        let closes: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let gone: Timestamp = "2026-01-31T00:00:00Z".parse().unwrap();
        assert_eq!(voters_forgotten_at(closes, 30), gone);
        let refused: Timestamp = "2026-01-30T00:00:00Z".parse().unwrap();
        assert_eq!(reopen_refused_from(closes, 30), refused);
        assert_eq!(voters_forgotten_at(Timestamp::MAX, 30), Timestamp::MAX);
    }
}
