//! Connecting to Redis: one server through a reconnecting multiplexed
//! connection, or a cluster through redis-rs's cluster client; TLS with
//! rustls for `rediss://`. Ballots that wait for a promise, and imports,
//! have connections of their own ([`super::lane`]).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};
use tokio::sync::OnceCell;

use super::durability::Durability;
pub(super) use super::lane::{Dedicated, Lane};
use super::lane::{Link, Opener};
use crate::config::{BallotDurability, redact_url};
use crate::store::schema::Settled;
use crate::store::{IMPORT_DEADLINE, StoreError};

/// A connection to one server or to a cluster.
#[derive(Clone)]
pub(super) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    /// One of the ballots' own connections.
    Ballots(Dedicated),
    /// A connection of its own, for one long operation.
    Own(Link),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
            Connection::Ballots(c) => c.req_packed_command(cmd),
            Connection::Own(c) => c.req_packed_command(cmd),
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
            Connection::Own(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
            Connection::Ballots(c) => c.get_db(),
            Connection::Own(c) => c.get_db(),
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
    /// Which cluster node holds which slots (unused on one server).
    pub(super) nodes: Arc<super::nodes::Nodes>,
    /// Opens an import's own connection, which waits for answers up to
    /// [`IMPORT_DEADLINE`] (the shared one, the store timeout).
    patient: Opener,
    /// Where the store is, for messages: its address, without a password.
    pub(super) place: String,
    /// What opening did about the schema stamp, once settled.
    pub(super) schema: OnceCell<Settled>,
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
        let patient = Opener::single(client.clone(), timeout, IMPORT_DEADLINE.max(timeout));
        Ok(Self {
            target: Target::Single(manager, Box::new(client)),
            timeout,
            durability: Durability::new(durability, timeout, lane),
            touches: OnceCell::new(),
            nodes: Arc::default(),
            patient,
            place: redact_url(url),
            schema: OnceCell::new(),
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
        let client = cluster_client(nodes, ca.clone(), timeout, timeout)?;
        let lane = Lane::cluster(cluster_client(nodes, ca.clone(), timeout, timeout)?);
        let patient = cluster_client(nodes, ca, timeout, IMPORT_DEADLINE.max(timeout))?;
        Ok(Self {
            target: Target::Cluster {
                client: Box::new(client),
                connection: Arc::new(OnceCell::new()),
            },
            timeout,
            durability: Durability::new(durability, timeout, lane),
            touches: OnceCell::new(),
            nodes: Arc::default(),
            patient: Opener::Cluster(Box::new(patient)),
            place: nodes
                .iter()
                .map(|n| redact_url(n))
                .collect::<Vec<_>>()
                .join(","),
            schema: OnceCell::new(),
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

    /// A fresh connection of its own whose answers may take up to
    /// [`IMPORT_DEADLINE`]: commands sent on it are answered in order.
    pub(super) async fn patient_connection(&self) -> Result<Connection, StoreError> {
        Ok(Connection::Own(self.patient.open().await?))
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

/// A cluster client that connects within `timeout` and waits `response`
/// for an answer.
fn cluster_client(
    nodes: &[String],
    ca: Option<Vec<u8>>,
    timeout: Duration,
    response: Duration,
) -> redis::RedisResult<ClusterClient> {
    let mut builder = ClusterClient::builder(nodes.iter().map(String::as_str));
    if let Some(root_cert) = ca {
        builder = builder.certs(certificates(root_cert));
    }
    builder
        .connection_timeout(timeout)
        .response_timeout(response)
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
