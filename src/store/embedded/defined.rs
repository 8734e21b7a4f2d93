//! The sites defined through the admin API, in the embedded store: one
//! table of definitions, and their version beside the deployment's
//! counters, written in one transaction.

use async_trait::async_trait;
use redb::{Durability, ReadableTable};

use super::EmbeddedStore;
use super::tables::{COUNTERS, SITE_DEFS, field};
use crate::ids::SiteId;
use crate::store::keys;
use crate::store::{Defined, StoreError};

/// The version's line in the counters table.
fn version_key() -> String {
    field(&keys::defined_sites(), keys::DEFINED_VERSION)
}

/// Moves the definitions' version on, in the write that changed them.
fn version_moved_on(txn: &redb::WriteTransaction) -> Result<(), redb::Error> {
    let mut counters = txn.open_table(COUNTERS)?;
    let key = version_key();
    let version = counters.get(key.as_str())?.map_or(0, |v| v.value());
    counters.insert(key.as_str(), version + 1)?;
    Ok(())
}

#[async_trait]
impl Defined for EmbeddedStore {
    async fn define_site(
        &self,
        site: &SiteId,
        definition: String,
        new: bool,
    ) -> Result<bool, StoreError> {
        let site = site.clone();
        self.write(Durability::Immediate, move |txn| {
            let mut defs = txn.open_table(SITE_DEFS)?;
            if defs.get(site.as_str())?.is_some() == new {
                return Ok(false);
            }
            defs.insert(site.as_str(), definition.as_str())?;
            version_moved_on(txn)?;
            Ok(true)
        })
        .await
    }

    async fn undefine_site(&self, site: &SiteId) -> Result<bool, StoreError> {
        let site = site.clone();
        self.write(Durability::Immediate, move |txn| {
            let mut defs = txn.open_table(SITE_DEFS)?;
            if defs.remove(site.as_str())?.is_none() {
                return Ok(false);
            }
            version_moved_on(txn)?;
            Ok(true)
        })
        .await
    }

    async fn defined_sites(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read_txn(|txn| {
            let defs = txn.open_table(SITE_DEFS)?;
            let mut found = Vec::new();
            for entry in defs.iter()? {
                let (site, definition) = entry?;
                found.push((site.value().to_owned(), definition.value().to_owned()));
            }
            Ok(found)
        })
        .await
    }

    async fn sites_version(&self) -> Result<u64, StoreError> {
        self.read_txn(|txn| {
            let counters = txn.open_table(COUNTERS)?;
            Ok(counters
                .get(version_key().as_str())?
                .map_or(0, |v| v.value()))
        })
        .await
    }
}
