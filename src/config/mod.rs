//! Typed settings from the environment, checked once at start. A bad value
//! stops the start with one line that names the setting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use jiff::tz::TimeZone;
use thiserror::Error;

use crate::lang::Lang;

mod env;
mod secret;

use env::{Env, parse_net, parse_origin, redis_url};
pub use secret::{NamedToken, Secret, StoreSettings, UNNAMED_ADMIN, named_tokens, redact_url};

/// The largest counter baseline accepted: far above any portal's history,
/// and small enough that every total stays exact in JavaScript (2^53) and
/// in Redis's Lua numbers.
pub const MAX_BASELINE: u64 = 1_000_000_000_000;

/// One setting that could not be used.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{setting}: {reason}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub reason: String,
}

/// A token-bucket rate: a steady rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

/// Limits that protect the process from clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Time a client has to send its request head.
    pub header_timeout: Duration,
    /// Time a client has to send its request body, once the head is in.
    pub body_timeout: Duration,
    /// An idle keep-alive connection is closed after this.
    pub idle_timeout: Duration,
    /// Time a request may take end to end.
    pub request_timeout: Duration,
    /// Open connections per listener.
    pub max_connections: usize,
    /// Requests worked on at once; more wait their turn (within the request
    /// timeout), so an overload queues at the door instead of slowing every
    /// store call past its deadline.
    pub max_in_flight: usize,
}

/// What a ballot answered `201` waits for beyond the Redis master's memory
/// (`TALLY_BALLOT_DURABILITY`). Each wait but `Store` has a deadline of a
/// quarter of `TALLY_STORE_TIMEOUT`; a ballot not confirmed by then is
/// answered 503, though the master counted it (it is then retracted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BallotDurability {
    /// `store`: no wait; what the store's own persistence gives (the
    /// embedded store fsyncs every ballot; Redis, its AOF policy).
    #[default]
    Store,
    /// `replica`: a replica received the ballot (`WAIT 1`).
    Replica,
    /// `fsync`: the master's append-only file has it on disk
    /// (`WAITAOF 1 0`, Redis 7.2 and later).
    Fsync,
    /// `replica+fsync`: the master's and a replica's append-only files
    /// have it on disk (`WAITAOF 1 1`, Redis 7.2 and later).
    ReplicaFsync,
}

