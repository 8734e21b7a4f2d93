//! The secrets the embedded store keeps for good (the challenges' signing
//! key): the first one written stays.

use redb::{Durability, ReadableTable};

use super::EmbeddedStore;
use super::tables::HASH_KEYS;
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
            let stored: Option<[u8; 32]> = table
                .get(key.as_str())?
                .and_then(|v| v.value().try_into().ok());
            if let Some(stored) = stored {
                return Ok(stored);
            }
            table.insert(key.as_str(), candidate.as_slice())?;
            Ok(candidate)
        })
        .await
    }
}
