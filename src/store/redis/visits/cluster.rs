//! A batch of touches on a Redis Cluster: split by the node that holds each
//! visitor's slot, one pipeline of `touch.lua` calls per node, the nodes at
//! once. Which node holds which slot is read with `CLUSTER SLOTS` and read
//! again after anything goes wrong; a touch whose pipeline failed, or that
//! a node redirected, is sent alone through the cluster client, which
//! follows redirections and loads the script where it is missing (touches
//! are exact by hit id, so sending one again is safe).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use redis::Value;
use redis::cluster_routing::SingleNodeRoutingInfo;
use tokio::task::JoinSet;

use super::{Job, TOUCH, outcome};
use crate::store::keys::slot as slot_of;
use crate::store::redis::connection::Connection;

/// A node's address.
type Node = (String, u16);

/// Slot ranges (first, last) and the master of each.
type SlotMap = Vec<(u16, u16, Node)>;

/// Which node masters which slots, as last read.
#[derive(Default)]
pub(super) struct Nodes {
    map: RwLock<Option<Arc<SlotMap>>>,
}

impl Nodes {
    fn forget(&self) {
        *self.map.write() = None;
    }

    async fn map(&self, conn: &mut Connection) -> Option<Arc<SlotMap>> {
        if let Some(map) = self.map.read().as_ref() {
            return Some(Arc::clone(map));
        }
        let value: Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(conn)
            .await
            .ok()?;
        let map = Arc::new(parse_slots(value)?);
        *self.map.write() = Some(Arc::clone(&map));
        Some(map)
    }
}

/// `CLUSTER SLOTS`: per range, start, end, then the master `[host, port, ..]`.
fn parse_slots(value: Value) -> Option<SlotMap> {
    let Value::Array(ranges) = value else {
        return None;
    };
    let mut out = Vec::with_capacity(ranges.len());
    for range in ranges {
        let Value::Array(fields) = range else {
            return None;
        };
        let int = |v: &Value| match v {
            Value::Int(n) => u16::try_from(*n).ok(),
            _ => None,
        };
        let (start, end) = (int(fields.first()?)?, int(fields.get(1)?)?);
        let Value::Array(master) = fields.get(2)? else {
            return None;
        };
        let host = match master.first()? {
            Value::BulkString(b) => String::from_utf8(b.clone()).ok()?,
            Value::SimpleString(s) => s.clone(),
            _ => return None,
        };
        out.push((start, end, (host, int(master.get(1)?)?)));
    }
    Some(out)
}

/// Sends `batch`, a pipeline per node.
pub(super) async fn send(conn: &mut Connection, nodes: &Arc<Nodes>, batch: Vec<Job>) {
    let Some(map) = nodes.map(conn).await else {
        return alone(conn, batch).await;
    };
    let mut by_node: HashMap<&Node, Vec<Job>> = HashMap::new();
    let mut strays = Vec::new();
    for job in batch {
        let slot = slot_of(job.call.key.as_bytes());
        match map.iter().find(|(s, e, _)| *s <= slot && slot <= *e) {
            Some((_, _, node)) => by_node.entry(node).or_default().push(job),
            None => strays.push(job),
        }
    }
    let mut sends = JoinSet::new();
    for (node, jobs) in by_node {
        let (mut conn, nodes, node) = (conn.clone(), Arc::clone(nodes), node.clone());
        sends.spawn(async move { pipeline(&mut conn, &nodes, node, jobs).await });
    }
    if !strays.is_empty() {
        nodes.forget();
        alone(conn, strays).await;
    }
    while sends.join_next().await.is_some() {}
}

/// One node's touches in one pipeline.
async fn pipeline(conn: &mut Connection, nodes: &Nodes, node: Node, jobs: Vec<Job>) {
    let Connection::Cluster(cluster) = conn else {
        return alone(conn, jobs).await;
    };
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for job in &jobs {
        let call = &job.call;
        let cmd = pipe
            .cmd("EVALSHA")
            .arg(TOUCH.get_hash())
            .arg(1 + usize::from(call.inherit.is_some()))
            .arg(&call.key);
        if let Some(inherit) = &call.inherit {
            cmd.arg(inherit);
        }
        for arg in &call.args {
            cmd.arg(arg.as_slice());
        }
    }
    let (host, port) = node;
    let route = SingleNodeRoutingInfo::ByAddress { host, port };
    let values = match cluster.route_pipeline(pipe, 0, jobs.len(), route).await {
        Ok(values) if values.len() == jobs.len() => values,
        _ => {
            nodes.forget();
            return alone(conn, jobs).await;
        }
    };
    let mut again = Vec::new();
    for (job, value) in jobs.into_iter().zip(values) {
        match value {
            // NOSCRIPT on a node new to the script, MOVED after a
            // resharding, or any other refusal: alone, it is handled.
            Value::ServerError(e) => {
                if e.code() != "NOSCRIPT" {
                    nodes.forget();
                }
                again.push(job);
            }
            value => {
                let _ = job.reply.send(outcome(value));
            }
        }
    }
    alone(conn, again).await;
}

/// Each touch in its own call, at once.
async fn alone(conn: &mut Connection, jobs: Vec<Job>) {
    let mut sends = JoinSet::new();
    for job in jobs {
        let mut conn = conn.clone();
        sends.spawn(async move {
            let _ = job.reply.send(job.call.alone(&mut conn).await);
        });
    }
    while sends.join_next().await.is_some() {}
}
