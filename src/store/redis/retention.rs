//! Retention in Redis: the audit log's entries past their age, popped from
//! the list's tail (its oldest), and a closed poll's voter records, each
//! one script in one slot (the counts stay).

use std::sync::LazyLock;

use async_trait::async_trait;
use jiff::Timestamp;
use redis::Script;

use super::connection::{RedisStore, unavailable};
use crate::ids::{PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::{Retention, StoreError};

static PRUNE_AUDIT: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/prune_audit.lua")));
static FORGET_VOTERS: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/forget_voters.lua")));

#[async_trait]
impl Retention for RedisStore {
    async fn prune_audit(
        &self,
        site: &SiteId,
        before: Timestamp,
        most: u32,
    ) -> Result<u64, StoreError> {
        let mut conn = self.connection().await?;
        PRUNE_AUDIT
            .key(keys::audit(site))
            .arg(before.as_millisecond())
            .arg(most)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn forget_voters(
        &self,
        site: &SiteId,
        poll: &PollId,
        closed_by: Timestamp,
    ) -> Result<u64, StoreError> {
        let k = PollKeys::new(site, poll);
        let mut conn = self.connection().await?;
        FORGET_VOTERS
            .key(&k.meta)
            .key(&k.voters)
            .arg(closed_by.as_millisecond())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)
    }
}
