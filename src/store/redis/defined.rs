//! The sites defined through the admin API, in Redis (one server or a
//! cluster): one hash outside every site's slot, each write a script that
//! also moves the hash's version on.

use std::sync::LazyLock;

use async_trait::async_trait;
use redis::Script;

use super::connection::{RedisStore, unavailable};
use crate::ids::SiteId;
use crate::store::keys;
use crate::store::{Defined, StoreError};

/// Writes `ARGV[2]` as `ARGV[1]`'s definition in `KEYS[1]` — a new one
/// when `ARGV[3]` is `1` (refused if one is there), else a replacement
/// (refused if none is) — and moves `ARGV[4]`, the version, on.
static DEFINE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local held = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 \
         if held == (ARGV[3] == '1') then return 0 end \
         redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) \
         redis.call('HINCRBY', KEYS[1], ARGV[4], 1) \
         return 1",
    )
});

/// Takes `ARGV[1]`'s definition out of `KEYS[1]` and, if it held one,
/// moves `ARGV[2]`, the version, on.
static UNDEFINE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end \
         redis.call('HINCRBY', KEYS[1], ARGV[2], 1) \
         return 1",
    )
});

#[async_trait]
impl Defined for RedisStore {
    async fn define_site(
        &self,
        site: &SiteId,
        definition: String,
        new: bool,
    ) -> Result<bool, StoreError> {
        let mut conn = self.connection().await?;
        let written: i64 = DEFINE
            .key(keys::defined_sites())
            .arg(site.as_str())
            .arg(definition)
            .arg(if new { "1" } else { "0" })
            .arg(keys::DEFINED_VERSION)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(written == 1)
    }

    async fn undefine_site(&self, site: &SiteId) -> Result<bool, StoreError> {
        let mut conn = self.connection().await?;
        let removed: i64 = UNDEFINE
            .key(keys::defined_sites())
            .arg(site.as_str())
            .arg(keys::DEFINED_VERSION)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(removed == 1)
    }

    async fn defined_sites(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.connection().await?;
        let mut found: Vec<(String, String)> = redis::cmd("HGETALL")
            .arg(keys::defined_sites())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        found.retain(|(site, _)| site != keys::DEFINED_VERSION);
        found.sort();
        Ok(found)
    }

    async fn sites_version(&self) -> Result<u64, StoreError> {
        let mut conn = self.connection().await?;
        let version: Option<u64> = redis::cmd("HGET")
            .arg(keys::defined_sites())
            .arg(keys::DEFINED_VERSION)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(version.unwrap_or(0))
    }
}
