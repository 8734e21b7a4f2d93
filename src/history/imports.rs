//! Bringing a previous counter's history in: every day or none, on every
//! store; an answer that says what happened (an import whose call failed
//! is settled before it is answered, so `store_unavailable` means nothing
//! changed); and an audit entry whatever the outcome.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{History, HistoryError, import};
use crate::audit::{Action, Audit, AuditEntry};
use crate::store::{Import, Imported, StoreError};

/// How long an import whose call failed is settled before it is answered
/// as unknown.
const SETTLE_WITHIN: Duration = Duration::from_secs(30);

/// The longest an import takes to be answered: its store deadline
/// ([`crate::store::IMPORT_DEADLINE`]), settling, and its audit entry. The
/// ops listener gives the import routes this long, whatever
/// `TALLY_REQUEST_TIMEOUT` says.
pub const IMPORT_ANSWERED_WITHIN: Duration = Duration::from_secs(180);

/// How long, after the answer, an audit entry the store did not take (and
/// the outcome of an import answered as unknown) is tried again, while
/// the application runs.
const PATIENCE: Duration = Duration::from_secs(600);

/// Audit entries looked through for one already kept before it is tried
/// again (its first try may have been kept though it failed).
const LOOK_BACK: usize = 100;

/// What an import that reached the store came to.
enum Outcome {
    /// Every day is in (changing nothing, if they all were already).
    Applied(Imported),
    /// Nothing changed, and nothing will.
    NotApplied(StoreError),
    /// The store stopped answering before the outcome was known.
    Unknown(StoreError),
}

/// What is left to do once an import is answered.
enum Left {
    /// Its audit entry, which the store did not take.
    Note(AuditEntry),
    /// Its outcome (unknown when answered), then its audit entry.
    Settle { who: String, import: Import },
}

impl History {
    /// Folds a previous counter's daily history (CSV `date,visits`) into
    /// the history and the total: every day, or none (importing the same
    /// file again changes nothing). Refused files, failures and changes
    /// are noted in the audit log.
    pub async fn import_visits(
        self: &Arc<Self>,
        who: &str,
        csv: &[u8],
        audit: &Arc<Audit>,
    ) -> Result<Imported, HistoryError> {
        let (answer, answered) = oneshot::channel();
        let (history, audit) = (Arc::clone(self), Arc::clone(audit));
        let (who, csv) = (who.to_owned(), csv.to_vec());
        // A task of its own: a request given up (timed out, disconnected)
        // cuts neither the import short nor its audit entry.
        tokio::spawn(async move {
            let left = history.run_import(&who, &csv, &audit, answer).await;
            // What is left waits for the store without keeping the
            // application (and its store) alive.
            let weak = (Arc::downgrade(&history), Arc::downgrade(&audit));
            drop((history, audit));
            if let Some(left) = left {
                finish(left, weak.0, weak.1).await;
            }
        });
        answered.await.unwrap_or_else(|_| {
            Err(HistoryError::Unsettled(StoreError::Unavailable(
                "the import stopped before it was answered".into(),
            )))
        })
    }

    /// Imports `csv`, notes it and answers; says what is left to do.
    async fn run_import(
        &self,
        who: &str,
        csv: &[u8],
        audit: &Audit,
        answer: oneshot::Sender<Result<Imported, HistoryError>>,
    ) -> Option<Left> {
        let today = self.today();
        let days = match import::parse(csv, today) {
            Ok(days) => days,
            Err(refused) => {
                let lines = String::from_utf8_lossy(csv)
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .count();
                let held = json!({ "import": Import::fresh_id(), "lines": lines });
                let entry = self.failed(who, held, &refused.to_string());
                let kept = audit.try_record(&entry).await.is_ok();
                let _ = answer.send(Err(refused.into()));
                return (!kept).then_some(Left::Note(entry));
            }
        };
        let import = Import::new(days, today, self.clock.now());
        tracing::info!(import = %import.id, who, days = import.days.len(), "history import");
        let outcome = match self.store.import_visits(&self.site, &import).await {
            Ok(imported) => Outcome::Applied(imported),
            Err(failed) if !import.begun() => Outcome::NotApplied(failed),
            Err(failed) => match self.settle(&import.id).await {
                Ok(Some(imported)) => Outcome::Applied(imported),
                Ok(None) => Outcome::NotApplied(failed),
                Err(unknown) => Outcome::Unknown(unknown),
            },
        };
        let entry = self.entry(who, &import, &outcome);
        let kept = match &entry {
            Some(entry) => audit.try_record(entry).await.is_ok(),
            None => true,
        };
        let unknown = matches!(outcome, Outcome::Unknown(_));
        let _ = answer.send(match outcome {
            Outcome::Applied(imported) => Ok(imported),
            Outcome::NotApplied(e) => Err(HistoryError::Store(e)),
            Outcome::Unknown(e) => Err(HistoryError::Unsettled(e)),
        });
        if unknown {
            let who = who.to_owned();
            return Some(Left::Settle { who, import });
        }
        entry.filter(|_| !kept).map(Left::Note)
    }

