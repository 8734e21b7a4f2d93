//! Which node of a Redis Cluster masters which slots, read with `CLUSTER
//! SLOTS` and read again after anything goes wrong: calls that arrive
//! together are grouped by node, and each node gets one pipeline.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use redis::Value;

use super::connection::Connection;

/// A node's address.
pub(super) type Node = (String, u16);

/// Slot ranges (first, last) and the master of each.
type SlotMap = Vec<(u16, u16, Node)>;

/// Which node masters which slots, as last read.
#[derive(Default)]
pub(super) struct Nodes {
    map: RwLock<Option<Arc<SlotMap>>>,
}

/// Calls grouped by the node that holds their key's slot; the strays are
/// those whose node is not known (the map could not be read, or does not
/// cover the slot), to be sent through the cluster client, which follows
/// redirections.
pub(super) struct Grouped<T> {
    pub by_node: HashMap<Node, Vec<T>>,
    pub strays: Vec<T>,
}

impl Nodes {
    /// Forgets the map: the next call reads it again.
    pub(super) fn forget(&self) {
        *self.map.write() = None;
    }

    /// `items` by the node holding each one's `slot`.
    pub(super) async fn group<T>(
        &self,
        conn: &mut Connection,
        items: Vec<T>,
        slot: impl Fn(&T) -> u16,
    ) -> Grouped<T> {
        let mut grouped = Grouped {
            by_node: HashMap::new(),
            strays: Vec::new(),
        };
        let Some(map) = self.map(conn).await else {
            grouped.strays = items;
            return grouped;
        };
        for item in items {
            let slot = slot(&item);
            match map.iter().find(|(s, e, _)| *s <= slot && slot <= *e) {
                Some((_, _, node)) => grouped.by_node.entry(node.clone()).or_default().push(item),
                None => grouped.strays.push(item),
            }
        }
        grouped
    }

    /// Every master, each once; `None` when the map cannot be read.
    pub(super) async fn masters(&self, conn: &mut Connection) -> Option<Vec<Node>> {
        let mut masters: Vec<Node> = self
            .map(conn)
            .await?
            .iter()
            .map(|(_, _, node)| node.clone())
            .collect();
        masters.sort();
        masters.dedup();
        Some(masters)
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
