//! Opening the store the settings name, once per process.

use std::sync::Arc;

use super::Store;
use crate::config::{BallotDurability, StoreSettings};

/// Opens the store the settings name. `sync_every` bounds how long the
/// embedded store keeps a hit's write before making it durable.
pub async fn open(
    settings: &StoreSettings,
    redis_ca_file: Option<&std::path::Path>,
    timeout: std::time::Duration,
    sync_every: std::time::Duration,
) -> anyhow::Result<Arc<dyn Store>> {
    let durability = BallotDurability::Store;
    open_with(settings, redis_ca_file, timeout, sync_every, durability).await
}

/// Like [`open`], with what a ballot answered `201` waits for on Redis;
/// stops the start when the server cannot give it.
pub async fn open_with(
    settings: &StoreSettings,
    redis_ca_file: Option<&std::path::Path>,
    timeout: std::time::Duration,
    sync_every: std::time::Duration,
    durability: BallotDurability,
) -> anyhow::Result<Arc<dyn Store>> {
    let ca = match redis_ca_file {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            anyhow::anyhow!("TALLY_REDIS_CA_FILE: cannot read {}: {e}", path.display())
        })?),
        None => None,
    };
    Ok(match settings {
        StoreSettings::Embedded { data_dir } => {
            Arc::new(super::embedded::EmbeddedStore::open(data_dir, sync_every)?)
        }
        StoreSettings::Redis { url } => {
            let store = super::redis::RedisStore::standalone(url, ca, timeout, durability)?;
            store.check_durability().await?;
            Arc::new(store)
        }
        StoreSettings::Cluster { nodes } => {
            let store = super::redis::RedisStore::cluster(nodes, ca, timeout, durability)?;
            store.check_durability().await?;
            Arc::new(store)
        }
    })
}
