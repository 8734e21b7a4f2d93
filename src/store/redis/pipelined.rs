//! Many sites' flushes in one pipeline: each site's `apply.lua` calls
//! (its batch's parts, the counters read with the last) one after another
//! on one connection, answered together.

use redis::cluster_routing::SingleNodeRoutingInfo;
use redis::{FromRedisValue, ScriptInvocation, Value};

use super::connection::{Connection, corrupt};
use super::counters::{invocation, parts, snapshot};
use super::nodes::Node;
use crate::store::{CounterQuery, CounterSnapshot, SiteFlush, StoreError};

/// The calls of one site's flush: each part of its batch, the counters
/// read with the last (see [`RedisStore::counters`]).
fn calls(f: &SiteFlush) -> Vec<(ScriptInvocation<'static>, usize)> {
    let Some(batch) = &f.batch else {
        return vec![(
            invocation(&f.site, None, &f.query, &f.keep),
            f.query.pages.len(),
        )];
    };
    let parts = parts(batch);
    if parts.is_empty() {
        return vec![(
            invocation(&f.site, Some(batch), &f.query, &f.keep),
            f.query.pages.len(),
        )];
    }
    let no_pages = CounterQuery {
        pages: Vec::new(),
        ..f.query.clone()
    };
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(|(k, part)| match k == last {
            true => (
                invocation(&f.site, Some(part), &f.query, &f.keep),
                f.query.pages.len(),
            ),
            false => (invocation(&f.site, Some(part), &no_pages, &f.keep), 0),
        })
        .collect()
}

/// What a pipeline of flushes answered: each one's answer, or `None`
/// where one of its calls was refused or the pipeline failed.
pub(super) struct Sent {
    pub answers: Vec<Option<Result<CounterSnapshot, StoreError>>>,
    /// Whether a refusal may come from a map of the slots that is out of
    /// date (`MOVED`, a failed pipeline), not only from a node new to the
    /// script (`NOSCRIPT`).
    pub stale: bool,
}

/// Sends the flushes `which` names in one pipeline (to `node`, on a
/// cluster).
pub(super) async fn pipelined(
    conn: &mut Connection,
    flushes: &[SiteFlush],
    which: &[usize],
    node: Option<Node>,
) -> Sent {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    let mut pages = Vec::with_capacity(which.len());
    for &i in which {
        let calls = calls(&flushes[i]);
        for (call, _) in &calls {
            pipe.invoke_script(call);
        }
        pages.push(calls.into_iter().map(|(_, n)| n).collect::<Vec<_>>());
    }
    let total = pages.iter().map(Vec::len).sum();
    let values = match (conn, node) {
        (Connection::Cluster(cluster), Some((host, port))) => {
            let route = SingleNodeRoutingInfo::ByAddress { host, port };
            cluster.route_pipeline(pipe, 0, total, route).await
        }
        (conn, _) => pipe.query_async::<Vec<Value>>(conn).await,
    };
    let Ok(values) = values.map_err(drop).and_then(|v| match v.len() == total {
        true => Ok(v),
        false => Err(()),
    }) else {
        return Sent {
            answers: which.iter().map(|_| None).collect(),
            stale: true,
        };
    };
    let stale = values
        .iter()
        .any(|v| matches!(v, Value::ServerError(e) if e.code() != "NOSCRIPT"));
    let mut values = values.into_iter();
    let answers = pages
        .into_iter()
        .map(|pages| answered(values.by_ref().take(pages.len()).collect(), &pages))
        .collect();
    Sent { answers, stale }
}

/// A flush's snapshot from its calls' answers: the last call's counters,
/// with the views every part dropped; `None` when a call was refused.
fn answered(values: Vec<Value>, pages: &[usize]) -> Option<Result<CounterSnapshot, StoreError>> {
    if values.iter().any(|v| matches!(v, Value::ServerError(_))) {
        return None;
    }
    let mut dropped = 0;
    let mut last = None;
    for (value, &n) in values.into_iter().zip(pages) {
        let parsed = Vec::<u64>::from_redis_value(value)
            .map_err(|e| corrupt(e.to_string()))
            .and_then(|v| snapshot(v, n));
        match parsed {
            Ok(snapshot) => {
                dropped += snapshot.views_dropped;
                last = Some(snapshot);
            }
            Err(e) => return Some(Err(e)),
        }
    }
    let mut snapshot = last?;
    snapshot.views_dropped = dropped;
    Some(Ok(snapshot))
}
