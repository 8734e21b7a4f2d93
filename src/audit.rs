//! The audit log: every change an editor makes (who, what, when, and a
//! poll's definition before and after), kept in the store, newest first.

use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::SiteId;
use crate::store::{Store, StoreError};

/// What an editor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    CreatePoll,
    /// A poll created or saved as a draft, or taken back to draft.
    SaveDraft,
    /// A draft made public.
    PublishPoll,
    ReplacePoll,
    ClosePoll,
    ReopenPoll,
    /// A scheduled poll opened before its planned opening.
    OpenPoll,
    ArchivePoll,
    DeletePoll,
    SetBaseline,
    ImportVisits,
    /// An import that changed nothing: its file was refused or the store
    /// failed.
    ImportVisitsFailed,
    /// tally upgraded the store to its schema at start (`who` is `tally`).
    UpgradeStore,
    /// One site's counts added into another's (`tally merge-site`; the
    /// target is the merged site, `after` names the site merged into).
    MergeSite,
    /// A merge taken back.
    UndoMerge,
    /// A merge confirmed: the merged site's own data deleted.
    ConfirmMerge,
    /// A site created through the admin API or the console (the target
    /// is the site; `after` its definition), in its log and its parent's.
    CreateSite,
    /// A site's definition changed (`before` and `after`).
    EditSite,
    /// A site created so deleted (`before` its definition): a removed
    /// site, its data kept as a site taken out of the sites file.
    DeleteSite,
}

impl Action {
    /// Whether the entry's target is a poll (else the counter, the store
    /// or a site).
    pub fn about_poll(self) -> bool {
        matches!(
            self,
            Self::CreatePoll
                | Self::SaveDraft
                | Self::PublishPoll
                | Self::ReplacePoll
                | Self::ClosePoll
                | Self::ReopenPoll
                | Self::OpenPoll
                | Self::ArchivePoll
                | Self::DeletePoll
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatePoll => "create_poll",
            Self::SaveDraft => "save_draft",
            Self::PublishPoll => "publish_poll",
            Self::ReplacePoll => "replace_poll",
            Self::ClosePoll => "close_poll",
            Self::ReopenPoll => "reopen_poll",
            Self::OpenPoll => "open_poll",
            Self::ArchivePoll => "archive_poll",
            Self::DeletePoll => "delete_poll",
            Self::SetBaseline => "set_baseline",
            Self::ImportVisits => "import_visits",
            Self::ImportVisitsFailed => "import_visits_failed",
            Self::UpgradeStore => "upgrade_store",
            Self::MergeSite => "merge_site",
            Self::UndoMerge => "undo_merge",
            Self::ConfirmMerge => "confirm_merge",
            Self::CreateSite => "create_site",
            Self::EditSite => "edit_site",
            Self::DeleteSite => "delete_site",
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// The name of the admin token used.
    pub who: String,
    pub action: Action,
    /// What was changed: a poll's id, `counter` for the counter.
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// The site's audit log.
pub struct Audit {
    store: Arc<dyn Store>,
    site: SiteId,
}

impl Audit {
    pub fn new(store: Arc<dyn Store>, site: SiteId) -> Self {
        Self { store, site }
    }

    /// Keeps `entry`. A change already made is not undone when its entry
    /// cannot be kept: the entry goes to the log instead.
    pub async fn record(&self, entry: AuditEntry) {
        if let Err(e) = self.try_record(&entry).await {
            self.log_lost(&entry, &e);
        }
    }

    /// Keeps `entry`, or says why the store did not.
    pub async fn try_record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let json = serde_json::to_string(entry).unwrap_or_default();
        self.store.append_audit(&self.site, &json).await
    }

    /// Puts an entry the store did not keep in the log.
    pub fn log_lost(&self, entry: &AuditEntry, e: &StoreError) {
        let json = serde_json::to_string(entry).unwrap_or_default();
        tracing::error!(error = %e, entry = %json, "audit entry not stored");
    }

    /// The newest `limit` entries, newest first (unreadable ones left out).
    pub async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let stored = self.store.audit(&self.site, limit).await?;
        Ok(stored
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema::{SCHEMA, upgrade_entry};

    #[test]
    fn a_stores_upgrade_entry_reads_as_an_audit_entry() {
        let at: Timestamp = "2026-12-06T23:00:00Z".parse().unwrap();
        let entry: AuditEntry = serde_json::from_str(&upgrade_entry(0, at)).unwrap();
        assert_eq!(
            entry,
            AuditEntry {
                at,
                who: "tally".into(),
                action: Action::UpgradeStore,
                target: "store".into(),
                before: Some(serde_json::json!({"schema": 0})),
                after: Some(serde_json::json!({"schema": SCHEMA})),
            }
        );
        assert_eq!(entry.action.as_str(), "upgrade_store");
    }
}
