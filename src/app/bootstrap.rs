//! What the settings ask to be written at start (the baselines, the
//! polls file, the sites the file lists), and the store's stamp settled,
//! then or as soon as the store answers.

use std::sync::Arc;
use std::time::Duration;

use super::App;
use crate::clock::Clock;
use crate::counter::Counter;
use crate::editing::Editing;
use crate::ids::SiteId;
use crate::poll::Poll;
use crate::polls_file::Seeded;
use crate::retention::Retention;
use crate::store::schema::{SCHEMA, Settled};
use crate::store::{Store, StoreError};

/// What the settings ask to be written at start.
pub(super) struct Bootstrap {
    pub(super) store: Arc<dyn Store>,
    pub(super) baseline: Option<u64>,
    /// The sites file's baselines, each written into a site's counter
    /// that has none.
    pub(super) site_baselines: Vec<(Arc<Counter>, u64)>,
    /// The polls file's polls, with the changes of the site each is of.
    pub(super) polls: Vec<(Arc<Editing>, Vec<Poll>)>,
    pub(super) editing: Arc<Editing>,
    /// Every id the sites file names (sites and their aliases): recorded
    /// as listed now, so a site it no longer names is kept only so long
    /// (`crate::retention`).
    pub(super) listed: Vec<SiteId>,
    pub(super) clock: Arc<dyn Clock>,
}

impl Bootstrap {
    pub(super) async fn apply(&self, app: &App) -> Result<(), StoreError> {
        self.settle_schema().await?;
        // Best effort: the hourly retention sweep lists the sites again
        // (the first a minute after start), so a store slow to answer now
        // does not keep the start retrying for it.
        if let Err(e) = self.note_sites().await {
            tracing::warn!(error = %e, "the sites the file names were not recorded; the next retention sweep records them");
        }
        // The setting seeds the baseline of a store that has none; once
        // the store holds one (this setting's, or an editor's from the
        // console), the store's stands.
        if let Some(baseline) = self.baseline {
            let stored = app.counter.stored_baseline().await?;
            if stored == 0 && baseline != 0 {
                self.editing
                    .set_baseline("TALLY_COUNTER_BASELINE", baseline)
                    .await
                    .map_err(|e| match e {
                        crate::editing::EditError::Store(e) => e,
                        other => StoreError::Unavailable(other.to_string()),
                    })?;
            } else if stored != baseline {
                tracing::warn!(
                    setting = baseline,
                    stored,
                    "TALLY_COUNTER_BASELINE differs from the baseline the store holds, which stands \
                     (an editor may have set it): change it in the console or with PUT /admin/counter/baseline"
                );
            }
        }
        for (counter, baseline) in &self.site_baselines {
            if counter.stored_baseline().await? == 0 {
                counter.set_baseline(*baseline).await?;
            }
        }
        for (editing, polls) in &self.polls {
            let seeded = editing.seed(polls).await?;
            let written = seeded
                .iter()
                .filter(|s| matches!(s, Seeded::Created | Seeded::Updated))
                .count();
            let site = editing.voting.site();
            tracing::info!(%site, polls = polls.len(), written, "polls file seeded");
        }
        Ok(())
    }

    /// Records the sites the file names as listed now, and warns of each
    /// site the store keeps that it no longer names: said at every start,
    /// so a site dropped by mistake is seen while its counts can come back.
    async fn note_sites(&self) -> Result<(), StoreError> {
        self.store
            .list_sites(self.listed.clone(), self.clock.now())
            .await?;
        for (site, listed) in self.store.listed_sites().await? {
            if !self.listed.iter().any(|named| named.as_str() == site) {
                tracing::warn!(
                    site,
                    purged_from = %Retention::purged_at(listed),
                    "a site the sites file no longer names: its data is kept until then; put it \
                     back in the file to keep its counts (GET /admin/sites/removed)"
                );
            }
        }
        Ok(())
    }

    /// Settles the store's stamp if the start could not (the store was
    /// down; it is done once). A store written by a newer tally, found only
    /// now, ends the process as the start would have: nothing more may be
    /// written to it.
    async fn settle_schema(&self) -> Result<(), StoreError> {
        match self.store.settle_schema().await {
            Ok(Settled::Current) => Ok(()),
            Ok(Settled::Stamped) => {
                tracing::info!(schema = SCHEMA, "new store stamped");
                Ok(())
            }
            Ok(Settled::Upgraded { from }) => {
                tracing::info!(from, to = SCHEMA, "store upgraded (see the audit log)");
                Ok(())
            }
            Err(StoreError::Corrupt(line)) => {
                tracing::error!("{line}");
                eprintln!("tally: {line}");
                std::process::exit(1);
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn retry(self, app: Arc<App>) {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if self.apply(&app).await.is_ok() {
                return;
            }
        }
    }
}
