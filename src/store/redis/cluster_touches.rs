//! A batch of touches on a Redis Cluster: split by the node that holds each
//! visitor's slot, one pipeline of `touch.lua` calls per node, the nodes at
//! once. Which node holds which slot is read with `CLUSTER SLOTS` and read
//! again after anything goes wrong; a touch whose pipeline failed, or that
//! a node redirected, is sent alone through the cluster client, which
//! follows redirections and loads the script where it is missing (touches
//! are exact by hit id, so sending one again is safe).

use std::sync::Arc;

use redis::Value;
use redis::cluster_routing::SingleNodeRoutingInfo;
use tokio::task::JoinSet;

use super::connection::Connection;
use super::nodes::{Node, Nodes};
use super::visits::{Job, TOUCH, outcome};
use crate::store::keys::slot;

/// Sends `batch`, a pipeline per node.
pub(super) async fn send(conn: &mut Connection, nodes: &Arc<Nodes>, batch: Vec<Job>) {
    let grouped = nodes
        .group(conn, batch, |job| slot(job.call.key.as_bytes()))
        .await;
    let mut sends = JoinSet::new();
    for (node, jobs) in grouped.by_node {
        let (mut conn, nodes) = (conn.clone(), Arc::clone(nodes));
        sends.spawn(async move { pipeline(&mut conn, &nodes, node, jobs).await });
    }
    if !grouped.strays.is_empty() {
        nodes.forget();
        alone(conn, grouped.strays).await;
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
