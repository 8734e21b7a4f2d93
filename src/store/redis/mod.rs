//! The Redis store: one Lua script per operation, so each is atomic and one
//! round trip. Works against one server or a Redis Cluster; the key schema
//! ([`super::keys`]) keeps every script's keys in one hash slot.

mod connection;

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::{Script, Value};

pub use connection::RedisStore;
use connection::{corrupt, unavailable};

use super::keys::{self, PollKeys};
use super::record::{choices, parse_key, parse_poll};
use super::{
    Ballot, Batch, CounterQuery, CounterSnapshot, PollState, PutPoll, Store, StoreError, Touch,
    TouchOutcome, Verdict,
};
use crate::counter::visit::EXPIRY_SLACK_MS;
use crate::ids::{OptionId, PageId, PageKey, PollId, SiteId, VisitId, VisitorKey, hex};
use crate::poll::Poll;

static TOUCH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/touch.lua")));
static APPLY: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/apply.lua")));
static BALLOT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/ballot.lua")));
static PUT_POLL: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/put_poll.lua")));
static POLL_STATE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/poll_state.lua")));
static RETRACT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/retract.lua")));
static DAILY_KEY: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/daily_key.lua")));

/// Day, week and month buckets are kept this long (s), for history.
const BUCKET_TTL_SECS: u64 = 400 * 86_400;
/// How long a batch id is remembered, so a resend within it is ignored.
const BATCH_MARKER_TTL_SECS: u64 = 3_600;
/// Per-address ballot counts outlive their day by a day.
const ADDRESS_COUNT_TTL_SECS: u64 = 2 * 86_400;

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
        let mut conn = self.connection().await?;
        let mut call = TOUCH.key(keys::visitor(site, &touch.visitor));
        if let Some(inherit) = &touch.inherit {
            call.key(keys::visitor(site, inherit));
        }
        let (new_visit, new_page_view, visit, capped): (i64, i64, String, i64) = call
            .arg(touch.at_ms)
            .arg(touch.window_ms)
            .arg(touch.day)
            .arg(touch.page.map_or(String::new(), PageKey::to_hex))
            .arg(touch.max_pages)
            .arg(touch.id)
            .arg(EXPIRY_SLACK_MS)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let visit = visit
            .parse()
            .map_err(|_| corrupt("a visitor's visit id is not a number"))?;
        Ok(TouchOutcome {
            new_visit: new_visit == 1,
            new_page_view: new_page_view == 1,
            visit: VisitId(visit),
            capped: capped == 1,
        })
    }

    async fn apply(
        &self,
        site: &SiteId,
        batch: Option<&Batch>,
        query: &CounterQuery,
        max_pages: u64,
    ) -> Result<CounterSnapshot, StoreError> {
        let mut conn = self.connection().await?;
        let empty = Batch::default();
        let b = batch.unwrap_or(&empty);
        let mut call = APPLY.key(keys::batch(site, &b.id));
        call.key(keys::visits_total(site))
            .key(keys::page_views(site))
            .key(keys::online(site))
            .key(keys::baseline(site))
            .key(keys::visits_day(site, &query.today))
            .key(keys::visits_day(site, &query.yesterday))
            .key(keys::visits_week(site, &query.week))
            .key(keys::visits_month(site, &query.month));
        let mut increments = Vec::with_capacity(b.visits.len() * 3);
        for (buckets, n) in &b.visits {
            increments.push((keys::visits_day(site, &buckets.day), *n));
            increments.push((keys::visits_week(site, &buckets.week), *n));
            increments.push((keys::visits_month(site, &buckets.month), *n));
        }
        for (key, _) in &increments {
            call.key(key);
        }
        let total: u64 = b.visits.iter().map(|(_, n)| n).sum();
        call.arg(u8::from(batch.is_some()))
            .arg(total)
            .arg(query.online_since_ms)
            .arg(max_pages)
            .arg(BUCKET_TTL_SECS)
            .arg(BATCH_MARKER_TTL_SECS)
            .arg(increments.len());
        for (_, n) in &increments {
            call.arg(n);
        }
        call.arg(b.page_views.len());
        for (page, n) in &b.page_views {
            call.arg(page.as_str()).arg(n);
        }
        call.arg(b.seen.len());
        for (visit, at) in &b.seen {
            call.arg(visit.to_hex()).arg(at);
        }
        call.arg(query.pages.len());
        for page in &query.pages {
            call.arg(page.as_str());
        }
        let values: Vec<u64> = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        if values.len() != 9 + query.pages.len() {
            return Err(corrupt(
                "counter script answered the wrong number of values",
            ));
        }
        Ok(CounterSnapshot {
            baseline: values[0],
            visits: values[1],
            today: values[2],
            yesterday: values[3],
            this_week: values[4],
            this_month: values[5],
            online: values[6],
            views_dropped: values[7],
            distinct_pages: values[8],
            pages: values[9..].to_vec(),
        })
    }

    async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Result<Vec<u64>, StoreError> {
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.connection().await?;
        let views: Vec<Option<u64>> = redis::cmd("HMGET")
            .arg(keys::page_views(site))
            .arg(pages.iter().map(PageId::as_str).collect::<Vec<_>>())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(views.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn set_baseline(&self, site: &SiteId, baseline: u64) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("SET")
            .arg(keys::baseline(site))
            .arg(baseline)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn daily_key(
        &self,
        site: &SiteId,
        day: &str,
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

    async fn put_poll(
        &self,
        site: &SiteId,
        poll: &Poll,
        force: bool,
    ) -> Result<PutPoll, StoreError> {
        let mut conn = self.connection().await?;
        let k = PollKeys::new(site, &poll.id);
        let def = serde_json::to_string(poll).map_err(|e| corrupt(e.to_string()))?;
        let options: Vec<&str> = poll.option_ids().map(OptionId::as_str).collect();
        let reply: Vec<String> = PUT_POLL
            .key(&k.meta)
            .key(&k.counts)
            .arg(def)
            .arg(
                poll.opens_at
                    .map_or(String::new(), |t| t.as_millisecond().to_string()),
            )
            .arg(
                poll.closes_at
                    .map_or(String::new(), |t| t.as_millisecond().to_string()),
            )
            .arg(poll.max_choices)
            .arg(options.join(","))
            .arg(if force { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let outcome = match reply.first().map(String::as_str) {
            Some("created") => PutPoll::Created,
            Some("replaced") => PutPoll::Replaced,
            Some("unchanged") => PutPoll::Unchanged,
            Some("conflict") => {
                let orphans = reply[1..]
                    .chunks(2)
                    .filter_map(|pair| {
                        let id = OptionId::parse(pair.first()?).ok()?;
                        Some((id, pair.get(1)?.parse().ok()?))
                    })
                    .collect();
                return Ok(PutPoll::Conflict(orphans));
            }
            _ => return Err(corrupt("poll script answered something unknown")),
        };
        // The index lives in the site's slot, so it is a second command; a
        // poll is written before it is listed.
        redis::cmd("SADD")
            .arg(keys::poll_index(site))
            .arg(poll.id.as_str())
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(outcome)
    }

    async fn list_polls(&self, site: &SiteId) -> Result<Vec<Poll>, StoreError> {
        let mut conn = self.connection().await?;
        let mut ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys::poll_index(site))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        ids.sort();
        let mut polls = Vec::with_capacity(ids.len());
        for id in ids {
            let Ok(id) = PollId::parse(&id) else { continue };
            let def: Option<String> = redis::cmd("HGET")
                .arg(PollKeys::new(site, &id).meta)
                .arg("def")
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            if let Some(def) = def {
                polls.push(parse_poll(&def)?);
            }
        }
        Ok(polls)
    }

    async fn poll_state(
        &self,
        site: &SiteId,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        let mut conn = self.connection().await?;
        let k = PollKeys::new(site, poll);
        let reply: Value = POLL_STATE
            .key(&k.meta)
            .key(&k.counts)
            .key(&k.voters)
            .arg(visitor.map_or("", VisitorKey::as_str))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let Value::Array(parts) = reply else {
            return Ok(None);
        };
        match parts.as_slice() {
            [def, voted, counts] => Ok(Some(poll_state(def, voted, counts)?)),
            _ => Err(corrupt("poll state script answered the wrong shape")),
        }
    }

    async fn cast(
        &self,
        site: &SiteId,
        ballot: &Ballot,
    ) -> Result<Option<(Verdict, PollState)>, StoreError> {
        let mut conn = self.connection().await?;
        let k = PollKeys::new(site, &ballot.poll);
        let mut call = BALLOT.key(&k.meta);
        call.key(&k.counts)
            .key(&k.voters)
            .key(k.addresses(&ballot.day))
            .arg(ballot.at_ms)
            .arg(ballot.visitor.as_str())
            .arg(ballot.address.as_str())
            .arg(ballot.address_cap)
            .arg(ADDRESS_COUNT_TTL_SECS)
            .arg(ballot.deadline_ms)
            .arg(ballot.id);
        for choice in &ballot.choices {
            call.arg(choice.as_str());
        }
        let reply: Value = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        let Value::Array(parts) = reply else {
            return Ok(None);
        };
        if let [expired] = parts.as_slice()
            && text(expired)? == "expired"
        {
            return Err(StoreError::Unavailable(
                "the ballot reached Redis after its deadline and was not counted".into(),
            ));
        }
        let [verdict, def, voted, counts] = parts.as_slice() else {
            return Err(corrupt("ballot script answered the wrong shape"));
        };
        let verdict = match text(verdict)?.as_str() {
            "accepted" => Verdict::Accepted,
            "already_voted" => Verdict::AlreadyVoted,
            "address_cap" => Verdict::AddressCapReached,
            "not_yet_open" => Verdict::NotYetOpen,
            "closed" => Verdict::Closed,
            "invalid_choice" => Verdict::InvalidChoice,
            other => return Err(corrupt(format!("unknown ballot verdict {other:?}"))),
        };
        Ok(Some((verdict, poll_state(def, voted, counts)?)))
    }

    async fn retract(&self, site: &SiteId, ballot: &Ballot) -> Result<bool, StoreError> {
        let mut conn = self.connection().await?;
        let k = PollKeys::new(site, &ballot.poll);
        let retracted: i64 = RETRACT
            .key(&k.counts)
            .key(&k.voters)
            .key(k.addresses(&ballot.day))
            .arg(ballot.visitor.as_str())
            .arg(ballot.id)
            .arg(ballot.address.as_str())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(retracted == 1)
    }

    async fn maintain(&self, _now_ms: i64) -> Result<(), StoreError> {
        // Every key that should go has a TTL.
        Ok(())
    }

    async fn sync(&self) -> Result<(), StoreError> {
        // Durability is the Redis server's (AOF `appendfsync everysec`).
        Ok(())
    }
}

fn text(value: &Value) -> Result<String, StoreError> {
    match value {
        Value::BulkString(bytes) => {
            String::from_utf8(bytes.clone()).map_err(|_| corrupt("stored text is not UTF-8"))
        }
        Value::SimpleString(s) => Ok(s.clone()),
        Value::Int(n) => Ok(n.to_string()),
        Value::Nil => Ok(String::new()),
        _ => Err(corrupt("expected text from the store")),
    }
}

fn poll_state(def: &Value, voted: &Value, counts: &Value) -> Result<PollState, StoreError> {
    let poll = parse_poll(&text(def)?)?;
    let voted = choices(&text(voted)?);
    let Value::Array(flat) = counts else {
        return Err(corrupt("poll counts are not a list"));
    };
    let mut map = HashMap::with_capacity(flat.len() / 2);
    for pair in flat.chunks(2) {
        if let [id, n] = pair {
            let n = text(n)?
                .parse()
                .map_err(|_| corrupt("poll count is not a number"))?;
            map.insert(text(id)?, n);
        }
    }
    Ok(PollState::from_counts(poll, &map, voted))
}
