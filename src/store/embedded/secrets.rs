//! The keys the embedded store keeps: each day's address-hashing key (the
//! first one written for the day stays, and the days before are deleted)
//! and the secrets kept for good (the challenges' signing key).

use redb::{Durability, ReadableTable};

use super::EmbeddedStore;
use super::tables::{HASH_KEYS, with_prefix};
use crate::calendar::Day;
use crate::ids::SiteId;
use crate::store::{StoreError, keys};

impl EmbeddedStore {
    pub(super) async fn kept_secret(
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

    pub(super) async fn daily_hash_key(
        &self,
        site: &SiteId,
        day: Day,
        candidate: [u8; 32],
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
}

/// The 32-byte key stored under `key`, if any.
fn stored(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<[u8; 32]>, redb::Error> {
    Ok(table.get(key)?.and_then(|v| v.value().try_into().ok()))
}
