//! The Redis store: one Lua script per operation, so each is atomic and one
//! round trip. Works against one server or a Redis Cluster; the key schema
//! ([`super::keys`]) keeps every script's keys in one hash slot.

mod admin;
mod archive;
mod cluster_touches;
mod connection;
mod counters;
mod defined;
mod durability;
mod history;
mod lane;
mod life;
mod nodes;
mod pipelined;
mod polls;
mod retention;
mod schema;
mod shared;
mod visits;

use async_trait::async_trait;
use jiff::Timestamp;

pub use connection::RedisStore;
use connection::unavailable;

use super::schema::Settled;
use super::{Store, StoreError, Upkeep};

impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        RedisStore::kind(self)
    }
}

#[async_trait]
impl Upkeep for RedisStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        let pinged = redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(drop)
            .map_err(unavailable);
        match pinged {
            // A fresh connection says why (refused credentials, refused
            // connection) where the reconnecting one only timed out.
            Err(StoreError::Unavailable(why)) => match self.diagnose().await {
                Ok(()) => Err(StoreError::Unavailable(why)),
                Err(cause) => Err(cause),
            },
            other => other,
        }
    }

    async fn settle_schema(&self) -> Result<Settled, StoreError> {
        self.settle_schema_once().await
    }

    async fn maintain(&self, _now: Timestamp) -> Result<(), StoreError> {
        // Every key that should go has a TTL.
        Ok(())
    }

    async fn sync(&self) -> Result<(), StoreError> {
        // Durability is the Redis server's (its AOF and replication).
        Ok(())
    }
}
