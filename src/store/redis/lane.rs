//! Connections of their own, beside the shared one: the ballots' lane
//! (each connection held by one ballot at a time, [`super::durability`]
//! says why) and an import's, whose answers may take longer than the store
//! timeout allows a shared connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, RedisResult, Value};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::connection::{Connection, unavailable};
use crate::store::StoreError;

/// Ballots waiting for their promise at once, per process; more wait their
/// turn for a connection.
const BALLOT_CONNECTIONS: usize = 4;

/// The ballots' own connections, opened when first needed. One ballot
/// holds one from its script to the end of its wait, so the wait counts that
/// ballot's write and blocks no one else. To one server a connection never
/// reconnects under a ballot: one that an error broke is replaced before
/// the next ballot, so a wait always follows its ballot on the same socket.
pub(super) struct Lane {
    opener: Opener,
    slots: Vec<Arc<Mutex<Slot>>>,
    next: AtomicUsize,
}

/// Opens connections of their own: to one server with a configuration, or
/// to a cluster through a client of their own.
pub(super) enum Opener {
    Single(Box<redis::Client>, AsyncConnectionConfig),
    Cluster(Box<ClusterClient>),
}

impl Opener {
    /// To one server, with `response` as the longest wait for an answer.
    pub(super) fn single(client: redis::Client, timeout: Duration, response: Duration) -> Self {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(response));
        Opener::Single(Box::new(client), config)
    }

    /// A fresh connection.
    pub(super) async fn open(&self) -> Result<Link, StoreError> {
        Ok(match self {
            Opener::Single(client, config) => Link::Single(
                client
                    .get_multiplexed_async_connection_with_config(config)
                    .await
                    .map_err(unavailable)?,
            ),
            Opener::Cluster(client) => {
                Link::Cluster(client.get_async_connection().await.map_err(unavailable)?)
            }
        })
    }
}

#[derive(Default)]
struct Slot {
    link: Option<Link>,
    /// An error broke the link: the next ballot opens another.
    broken: AtomicBool,
}

/// A connection of its own, to one server or to a cluster.
#[derive(Clone)]
pub(super) enum Link {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Link {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Link::Single(c) => c.req_packed_command(cmd),
            Link::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Link::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Link::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Link::Single(c) => c.get_db(),
            Link::Cluster(c) => c.get_db(),
        }
    }
}

/// One of the ballots' connections, held by one ballot until dropped.
#[derive(Clone)]
pub(super) struct Dedicated(Arc<OwnedMutexGuard<Slot>>);

impl Lane {
    /// Connections to one server, opened with `client`.
    pub(super) fn single(client: redis::Client, timeout: Duration) -> Self {
        Self::with(Opener::single(client, timeout, timeout))
    }

    /// Connections to a cluster through a client of their own.
    pub(super) fn cluster(client: ClusterClient) -> Self {
        Self::with(Opener::Cluster(Box::new(client)))
    }

    fn with(opener: Opener) -> Self {
        Self {
            opener,
            slots: (0..BALLOT_CONNECTIONS).map(|_| Arc::default()).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A connection for one ballot: a free one, or the next to be freed.
    pub(super) async fn connection(&self) -> Result<Connection, StoreError> {
        let free = self
            .slots
            .iter()
            .find_map(|slot| Arc::clone(slot).try_lock_owned().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => {
                let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
                Arc::clone(&self.slots[turn]).lock_owned().await
            }
        };
        if slot.broken.swap(false, Ordering::Relaxed) {
            slot.link = None;
        }
        if slot.link.is_none() {
            slot.link = Some(self.opener.open().await?);
        }
        Ok(Connection::Ballots(Dedicated(Arc::new(slot))))
    }
}

impl Dedicated {
    fn link(&self) -> Link {
        self.0.link.clone().expect("opened before it is handed out")
    }

    /// Whether it goes to one server (not a cluster).
    pub(super) fn is_single(&self) -> bool {
        matches!(self.0.link, Some(Link::Single(_)))
    }

    /// Sends `cmd` to the server, or on a cluster to the master of the slot
    /// of `key` (for a command without keys, such as `WAIT`).
    pub(super) async fn to_master_of(&self, key: &str, cmd: Cmd) -> RedisResult<Value> {
        let reply = match self.link() {
            Link::Single(mut c) => cmd.query_async(&mut c).await,
            Link::Cluster(mut c) => {
                let master = Route::with_key(key, SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(master));
                c.route_command(cmd, routing).await
            }
        };
        self.note(&reply);
        reply
    }

    /// A connection to one server that an error broke is not used again
    /// (a cluster connection repairs itself).
    fn note<T>(&self, reply: &RedisResult<T>) {
        if let Err(e) = reply
            && self.is_single()
            && (e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error())
        {
            self.0.broken.store(true, Ordering::Relaxed);
        }
    }
}

impl ConnectionLike for Dedicated {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let mut link = self.link();
        Box::pin(async move {
            let reply = link.req_packed_command(cmd).await;
            self.note(&reply);
            reply
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let mut link = self.link();
        Box::pin(async move {
            let reply = link.req_packed_commands(pipeline, offset, count).await;
            self.note(&reply);
            reply
        })
    }

    fn get_db(&self) -> i64 {
        self.link().get_db()
    }
}
