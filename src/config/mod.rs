//! Typed settings, checked once at start, from the command line and the
//! environment: every setting is a long flag and a `TALLY_` variable, both
//! defined in `args.rs`. A bad value stops the start with one line that
//! names the setting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use jiff::tz::TimeZone;
use thiserror::Error;

use crate::ids::SiteId;
use crate::lang::Lang;

mod args;
mod cli;
mod durability;
mod reference;
mod secret;
mod strength;
mod summary;
mod values;

pub use args::SettingsArgs;
pub use cli::{ArgsError, BackupArgs, CheckArgs, Command, MergeSiteArgs, MigrateArgs, RestoreArgs};
pub use durability::BallotDurability;
pub use reference::reference;
pub use secret::{
    NamedToken, Secret, StoreSettings, UNNAMED_ADMIN, named_tokens, redact_url, unknown_sites,
};
use values::List;
/// A page's origin and a page's address, as settings and the sites file
/// take them.
pub(crate) use values::{origin as page_origin, public_url as page_url, rate as rate_value};

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

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
    /// Where portal pages reach tally, for the console's embed code.
    pub public_url: Option<String>,
    pub timezone: TimeZone,
    pub counter_baseline: Option<u64>,
    pub polls_file: Option<PathBuf>,
    /// The sites file (`TALLY_SITES_FILE`): see [`crate::sites`].
    pub sites_file: Option<PathBuf>,
    pub visit_window: Duration,
    pub votes_per_address: u32,
    /// On a poll that asks for a challenge, ballots per address per poll
    /// per day that bring a solution.
    pub solved_votes_per_address: u32,
    /// Ballots per IPv4 /24 and per IPv6 /56, per poll per day.
    pub votes_per_network: u32,
    /// Ballots per IPv6 /48, per poll per day.
    pub votes_per_ipv6_site: u32,
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
    /// Which logs are written (`TALLY_LOG`); a filter that cannot be read
    /// means `info`.
    pub log_filter: String,
    pub log_addresses: bool,
    /// How tally's own pages present the portal.
    pub portal: Portal,
    /// Live result streams open at once on this replica.
    pub max_streams: usize,
    /// Live result streams one client address (an IPv6 /64) may hold.
    pub max_streams_per_address: usize,
    /// How long a live stream stays open before the replica ends it (the
    /// browser reconnects, possibly to another replica).
    pub stream_lifetime: Duration,
    /// How long an editor's console session lasts unused (at most 12 hours
    /// after signing in, however busy).
    pub console_idle: Duration,
    /// Days the audit log keeps an entry.
    pub audit_days: u32,
    /// Days after a poll closes that its voter records are kept.
    pub voter_days: u32,
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

    /// Reads settings through `lookup` (the environment, or a map in tests),
    /// as a start with no flags does. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_args(SettingsArgs::from_lookup(lookup)?)
    }

    /// Settings from the values clap read: the store they choose, and the
    /// rules between settings that no single value can check.
    pub fn from_args(args: SettingsArgs) -> Result<Self, ConfigError> {
        let SettingsArgs {
            listeners,
            store,
            counting,
            polls,
            limits,
            portal,
            admin,
            logs,
        } = args;
        // Without a sites file the one site is `default`; with one, the
        // start checks the scopes against its sites.
        if polls.sites_file.is_none()
            && let Some(tokens) = &admin.admin_tokens
            && let Some(reason) = unknown_sites(&tokens.0, false, |s| *s == SiteId::DEFAULT)
        {
            return Err(ConfigError {
                setting: "TALLY_ADMIN_TOKENS",
                reason,
            });
        }
        let backend = match (store.redis_url, store.redis_cluster_nodes) {
            (Some(_), Some(_)) => {
                return Err(ConfigError {
                    setting: "TALLY_REDIS_URL",
                    reason: "set either TALLY_REDIS_URL or TALLY_REDIS_CLUSTER_NODES, not both"
                        .into(),
                });
            }
            (Some(url), None) => StoreSettings::Redis { url },
            (None, Some(List(nodes))) => StoreSettings::Cluster { nodes },
            (None, None) => StoreSettings::Embedded {
                data_dir: store.data_dir.clone(),
            },
        };
        let ballot_durability = store.ballot_durability.on(&backend)?;
        Ok(Self {
            listen: listeners.listen,
            ops_listen: listeners.ops_listen,
            store: backend,
            redis_ca_file: store.redis_ca_file,
            data_dir: store.data_dir,
            admin_token: admin.admin_token,
            admin_tokens: admin.admin_tokens.unwrap_or_default().0,
            trusted_proxies: listeners.trusted_proxies.unwrap_or_default().0,
            allowed_origins: listeners.allowed_origins.unwrap_or_default().0,
            public_url: listeners.public_url,
            timezone: counting.timezone,
            counter_baseline: counting.counter_baseline,
            polls_file: polls.polls_file,
            sites_file: polls.sites_file,
            visit_window: counting.visit_window,
            votes_per_address: polls.votes_per_address,
            solved_votes_per_address: polls.solved_votes_per_address,
            votes_per_network: polls.votes_per_network,
            votes_per_ipv6_site: polls.votes_per_ipv6_site,
            form_votes_per_address: polls.form_votes_per_address,
            challenge_key: polls.challenge_key,
            challenge_level: crate::challenge::Level::new(polls.challenge_level)
                .expect("bounded to the levels"),
            rate_limit: limits.rate_limit,
            vote_rate_limit: limits.vote_rate_limit,
            global_rate_limit: limits.global_rate_limit,
            rate_limit_keys: limits.rate_limit_keys,
            max_pages: counting.max_pages,
            history_top_pages: counting.history_top_pages,
            history_page_days: counting.history_page_days,
            flush_interval: store.flush_interval,
            store_timeout: store.store_timeout,
            ballot_durability,
            hit_buffer: store.hit_buffer,
            page_cache: store.page_cache,
            shutdown_grace: listeners.shutdown_grace,
            limits: Limits {
                max_body_bytes: limits.max_body_bytes,
                max_header_bytes: limits.max_header_bytes,
                header_timeout: limits.header_timeout,
                body_timeout: limits.body_timeout,
                idle_timeout: limits.idle_timeout,
                request_timeout: limits.request_timeout,
                max_connections: limits.max_connections,
                max_in_flight: limits.max_in_flight,
            },
            log_format: logs.log_format,
            log_filter: logs.log,
            log_addresses: logs.log_addresses == 1,
            portal: Portal {
                lang: portal.language,
                name: portal.site_name,
                home: portal.site_url,
                stylesheet: portal.site_stylesheet,
                logo: portal.site_logo,
            },
            max_streams: limits.max_streams,
            max_streams_per_address: limits.max_streams_per_address,
            stream_lifetime: limits.stream_lifetime,
            console_idle: admin.console_idle,
            audit_days: admin.audit_days,
            voter_days: polls.voter_days,
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
