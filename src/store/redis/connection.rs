//! Connecting to Redis: one server through a reconnecting multiplexed
//! connection, or a cluster through redis-rs's cluster client; TLS with
//! rustls for `rediss://`. Ballots that wait for a promise have
//! connections of their own, each held by one ballot at a time
//! ([`super::durability`] says why).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, RedisResult, Value};
use tokio::sync::{Mutex, OnceCell, OwnedMutexGuard};

use super::durability::Durability;
use crate::config::BallotDurability;
use crate::store::StoreError;

/// A connection to one server or to a cluster.
#[derive(Clone)]
pub(super) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    /// One of the ballots' own connections.
    Ballots(Dedicated),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
            Connection::Ballots(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Ballots(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
            Connection::Ballots(c) => c.get_db(),
        }
    }
}

enum Target {
    /// The manager, and the client to open a fresh connection with when
    /// the manager's fails, to tell why.
    Single(ConnectionManager, Box<redis::Client>),
    /// Connected on first use, so tally starts while the cluster is down.
    Cluster {
        client: Box<ClusterClient>,
        connection: Arc<OnceCell<ClusterConnection>>,
    },
}

/// State in Redis.
pub struct RedisStore {
    target: Target,
    pub(super) timeout: Duration,
    pub(super) durability: Durability,
    /// Hits' touches, sent in batches; started on first use.
    pub(super) touches: OnceCell<super::visits::Touches>,
}

impl RedisStore {
    /// `redis` or `redis-cluster`.
    pub(super) fn kind(&self) -> &'static str {
        match self.target {
            Target::Single(..) => "redis",
            Target::Cluster { .. } => "redis-cluster",
        }
    }

    /// A store on one Redis server. Connects lazily and reconnects by itself.
    /// `ca` (PEM) replaces the system's roots for a `rediss://` server.
    pub fn standalone(
        url: &str,
        ca: Option<Vec<u8>>,
        timeout: Duration,
        durability: BallotDurability,
    ) -> anyhow::Result<Self> {
        install_crypto();
        let client = match ca {
            Some(root_cert) => redis::Client::build_with_tls(url, certificates(root_cert))?,
            None => redis::Client::open(url)?,
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        let lane = Lane::single(client.clone(), timeout);
        Ok(Self {
            target: Target::Single(manager, Box::new(client)),
            timeout,
            durability: Durability::new(durability, timeout, lane),
            touches: OnceCell::new(),
        })
    }

    /// A store on a Redis Cluster reached through `nodes`.
    pub fn cluster(
        nodes: &[String],
        ca: Option<Vec<u8>>,
        timeout: Duration,
        durability: BallotDurability,
    ) -> anyhow::Result<Self> {
        install_crypto();
        let client = cluster_client(nodes, ca.clone(), timeout)?;
        let lane = Lane::cluster(cluster_client(nodes, ca, timeout)?);
        Ok(Self {
            target: Target::Cluster {
                client: Box::new(client),
                connection: Arc::new(OnceCell::new()),
            },
            timeout,
            durability: Durability::new(durability, timeout, lane),
            touches: OnceCell::new(),
        })
    }

    pub(super) async fn connection(&self) -> Result<Connection, StoreError> {
        match &self.target {
            Target::Single(manager, _) => Ok(Connection::Single(manager.clone())),
            Target::Cluster { client, connection } => connection
                .get_or_try_init(|| client.get_async_connection())
                .await
                .map(|c| Connection::Cluster(c.clone()))
                .map_err(unavailable),
        }
    }
}

impl RedisStore {
    /// Opens a fresh connection and pings, to tell why Redis does not
    /// answer: the reconnecting connection only says it waited too long.
    pub(super) async fn diagnose(&self) -> Result<(), StoreError> {
        let probe = async {
            match &self.target {
                Target::Single(_, client) => {
                    let mut conn = client.get_multiplexed_async_connection().await?;
                    redis::cmd("PING").query_async::<String>(&mut conn).await
                }
                Target::Cluster { client, .. } => {
                    let mut conn = client.get_async_connection().await?;
                    redis::cmd("PING").query_async::<String>(&mut conn).await
                }
            }
        };
        match tokio::time::timeout(self.timeout, probe).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(unavailable(e)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "Redis did not answer within {:?}",
                self.timeout
            ))),
        }
    }
}

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

enum Opener {
    Single(Box<redis::Client>, AsyncConnectionConfig),
    Cluster(Box<ClusterClient>),
}

#[derive(Default)]
struct Slot {
    link: Option<Link>,
    /// An error broke the link: the next ballot opens another.
    broken: AtomicBool,
}

#[derive(Clone)]
enum Link {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

/// One of the ballots' connections, held by one ballot until dropped.
#[derive(Clone)]
pub(super) struct Dedicated(Arc<OwnedMutexGuard<Slot>>);

impl Lane {
    /// Connections to one server, opened with `client`.
    pub(super) fn single(client: redis::Client, timeout: Duration) -> Self {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        Self::with(Opener::Single(Box::new(client), config))
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
            slot.link = Some(match &self.opener {
                Opener::Single(client, config) => Link::Single(
                    client
                        .get_multiplexed_async_connection_with_config(config)
                        .await
                        .map_err(unavailable)?,
                ),
                Opener::Cluster(client) => {
                    Link::Cluster(client.get_async_connection().await.map_err(unavailable)?)
                }
            });
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
            let reply = match &mut link {
                Link::Single(c) => c.req_packed_command(cmd).await,
                Link::Cluster(c) => c.req_packed_command(cmd).await,
            };
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
            let reply = match &mut link {
                Link::Single(c) => c.req_packed_commands(pipeline, offset, count).await,
                Link::Cluster(c) => c.req_packed_commands(pipeline, offset, count).await,
            };
            self.note(&reply);
            reply
        })
    }

    fn get_db(&self) -> i64 {
        match self.link() {
            Link::Single(c) => c.get_db(),
            Link::Cluster(c) => c.get_db(),
        }
    }
}

fn cluster_client(
    nodes: &[String],
    ca: Option<Vec<u8>>,
    timeout: Duration,
) -> redis::RedisResult<ClusterClient> {
    let mut builder = ClusterClient::builder(nodes.iter().map(String::as_str));
    if let Some(root_cert) = ca {
        builder = builder.certs(certificates(root_cert));
    }
    builder
        .connection_timeout(timeout)
        .response_timeout(timeout)
        .retries(3)
        .min_retry_wait(10)
        .max_retry_wait(200)
        .build()
}

/// rustls needs one process-wide crypto provider; the first call sets it.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn certificates(root_cert: Vec<u8>) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(root_cert),
    }
}

/// A Redis error as the store reports it; refused credentials are told
/// apart, as no retry will cure them.
pub(super) fn unavailable(e: redis::RedisError) -> StoreError {
    let refused = e.kind() == redis::ErrorKind::AuthenticationFailed
        || ["WRONGPASS", "NOAUTH", "NOPERM"]
            .iter()
            .any(|code| e.code() == Some(code) || e.to_string().contains(code));
    if refused {
        StoreError::Credentials(e.to_string())
    } else {
        StoreError::Unavailable(e.to_string())
    }
}

pub(super) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}
