//! Retention: how long tally keeps what it keeps about editors and voters
//! beyond what expires by itself, and the housekeeping that deletes it on
//! time. A minute after start, then once an hour (and when a test asks),
//! it deletes audit entries older than `TALLY_AUDIT_DAYS` and the voter
//! records of polls (every site's) closed more than `TALLY_VOTER_DAYS`
//! ago; every delete is idempotent, so any number of replicas may sweep at
//! once. Each sweep
//! is counted in `tally_retention_*` (what it deleted, when one last
//! succeeded, how many failed), which the alerts watch. The whole table of
//! what is kept is in `docs/privacy.md`.

use std::sync::Arc;
use std::time::Duration;

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

/// What a sweep deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub audit_entries: u64,
    pub voter_records: u64,
    /// Polls whose voter records went.
    pub polls: u64,
}

/// The retention settings and the sites they apply to.
pub struct Retention {
    /// The primary site: its store and clock serve every site's sweep.
    site: Site,
    /// The sites whose audit logs and polls' voter records are swept:
    /// `site` unless [`Retention::with_polls_of`] says more.
    poll_sites: Vec<SiteId>,
    audit_days: u32,
    voter_days: u32,
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
            poll_sites: vec![site.id.clone()],
            site,
            audit_days: settings.audit_days,
            voter_days: settings.voter_days,
        }
    }

    /// Sweeps the audit logs and the polls' voter records of every site
    /// in `sites` (each site has its own).
    pub fn with_polls_of(mut self, sites: impl IntoIterator<Item = SiteId>) -> Self {
        self.poll_sites = sites.into_iter().collect();
        self
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
        for site in &self.poll_sites {
            loop {
                let gone = store.prune_audit(site, before, AUDIT_SLICE).await?;
                swept.audit_entries += gone;
                if gone < u64::from(AUDIT_SLICE) {
                    break;
                }
            }
        }
        let closed_by = now.saturating_sub(days(self.voter_days)).unwrap_or(now);
        for site in &self.poll_sites {
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
        if swept != Swept::default() {
            tracing::info!(
                audit_entries = swept.audit_entries,
                voter_records = swept.voter_records,
                polls = swept.polls,
                "retention: deleted what outlived its time"
            );
        }
        Ok(swept)
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
