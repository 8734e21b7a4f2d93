//! The Redis store: one Lua script per operation, so each is atomic and one
//! round trip. Works against one server or a Redis Cluster; the key schema
//! ([`super::keys`]) keeps every script's keys in one hash slot.

mod connection;
mod counters;
mod durability;
mod history;
mod levels;
mod polls;
mod sessions;
mod touches;

use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

pub use connection::RedisStore;
use connection::unavailable;

use super::{
    Ballot, Batch, CounterQuery, CounterSnapshot, Imported, Keep, PollState, PutPoll, Retraction,
    Session, Store, StoreError, Touch, TouchOutcome, Verdict,
};
use crate::calendar::Day;
use crate::ids::{PageId, PollId, SiteId, VisitorKey};
use crate::poll::Poll;

#[async_trait]
impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        RedisStore::kind(self)
    }

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

    async fn touch(&self, site: &SiteId, touch: &Touch) -> Result<TouchOutcome, StoreError> {
        self.touch_visitor(site, touch).await
    }

    async fn apply(
        &self,
        site: &SiteId,
        batch: &Batch,
        query: &CounterQuery,
        keep: &Keep,
    ) -> Result<CounterSnapshot, StoreError> {
        self.counters(site, Some(batch), query, keep).await
    }

    async fn read(
        &self,
        site: &SiteId,
        query: &CounterQuery,
    ) -> Result<CounterSnapshot, StoreError> {
        let keep = Keep {
            max_pages: 0,
            top_pages: 0,
            page_days: 0,
        };
        self.counters(site, None, query, &keep).await
    }

    async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Result<Vec<u64>, StoreError> {
        self.views(site, pages).await
    }

    async fn set_baseline(&self, site: &SiteId, baseline: u64) -> Result<(), StoreError> {
        self.write_baseline(site, baseline).await
    }

    async fn daily_key(
        &self,
        site: &SiteId,
        day: Day,
        candidate: [u8; 32],
        lifetime: Duration,
    ) -> Result<[u8; 32], StoreError> {
        self.hashing_key(site, day, candidate, lifetime).await
    }

    async fn secret(
        &self,
        site: &SiteId,
        name: &str,
        candidate: [u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        self.shared_secret(site, name, candidate).await
    }

    async fn visitor_known(
        &self,
        site: &SiteId,
        visitor: &VisitorKey,
        _now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.has_state(site, visitor).await
    }

    async fn share_levels(
        &self,
        site: &SiteId,
        raised: &[(String, u8)],
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<(String, u8)>, StoreError> {
        self.shared_levels(site, raised, until, now).await
    }

    async fn put_poll(
        &self,
        site: &SiteId,
        poll: &Poll,
        force: bool,
    ) -> Result<PutPoll, StoreError> {
        self.store_poll(site, poll, force).await
    }

    async fn list_polls(&self, site: &SiteId) -> Result<Vec<Poll>, StoreError> {
        self.poll_list(site).await
    }

    async fn poll_state(
        &self,
        site: &SiteId,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        self.read_poll(site, poll, visitor).await
    }

    async fn cast(
        &self,
        site: &SiteId,
        ballot: &Ballot,
    ) -> Result<Option<(Verdict, PollState)>, StoreError> {
        self.cast_ballot(site, ballot).await
    }

    async fn retract(&self, site: &SiteId, retraction: &Retraction) -> Result<bool, StoreError> {
        self.retract_ballot(site, retraction).await
    }

    async fn maintain(&self, _now: Timestamp) -> Result<(), StoreError> {
        // Every key that should go has a TTL.
        Ok(())
    }

    async fn sync(&self) -> Result<(), StoreError> {
        // Durability is the Redis server's (its AOF and replication).
        Ok(())
    }

    async fn visits_by_day(
        &self,
        site: &SiteId,
        from: Day,
        to: Day,
    ) -> Result<Vec<u64>, StoreError> {
        self.daily_visits(site, from, to).await
    }

    async fn pages_by_day(
        &self,
        site: &SiteId,
        days: &[Day],
        limit: u32,
    ) -> Result<Vec<Vec<(PageId, u64)>>, StoreError> {
        self.daily_pages(site, days, limit).await
    }

    async fn ballots_by_day(
        &self,
        site: &SiteId,
        poll: &PollId,
    ) -> Result<Vec<(Day, String, u64)>, StoreError> {
        self.daily_ballots(site, poll).await
    }

    async fn import_visits(
        &self,
        site: &SiteId,
        days: &[(Day, u64)],
        today: Day,
    ) -> Result<Imported, StoreError> {
        self.import_days(site, days, today).await
    }

    async fn delete_poll(&self, site: &SiteId, poll: &PollId) -> Result<bool, StoreError> {
        self.remove_poll(site, poll).await
    }

    async fn append_audit(&self, site: &SiteId, entry: &str) -> Result<(), StoreError> {
        self.push_audit(site, entry).await
    }

    async fn audit(&self, site: &SiteId, limit: usize) -> Result<Vec<String>, StoreError> {
        self.read_audit(site, limit).await
    }

    async fn put_session(
        &self,
        site: &SiteId,
        hash: &str,
        session: &Session,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.keep_session(site, hash, session, now).await
    }

    async fn session(
        &self,
        site: &SiteId,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        self.find_session(site, hash, now).await
    }

    async fn end_session(&self, site: &SiteId, hash: &str) -> Result<(), StoreError> {
        self.forget_session(site, hash).await
    }
}
