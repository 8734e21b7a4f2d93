//! The editors' side in Redis: the audit log (one list per site, trimmed
//! to [`MOST_AUDIT_ENTRIES`]) and console sessions (one key per session,
//! under the site's slot, expiring with the session: `SET … PX`).

use std::sync::LazyLock;

use async_trait::async_trait;
use jiff::Timestamp;
use redis::Script;

use super::connection::{RedisStore, corrupt, unavailable};
use crate::ids::SiteId;
use crate::store::{Admin, MOST_AUDIT_ENTRIES, Session, StoreError, keys};

static AUDIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "redis.call('LPUSH', KEYS[1], ARGV[1]) \
         redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)",
    )
});

#[async_trait]
impl Admin for RedisStore {
    async fn append_audit(&self, site: &SiteId, entry: &str) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        AUDIT
            .key(keys::audit(site))
            .arg(entry)
            .arg(MOST_AUDIT_ENTRIES)
            .invoke_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn audit(&self, site: &SiteId, limit: usize) -> Result<Vec<String>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.connection().await?;
        redis::cmd("LRANGE")
            .arg(keys::audit(site))
            .arg(0)
            .arg(limit.min(MOST_AUDIT_ENTRIES) - 1)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn put_session(
        &self,
        site: &SiteId,
        hash: &str,
        session: &Session,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let ttl_ms = session
            .expires_at
            .as_millisecond()
            .saturating_sub(now.as_millisecond())
            .max(1);
        let record = serde_json::to_string(session).map_err(|e| corrupt(e.to_string()))?;
        let mut conn = self.connection().await?;
        redis::cmd("SET")
            .arg(keys::session(site, hash))
            .arg(record)
            .arg("PX")
            .arg(ttl_ms)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn session(
        &self,
        site: &SiteId,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let mut conn = self.connection().await?;
        let record: Option<String> = redis::cmd("GET")
            .arg(keys::session(site, hash))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let Some(record) = record else {
            return Ok(None);
        };
        let session: Session =
            serde_json::from_str(&record).map_err(|e| corrupt(format!("session record: {e}")))?;
        // The key's TTL follows the server's clock; the domain's clock
        // decides too, so every replica agrees when a session ends.
        Ok((session.expires_at > now).then_some(session))
    }

    async fn end_session(&self, site: &SiteId, hash: &str) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("DEL")
            .arg(keys::session(site, hash))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}
