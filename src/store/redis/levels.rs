//! The challenge levels the replicas share (`levels.lua`): one hash per
//! site, each raised level with its expiry.

use std::sync::LazyLock;

use jiff::Timestamp;
use redis::Script;

use super::connection::{RedisStore, corrupt, unavailable};
use crate::ids::SiteId;
use crate::store::StoreError;
use crate::store::keys;

static LEVELS: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/levels.lua")));

impl RedisStore {
    pub(super) async fn shared_levels(
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
