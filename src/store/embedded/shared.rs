//! What the replicas would share, in the embedded store: each day's
//! address-hashing key (the first one written for the day stays, and the
//! days before are deleted), the secrets kept for good (the challenges'
//! signing key) and the raised challenge levels (in memory: one process
//! owns the file).

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use redb::{Durability, ReadableTable};

use super::EmbeddedStore;
use super::tables::{HASH_KEYS, with_prefix};
use crate::calendar::Day;
use crate::ids::SiteId;
use crate::store::{Shared, StoreError, keys};

#[async_trait]
impl Shared for EmbeddedStore {
    async fn secret(
        &self,
        site: &SiteId,
        name: &str,
        candidate: [u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        let key = keys::secret(site, name);
        self.write(Durability::Immediate, move |txn| {
            let mut table = txn.open_table(HASH_KEYS)?;
            if let Some(stored) = stored(&table, &key)? {
                return Ok(stored);
            }
            table.insert(key.as_str(), candidate.as_slice())?;
            Ok(candidate)
        })
        .await
    }

    async fn daily_key(
        &self,
        site: &SiteId,
        day: Day,
        candidate: [u8; 32],
        _lifetime: Duration,
    ) -> Result<[u8; 32], StoreError> {
        let key = keys::daily_key(site, day);
        let prefix = keys::daily_key_prefix(site);
        self.write(Durability::Immediate, move |txn| {
            let mut table = txn.open_table(HASH_KEYS)?;
            if let Some(stored) = stored(&table, &key)? {
                return Ok(stored);
            }
            // A new day: the old days' keys go, so yesterday's hashes can no
            // longer be recomputed.
            for (old, _) in with_prefix(&table, &prefix, |_| ())? {
                table.remove(old.as_str())?;
            }
            table.insert(key.as_str(), candidate.as_slice())?;
            Ok(candidate)
        })
        .await
    }

    async fn share_levels(
        &self,
        site: &SiteId,
        raised: &[(String, u8)],
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<(String, u8)>, StoreError> {
        Ok(self.levels.share(site, raised, until, now))
    }
}

/// The 32-byte key stored under `key`, if any.
fn stored(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<[u8; 32]>, redb::Error> {
    Ok(table.get(key)?.and_then(|v| v.value().try_into().ok()))
}
