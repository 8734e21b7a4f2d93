//! Editors' console sessions in Redis: one key per session, under the
//! site's slot, expiring with the session (`SET … PX`).

use jiff::Timestamp;

use super::connection::{RedisStore, corrupt, unavailable};
use crate::ids::SiteId;
use crate::store::{Session, StoreError, keys};

impl RedisStore {
    pub(super) async fn keep_session(
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

    pub(super) async fn find_session(
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

    pub(super) async fn forget_session(&self, site: &SiteId, hash: &str) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("DEL")
            .arg(keys::session(site, hash))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}