    /// Asks the store, for [`SETTLE_WITHIN`], what became of import `id`
    /// (applied, or now abandoned for good).
    async fn settle(&self, id: &str) -> Result<Option<Imported>, StoreError> {
        let until = Instant::now() + SETTLE_WITHIN;
        let mut pause = Duration::from_millis(100);
        loop {
            match self
                .store
                .settle_import(&self.site, id, self.clock.now())
                .await
            {
                Err(_) if Instant::now() + pause < until => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                settled => return settled,
            }
        }
    }

    /// The audit entry of an import that reached the store: one that
    /// changed something, or one that failed (an unknown outcome is noted
    /// once it is known).
    fn entry(&self, who: &str, import: &Import, outcome: &Outcome) -> Option<AuditEntry> {
        match outcome {
            Outcome::Applied(imported) if imported.changed > 0 => {
                let first = import.days.iter().map(|(d, _)| *d).min();
                let last = import.days.iter().map(|(d, _)| *d).max();
                Some(AuditEntry {
                    at: self.clock.now(),
                    who: who.to_owned(),
                    action: Action::ImportVisits,
                    target: "counter".into(),
                    before: None,
                    after: Some(json!({
                        "import": import.id,
                        "days": imported.days,
                        "changed": imported.changed,
                        "added": imported.added,
                        "from": first.map(|d| d.to_string()),
                        "to": last.map(|d| d.to_string()),
                    })),
                })
            }
            Outcome::NotApplied(e) => {
                let held = json!({ "import": import.id, "days": import.days.len() });
                Some(self.failed(who, held, &e.to_string()))
            }
            Outcome::Applied(_) | Outcome::Unknown(_) => None,
        }
    }

    /// The audit entry of an import that changed nothing because it was
    /// refused or failed: what it held and why.
    fn failed(&self, who: &str, mut held: Value, why: &str) -> AuditEntry {
        held["why"] = why.into();
        AuditEntry {
            at: self.clock.now(),
            who: who.to_owned(),
            action: Action::ImportVisitsFailed,
            target: "counter".into(),
            before: None,
            after: Some(held),
        }
    }
}

/// Does what is left once an import is answered, for [`PATIENCE`] at most
/// and while the application runs: settles an import answered as unknown,
/// and keeps its audit entry once the store takes it.
async fn finish(left: Left, history: Weak<History>, audit: Weak<Audit>) {
    let (mut unsettled, mut entry) = match left {
        Left::Note(entry) => (None, Some(entry)),
        Left::Settle { who, import } => (Some((who, import)), None),
    };
    let until = Instant::now() + PATIENCE;
    let mut pause = Duration::from_secs(1);
    while Instant::now() + pause < until {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
        let (Some(history), Some(audit)) = (history.upgrade(), audit.upgrade()) else {
            break;
        };
        if let Some((who, import)) = &unsettled {
            let now = history.clock.now();
            let outcome = match history
                .store
                .settle_import(&history.site, &import.id, now)
                .await
            {
                Ok(Some(imported)) => Outcome::Applied(imported),
                Ok(None) => Outcome::NotApplied(StoreError::Unavailable(
                    "the store stopped answering during the import".into(),
                )),
                Err(_) => continue,
            };
            entry = history.entry(who, import, &outcome);
            unsettled = None;
        }
        match &entry {
            Some(kept) if !noted(&audit, kept).await => {}
            _ => return,
        }
    }
    gone(entry.as_ref(), unsettled.as_ref().map(|(_, import)| import));
}

/// Whether `entry` is in the audit log now: found there (its first try
/// was kept after all), or kept by this try.
async fn noted(audit: &Audit, entry: &AuditEntry) -> bool {
    let Ok(recent) = audit.recent(LOOK_BACK).await else {
        return false;
    };
    let import = |e: &AuditEntry| e.after.as_ref().map(|after| after["import"].clone());
    let same = |kept: &AuditEntry| kept.action == entry.action && import(kept) == import(entry);
    recent.iter().any(same) || audit.try_record(entry).await.is_ok()
}

/// Says in the log what could not be kept in the store.
fn gone(entry: Option<&AuditEntry>, unsettled: Option<&Import>) {
    if let Some(import) = unsettled {
        tracing::error!(import = %import.id,
            "history import: outcome unknown (all of its days are in, or none)");
    }
    if let Some(entry) = entry {
        let json = serde_json::to_string(entry).unwrap_or_default();
        tracing::error!(entry = %json, "audit entry not stored");
    }
}
