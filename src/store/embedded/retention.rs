//! Retention in the embedded store: the audit log's entries past their
//! age, oldest first, and a closed poll's voter records, each deleted in
//! one write transaction (the counts stay).

use async_trait::async_trait;
use jiff::Timestamp;
use redb::{Durability, ReadableTable};

use super::EmbeddedStore;
use super::tables::{AUDIT, POLLS, VOTERS, field, with_prefix};
use crate::ids::{PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::record::parse_poll;
use crate::store::{Retention, StoreError};

/// When an audit entry was written, `None` if it cannot be read.
pub(super) fn written_at(entry: &str) -> Option<Timestamp> {
    #[derive(serde::Deserialize)]
    struct At {
        at: Timestamp,
    }
    serde_json::from_str::<At>(entry).ok().map(|a| a.at)
}

#[async_trait]
impl Retention for EmbeddedStore {
    async fn prune_audit(
        &self,
        site: &SiteId,
        before: Timestamp,
        most: u32,
    ) -> Result<u64, StoreError> {
        let list = keys::audit(site);
        self.write(Durability::Immediate, move |txn| {
            let mut audit = txn.open_table(AUDIT)?;
            let (start, end) = (field(&list, ""), field(&list, "~"));
            // Oldest first; an entry whose time cannot be read stops the
            // sweep (the count cap still bounds the log).
            let doomed: Vec<String> = audit
                .range(start.as_str()..end.as_str())?
                .take(most as usize)
                .map_while(|entry| {
                    let (k, v) = entry.ok()?;
                    let old = written_at(v.value()).is_some_and(|at| at < before);
                    old.then(|| k.value().to_owned())
                })
                .collect();
            for key in &doomed {
                audit.remove(key.as_str())?;
            }
            Ok(doomed.len() as u64)
        })
        .await
    }

    async fn forget_voters(
        &self,
        site: &SiteId,
        poll: &PollId,
        closed_by: Timestamp,
    ) -> Result<u64, StoreError> {
        let k = PollKeys::new(site, poll);
        self.write(Durability::Immediate, move |txn| {
            let closes = match txn.open_table(POLLS)?.get(k.meta.as_str())? {
                Some(def) => {
                    parse_poll(def.value())
                        .map_err(|e| redb::Error::Corrupted(e.to_string()))?
                        .closes_at
                }
                None => return Ok(0),
            };
            if closes.is_none_or(|at| at > closed_by) {
                return Ok(0);
            }
            let mut voters = txn.open_table(VOTERS)?;
            let records = with_prefix(&voters, &field(&k.voters, ""), |_| ())?;
            for (key, _) in &records {
                voters.remove(key.as_str())?;
            }
            Ok(records.len() as u64)
        })
        .await
    }
}