impl BallotDurability {
    /// The setting's value, as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Store => "store",
            Self::Replica => "replica",
            Self::Fsync => "fsync",
            Self::ReplicaFsync => "replica+fsync",
        }
    }

    /// Whether a replica must confirm each ballot.
    pub fn needs_replica(self) -> bool {
        matches!(self, Self::Replica | Self::ReplicaFsync)
    }

    /// The longest a ballot waits for its confirmation: a quarter of the
    /// store timeout, so a ballot that reached the store promptly hears the
    /// confirmation's own verdict before the store call is given up.
    pub fn deadline(store_timeout: Duration) -> Duration {
        store_timeout / 4
    }

    fn parse(raw: Option<&str>, store: &StoreSettings) -> Result<Self, ConfigError> {
        let setting = "TALLY_BALLOT_DURABILITY";
        let durability = match raw {
            None | Some("store") => Self::Store,
            Some("replica") => Self::Replica,
            Some("fsync") => Self::Fsync,
            Some("replica+fsync") => Self::ReplicaFsync,
            Some(other) => {
                return Err(ConfigError {
                    setting,
                    reason: format!(
                        "must be store, replica, fsync or replica+fsync, got {other:?}"
                    ),
                });
            }
        };
        if durability.needs_replica() && matches!(store, StoreSettings::Embedded { .. }) {
            return Err(ConfigError {
                setting,
                reason: format!(
                    "{} needs Redis with a replica (TALLY_REDIS_URL or TALLY_REDIS_CLUSTER_NODES); \
                     the embedded store has none, and fsyncs every ballot already",
                    durability.as_str()
                ),
            });
        }
        Ok(durability)
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// Everything tally can be told at start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub ops_listen: SocketAddr,
    pub store: StoreSettings,
    /// PEM file of the certificate authority a `rediss://` server's
    /// certificate is checked against, instead of the system's.
    pub redis_ca_file: Option<PathBuf>,
    /// Local disk: the embedded store when no Redis is set, and where hits
    /// that could not be written at shutdown wait for the next start.
    pub data_dir: PathBuf,
    pub admin_token: Option<Secret>,
    /// Named admin tokens (`TALLY_ADMIN_TOKENS`), beside `admin_token`.
    pub admin_tokens: Vec<NamedToken>,
    pub trusted_proxies: Vec<IpNet>,
    pub allowed_origins: Vec<String>,
    pub timezone: TimeZone,
    pub counter_baseline: Option<u64>,
    pub polls_file: Option<PathBuf>,
    pub visit_window: Duration,
    pub votes_per_address: u32,
    /// Ballots per address per poll per day from a form post without
    /// JavaScript, on a poll that asks for a challenge.
    pub form_votes_per_address: u32,
    /// The challenges' signing key; unset, the store keeps one.
    pub challenge_key: Option<Secret>,
    /// The challenge level of polls set to `on` (1 to 5).
    pub challenge_level: crate::challenge::Level,
    pub rate_limit: Rate,
    pub vote_rate_limit: Rate,
    pub global_rate_limit: Rate,
    pub rate_limit_keys: usize,
    pub max_pages: u64,
    /// Most-read pages each past day keeps in the history.
    pub history_top_pages: u32,
    /// Days the history keeps each day's most-read pages.
    pub history_page_days: u32,
    pub flush_interval: Duration,
    pub store_timeout: Duration,
    /// What a ballot answered `201` waits for (Redis only).
    pub ballot_durability: BallotDurability,
    pub hit_buffer: usize,
    /// Most pages whose view counts a replica keeps at hand.
    pub page_cache: usize,
    pub shutdown_grace: Duration,
    pub limits: Limits,
    pub log_format: LogFormat,
    pub log_addresses: bool,
    /// How tally's own pages present the portal.
    pub portal: Portal,
    /// Live result streams open at once on this replica.
    pub max_streams: usize,
    /// How long a live stream stays open before the replica ends it (the
    /// browser reconnects, possibly to another replica).
    pub stream_lifetime: Duration,
    /// How long an editor's console session lasts unused (at most 12 hours
    /// after signing in, however busy).
    pub console_idle: Duration,
}

