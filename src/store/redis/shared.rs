//! What the replicas share in Redis: the day's address-hashing key
//! (`daily_key.lua`), kept secrets (`secret.lua`) and the raised challenge
//! levels (`levels.lua`: one hash per site, each level with its expiry).

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;

use jiff::Timestamp;
use redis::Script;

use super::connection::{RedisStore, corrupt, unavailable};
use crate::calendar::Day;
use crate::ids::{SiteId, hex};
use crate::store::record::parse_key;
use crate::store::{Shared, StoreError, keys};

static DAILY_KEY: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/daily_key.lua")));
static SECRET: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/secret.lua")));
static LEVELS: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/levels.lua")));

#[async_trait]
impl Shared for RedisStore {
    async fn daily_key(
        &self,
        site: &SiteId,
        day: Day,
        candidate: [u8; 32],
        lifetime: Duration,
    ) -> Result<[u8; 32], StoreError> {
        let mut conn = self.connection().await?;
        let stored: String = DAILY_KEY
            .key(keys::daily_key(site, day))
            .arg(hex(&candidate))
            .arg(lifetime.as_secs().max(1))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        parse_key(&stored).ok_or_else(|| corrupt("daily hashing key is not 64 hex digits"))
    }

    async fn secret(
        &self,
        site: &SiteId,
        name: &str,
        candidate: [u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        let mut conn = self.connection().await?;
        let stored: String = SECRET
            .key(keys::secret(site, name))
            .arg(hex(&candidate))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        parse_key(&stored).ok_or_else(|| corrupt(format!("secret {name} is not 64 hex digits")))
    }

    async fn share_levels(
        &self,
        site: &SiteId,
        raised: &[(String, u8)],
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<(String, u8)>, StoreError> {
        let mut conn = self.connection().await?;
        let mut invocation = LEVELS.key(keys::levels(site));
        invocation.arg(now.as_second()).arg(until.as_second());
        for (name, level) in raised {
            invocation.arg(name).arg(level);
        }
        let flat: Vec<String> = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        flat.chunks(2)
            .map(|pair| match pair {
                [name, level] => level
                    .parse()
                    .map(|level| (name.clone(), level))
                    .map_err(|_| corrupt(format!("challenge level {level:?}"))),
                _ => Err(corrupt("challenge levels: odd reply".to_string())),
            })
            .collect()
    }
}
