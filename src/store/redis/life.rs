//! A site's life in Redis (one server or a cluster): a merge taken back in
//! pipelines whose commands share a slot, a site's every key deleted from
//! every node, and the marks of merges in a hash of the site's slot.

use async_trait::async_trait;
use jiff::Timestamp;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, Pipeline, Value};

use super::archive::Batch;
use super::connection::{Connection, RedisStore, unavailable};
use super::nodes::Node;
use super::polls::remove_poll;
use crate::ids::SiteId;
use crate::store::keys;
use crate::store::piece::{MergeMark, Period, Piece};
use crate::store::{Life, StoreError};

/// Keys a `SCAN` page looks at.
const SCAN_COUNT: u32 = 1_000;

/// Takes `ARGV[3]` off a count — a string (`s`), a hash's field or a
/// sorted set's member (`h`, `z`, named by `ARGV[2]`) — never below zero:
/// what reaches zero is removed, as if never written (a bucket keeps its
/// expiry). Sent whole (`EVAL`) in a pipeline: a pipelined `EVALSHA` of
/// a script the server has not seen fails.
const LESS: &str = "local n = tonumber(ARGV[3]) \
         if ARGV[1] == 's' then \
           local v = tonumber(redis.call('GET', KEYS[1]) or '0') \
           if v <= n then redis.call('DEL', KEYS[1]) else redis.call('DECRBY', KEYS[1], n) end \
         elseif ARGV[1] == 'h' then \
           local v = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0') \
           if v <= n then redis.call('HDEL', KEYS[1], ARGV[2]) \
           else redis.call('HINCRBY', KEYS[1], ARGV[2], -n) end \
         else \
           local v = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[2]) or '0') \
           if v <= n then redis.call('ZREM', KEYS[1], ARGV[2]) \
           else redis.call('ZINCRBY', KEYS[1], -n, ARGV[2]) end \
         end \
         return 1";

/// `n` off the count at `key` (`kind` and `field` as [`LESS`] reads them).
fn less(batch: &mut Batch, kind: &str, key: &str, field: &str, n: u64) {
    if n == 0 {
        return;
    }
    batch
        .to(key)
        .cmd("EVAL")
        .arg(LESS)
        .arg(1)
        .arg(key)
        .arg(kind)
        .arg(field)
        .arg(n);
}

#[async_trait]
impl Life for RedisStore {
    async fn withdraw(&self, site: &SiteId, pieces: Vec<Piece>) -> Result<(), StoreError> {
        let mut conn = self.patient_connection().await?;
        let mut batch = Batch::default();
        for piece in &pieces {
            if let Piece::Poll { poll, .. } = piece {
                batch.flush(&mut conn).await?;
                // No tombstone: the poll was never the site's.
                remove_poll(&mut conn, site, &poll.id, false).await?;
                continue;
            }
            withdraw(&mut batch, site, piece);
        }
        batch.flush(&mut conn).await
    }