/// The portal whose counter and polls tally serves, as its pages name it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Portal {
    /// The site's language: pages, errors and the badge speak it unless a
    /// request asks for another with `?lang=`.
    pub lang: Lang,
    /// The portal's name, in the pages' header.
    pub name: Option<String>,
    /// The portal's home page, linked from the pages.
    pub home: Option<String>,
    /// A stylesheet of the portal's, so the pages wear its look.
    pub stylesheet: Option<String>,
    /// The portal's logo.
    pub logo: Option<String>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&|name| lookup(name).filter(|v| !v.trim().is_empty()));
        let data_dir: PathBuf = env.get("TALLY_DATA_DIR").unwrap_or("./data".into()).into();
        let store = match (
            env.get("TALLY_REDIS_URL"),
            env.get("TALLY_REDIS_CLUSTER_NODES"),
        ) {
            (Some(_), Some(_)) => {
                return Err(ConfigError {
                    setting: "TALLY_REDIS_URL",
                    reason: "set either TALLY_REDIS_URL or TALLY_REDIS_CLUSTER_NODES, not both"
                        .into(),
                });
            }
            (Some(url), None) => StoreSettings::Redis {
                url: redis_url("TALLY_REDIS_URL", &url)?,
            },
            (None, Some(nodes)) => StoreSettings::Cluster {
                nodes: nodes
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| redis_url("TALLY_REDIS_CLUSTER_NODES", n))
                    .collect::<Result<_, _>>()?,
            },
            (None, None) => StoreSettings::Embedded {
                data_dir: data_dir.clone(),
            },
        };
        let timezone_name = env
            .get("TALLY_TIMEZONE")
            .unwrap_or("Asia/Ho_Chi_Minh".into());
        let timezone = TimeZone::get(&timezone_name).map_err(|_| ConfigError {
            setting: "TALLY_TIMEZONE",
            reason: format!(
                "unknown time zone {timezone_name:?} (use an IANA name such as Asia/Ho_Chi_Minh)"
            ),
        })?;
        // Taken as written: surrounding spaces are part of the token.
        let admin_token = lookup("TALLY_ADMIN_TOKEN").filter(|t| !t.is_empty());
        if admin_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError {
                setting: "TALLY_ADMIN_TOKEN",
                reason: "must be at least 16 characters".into(),
            });
        }
        let challenge_key = lookup("TALLY_CHALLENGE_KEY").filter(|k| !k.is_empty());
        if challenge_key.as_ref().is_some_and(|k| k.len() < 32) {
            return Err(ConfigError {
                setting: "TALLY_CHALLENGE_KEY",
                reason: "must be at least 32 characters (e.g. 32 random hex digits)".into(),
            });
        }
        let ballot_durability =
            BallotDurability::parse(env.get("TALLY_BALLOT_DURABILITY").as_deref(), &store)?;
        Ok(Self {
            listen: env.parse("TALLY_LISTEN", "127.0.0.1:8080")?,
            ops_listen: env.parse("TALLY_OPS_LISTEN", "127.0.0.1:9090")?,
            store,
            redis_ca_file: env.get("TALLY_REDIS_CA_FILE").map(PathBuf::from),
            data_dir,
            admin_token: admin_token.map(Secret::new),
            admin_tokens: named_tokens(&lookup("TALLY_ADMIN_TOKENS").unwrap_or_default()).map_err(
                |reason| ConfigError {
                    setting: "TALLY_ADMIN_TOKENS",
                    reason,
                },
            )?,
            trusted_proxies: env.list("TALLY_TRUSTED_PROXIES", parse_net)?,
            allowed_origins: env.list("TALLY_ALLOWED_ORIGINS", parse_origin)?,
            timezone,
            counter_baseline: env
                .get("TALLY_COUNTER_BASELINE")
                .map(|_| env.bounded("TALLY_COUNTER_BASELINE", 0, 0, MAX_BASELINE))
                .transpose()?,
            polls_file: env.get("TALLY_POLLS_FILE").map(PathBuf::from),
            visit_window: env.duration("TALLY_VISIT_WINDOW", "30m", 60, 86_400)?,
            votes_per_address: env.bounded("TALLY_VOTES_PER_ADDRESS", 50, 1, 1_000_000_000)?,
            form_votes_per_address: env.bounded("TALLY_FORM_VOTES_PER_ADDRESS", 5, 0, 1_000_000)?,
            challenge_key: challenge_key.map(Secret::new),
            challenge_level: crate::challenge::Level::new(env.bounded(
                "TALLY_CHALLENGE_LEVEL",
                crate::challenge::Level::ON.get(),
                crate::challenge::Level::MIN.get(),
                crate::challenge::Level::MAX.get(),
            )?)
            .expect("bounded to the levels"),
            rate_limit: env.rate("TALLY_RATE_LIMIT", "20,60")?,
            vote_rate_limit: env.rate("TALLY_VOTE_RATE_LIMIT", "1,10")?,
            global_rate_limit: env.rate("TALLY_GLOBAL_RATE_LIMIT", "20000,40000")?,
            rate_limit_keys: env.bounded("TALLY_RATE_LIMIT_KEYS", 100_000, 100, 10_000_000)?,
            max_pages: env.bounded("TALLY_MAX_PAGES", 100_000, 1, 100_000_000)?,
            history_top_pages: env.bounded("TALLY_HISTORY_TOP_PAGES", 100, 1, 10_000)?,
            history_page_days: env.bounded("TALLY_HISTORY_PAGE_DAYS", 90, 1, 3_660)?,
            flush_interval: env.duration_ms("TALLY_FLUSH_INTERVAL", "100ms", 10, 1_000)?,
            store_timeout: env.duration_ms("TALLY_STORE_TIMEOUT", "500ms", 10, 30_000)?,
            ballot_durability,
            hit_buffer: env.bounded("TALLY_HIT_BUFFER", 100_000, 0, 10_000_000)?,
            page_cache: env.bounded("TALLY_PAGE_CACHE", 1_024, 1, 1_000_000)?,
            shutdown_grace: env.duration("TALLY_SHUTDOWN_GRACE", "20s", 1, 600)?,
            limits: Limits {
                max_body_bytes: env.bounded("TALLY_MAX_BODY_BYTES", 4096, 64, 1 << 20)?,
                max_header_bytes: env.bounded(
                    "TALLY_MAX_HEADER_BYTES",
                    16 * 1024,
                    8192,
                    1 << 20,
                )?,
                header_timeout: env.duration("TALLY_HEADER_TIMEOUT", "10s", 1, 300)?,
                body_timeout: env.duration("TALLY_BODY_TIMEOUT", "10s", 1, 300)?,
                idle_timeout: env.duration("TALLY_IDLE_TIMEOUT", "60s", 1, 3600)?,
                request_timeout: env.duration("TALLY_REQUEST_TIMEOUT", "10s", 1, 300)?,
                max_connections: env.bounded("TALLY_MAX_CONNECTIONS", 10_000, 1, 1_000_000)?,
                max_in_flight: env.bounded("TALLY_MAX_IN_FLIGHT", 256, 1, 100_000)?,
            },
            log_format: match env.get("TALLY_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError {
                        setting: "TALLY_LOG_FORMAT",
                        reason: format!("must be json or text, got {other:?}"),
                    });
                }
            },
            log_addresses: env.bounded::<u8>("TALLY_LOG_ADDRESSES", 0, 0, 1)? == 1,
            portal: Portal {
                lang: match env.get("TALLY_LANGUAGE") {
                    None => Lang::Vi,
                    Some(tag) => Lang::from_tag(&tag).ok_or_else(|| ConfigError {
                        setting: "TALLY_LANGUAGE",
                        reason: format!("must be vi or en, got {tag:?}"),
                    })?,
                },
                name: env.get("TALLY_SITE_NAME"),
                home: env.url("TALLY_SITE_URL")?,
                stylesheet: env.url("TALLY_SITE_STYLESHEET")?,
                logo: env.url("TALLY_SITE_LOGO")?,
            },
            max_streams: env.bounded("TALLY_MAX_STREAMS", 1000, 0, 1_000_000)?,
            stream_lifetime: env.duration_ms("TALLY_STREAM_LIFETIME", "15m", 100, 86_400_000)?,
            console_idle: env.duration("TALLY_CONSOLE_IDLE", "8h", 1, 12 * 3600)?,
        })
    }

    /// Settings for tests and embedding: the defaults, on ephemeral loopback
    /// ports, with the embedded store in `data_dir`.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        let mut settings = Self::from_lookup(|_| None).expect("defaults are valid");
        settings.listen = "127.0.0.1:0".parse().expect("loopback");
        settings.ops_listen = "127.0.0.1:0".parse().expect("loopback");
        settings.data_dir = data_dir.into();
        settings.store = StoreSettings::Embedded {
            data_dir: settings.data_dir.clone(),
        };
        settings
    }
}

#[cfg(test)]
mod tests;