    async fn forget_site(&self, site: &SiteId) -> Result<u64, StoreError> {
        // The shared connection, which on a cluster routes each command to
        // a node (each one is short: a `SCAN` page, one key's `UNLINK`).
        let mut conn = self.connection().await?;
        let nodes: Vec<Option<Node>> = match &conn {
            Connection::Cluster(_) => self
                .nodes
                .masters(&mut conn)
                .await
                .ok_or_else(|| StoreError::Unavailable("the cluster's nodes are not known".into()))?
                .into_iter()
                .map(Some)
                .collect(),
            _ => vec![None],
        };
        // Every key of the site begins with its slot: `{site}` for its
        // counters, `{site/v/…}` and `{site/p/…}` for visitors and polls,
        // spread over every node of a cluster.
        let patterns = [format!("tally:{{{site}}}*"), format!("tally:{{{site}/*")];
        let mut removed = 0;
        for node in &nodes {
            for pattern in &patterns {
                let mut cursor = "0".to_owned();
                loop {
                    let mut scan = redis::cmd("SCAN");
                    scan.arg(&cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(SCAN_COUNT);
                    let (next, found): (String, Vec<String>) = on(&mut conn, node, scan).await?;
                    removed += unlink(&mut conn, &found).await?;
                    if next == "0" {
                        break;
                    }
                    cursor = next;
                }
            }
        }
        let listed: u64 = redis::cmd("HDEL")
            .arg(keys::listed_sites())
            .arg(site.as_str())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(removed + listed)
    }

    async fn list_sites(&self, sites: Vec<SiteId>, at: Timestamp) -> Result<(), StoreError> {
        if sites.is_empty() {
            return Ok(());
        }
        let mut conn = self.connection().await?;
        let mut cmd = redis::cmd("HSET");
        cmd.arg(keys::listed_sites());
        for site in &sites {
            cmd.arg(site.as_str()).arg(at.as_millisecond());
        }
        cmd.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    async fn listed_sites(&self) -> Result<Vec<(String, Timestamp)>, StoreError> {
        let mut conn = self.connection().await?;
        let mut listed: Vec<(String, i64)> = redis::cmd("HGETALL")
            .arg(keys::listed_sites())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        listed.sort();
        Ok(listed
            .into_iter()
            .map(|(site, ms)| {
                let at = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX);
                (site, at)
            })
            .collect())
    }

    async fn mark_merge(
        &self,
        into: &SiteId,
        from: &SiteId,
        mark: Option<MergeMark>,
    ) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        let mut cmd = redis::cmd(if mark.is_some() { "HSET" } else { "HDEL" });
        cmd.arg(keys::merges(into)).arg(from.as_str());
        if let Some(mark) = mark {
            cmd.arg(mark.code());
        }
        cmd.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    async fn merges(&self, into: &SiteId) -> Result<Vec<(String, MergeMark)>, StoreError> {
        let mut conn = self.connection().await?;
        let mut marks: Vec<(String, u64)> = redis::cmd("HGETALL")
            .arg(keys::merges(into))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        marks.sort();
        Ok(marks
            .into_iter()
            .map(|(from, code)| (from, MergeMark::from_code(code)))
            .collect())
    }
}

/// Runs `cmd` on `node` (a cluster's master), or on the one server.
async fn on<T: redis::FromRedisValue>(
    conn: &mut Connection,
    node: &Option<Node>,
    cmd: Cmd,
) -> Result<T, StoreError> {
    let value: Value = match (conn, node) {
        (Connection::Cluster(cluster), Some((host, port))) => {
            let route = SingleNodeRoutingInfo::ByAddress {
                host: host.clone(),
                port: *port,
            };
            cluster
                .route_command(cmd, RoutingInfo::SingleNode(route))
                .await
        }
        (conn, _) => cmd.query_async(conn).await,
    }
    .map_err(unavailable)?;
    redis::from_redis_value(value).map_err(|e| unavailable(e.into()))
}

/// Deletes `found`; says how many were there. On a cluster one command
/// each, routed by its key (a command, or a pipeline, over several slots is
/// refused); on one server one pipeline.
async fn unlink(conn: &mut Connection, found: &[String]) -> Result<u64, StoreError> {
    if found.is_empty() {
        return Ok(0);
    }
    if let Connection::Cluster(_) = conn {
        let mut removed = 0;
        for key in found {
            let n: u64 = redis::cmd("UNLINK")
                .arg(key)
                .query_async(conn)
                .await
                .map_err(unavailable)?;
            removed += n;
        }
        return Ok(removed);
    }
    let mut pipe = Pipeline::new();
    for key in found {
        pipe.cmd("UNLINK").arg(key);
    }
    let answers: Vec<u64> = pipe.query_async(conn).await.map_err(unavailable)?;
    Ok(answers.iter().sum())
}

/// The commands that take `piece` back (any but a poll's definition).
fn withdraw(batch: &mut Batch, site: &SiteId, piece: &Piece) {
    match piece {
        Piece::Counters {
            baseline, visits, ..
        } => {
            less(batch, "s", &keys::baseline(site), "", *baseline);
            less(batch, "s", &keys::visits_total(site), "", *visits);
        }
        Piece::Bucket { period, visits, .. } => {
            let key = match period {
                Period::Day(d) => keys::visits_day(site, *d),
                Period::Week(w) => keys::visits_week(site, *w),
                Period::Month(m) => keys::visits_month(site, *m),
            };
            less(batch, "s", &key, "", *visits);
        }
        Piece::Day {
            day,
            visits,
            imported,
            ..
        } => {
            let days = keys::visits_days(site, day.month());
            less(batch, "h", &days, &day.field(), *visits);
            let key = keys::imported_days(site, day.month());
            less(batch, "h", &key, &day.field(), *imported);
        }
        Piece::Page { page, views, .. } => {
            less(batch, "h", &keys::page_views(site), page, *views);
        }
        Piece::PageDay {
            day, page, views, ..
        } => {
            less(batch, "z", &keys::pages_day(site, *day), page, *views);
        }
        Piece::Poll { .. }
        | Piece::PollDay { .. }
        | Piece::Voter { .. }
        | Piece::DeletedPoll { .. }
        | Piece::Audit { .. } => {}
    }
}
