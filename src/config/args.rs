//! Every setting as clap reads it: its long flag, its `TALLY_` variable,
//! its default and its range, in the groups `--help` shows. Each value is
//! parsed here; how the settings fit together is `Settings::from_args`'s.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ipnet::IpNet;
use jiff::tz::TimeZone;

use super::values::{
    List, admin_token, bounded, duration, language, list, net, origin, public_url, rate, redis_url,
    secret, timezone, tokens, url,
};
use super::{BallotDurability, LogFormat, MAX_BASELINE, NamedToken, Rate, Secret};
use crate::challenge::Level;
use crate::lang::Lang;

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

const MINUTE: Duration = s(60);
const HOUR: Duration = s(3600);
const DAY: Duration = s(86_400);

/// Every setting tally takes at start, in the groups `--help` shows.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    #[command(flatten)]
    pub(super) listeners: Listeners,
    #[command(flatten)]
    pub(super) store: Store,
    #[command(flatten)]
    pub(super) counting: Counting,
    #[command(flatten)]
    pub(super) polls: Polls,
    #[command(flatten)]
    pub(super) limits: Limits,
    #[command(flatten)]
    pub(super) portal: Portal,
    #[command(flatten)]
    pub(super) admin: Admin,
    #[command(flatten)]
    pub(super) logs: Logs,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Listeners")]
pub(super) struct Listeners {
    /// Public listener: the widget, the JSON API, the HTML pages
    #[arg(
        long,
        env = "TALLY_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// Operations listener: metrics, health, the admin API and console
    #[arg(
        long,
        env = "TALLY_OPS_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:9090"
    )]
    pub ops_listen: SocketAddr,
    /// Addresses or CIDRs, comma-separated, whose X-Forwarded-For is believed
    #[arg(long, env = "TALLY_TRUSTED_PROXIES", value_name = "CIDRS", value_parser = list(net))]
    pub trusted_proxies: Option<List<IpNet>>,
    /// The portal's origins, comma-separated (https://portal.gov.vn): allowed by CORS, may vote, counted
    #[arg(long, env = "TALLY_ALLOWED_ORIGINS", value_name = "ORIGINS", value_parser = list(origin))]
    pub allowed_origins: Option<List<String>>,
    /// Where portal pages reach tally (https://tally.portal.gov.vn): the console's embed code uses it
    #[arg(long, env = "TALLY_PUBLIC_URL", value_name = "URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// Time to finish requests and write waiting hits after SIGTERM (1s–10m)
    #[arg(long, env = "TALLY_SHUTDOWN_GRACE", value_name = "DURATION", default_value = "20s", value_parser = duration(s(1), s(600)))]
    pub shutdown_grace: Duration,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Store")]
pub(super) struct Store {
    /// One Redis: redis://host:6379, rediss:// for TLS; with no Redis, the embedded store
    #[arg(long, env = "TALLY_REDIS_URL", value_name = "URL", value_parser = redis_url)]
    pub redis_url: Option<String>,
    /// A Redis Cluster's seed nodes, comma-separated redis://host:port (not with --redis-url)
    #[arg(long, env = "TALLY_REDIS_CLUSTER_NODES", value_name = "URLS", value_parser = list(redis_url))]
    pub redis_cluster_nodes: Option<List<String>>,
    /// PEM certificate authority a rediss:// server is checked against, instead of the system's
    #[arg(long, env = "TALLY_REDIS_CA_FILE", value_name = "PEM")]
    pub redis_ca_file: Option<PathBuf>,
    /// The embedded store (with no Redis), and spill/ for hits unwritten at shutdown
    #[arg(
        long,
        env = "TALLY_DATA_DIR",
        value_name = "DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// Deadline of every store call (10ms–30s)
    #[arg(long, env = "TALLY_STORE_TIMEOUT", value_name = "DURATION", default_value = "500ms", value_parser = duration(ms(10), s(30)))]
    pub store_timeout: Duration,
    /// What a 201 ballot waits for; the replica ones need Redis with a replica
    #[arg(
        long,
        env = "TALLY_BALLOT_DURABILITY",
        value_name = "WAIT",
        default_value = "store"
    )]
    pub ballot_durability: BallotDurability,
    /// How often a replica writes its counter increments (10ms–1s)
    #[arg(long, env = "TALLY_FLUSH_INTERVAL", value_name = "DURATION", default_value = "100ms", value_parser = duration(ms(10), s(1)))]
    pub flush_interval: Duration,
    /// Hits held in memory while the store is unavailable (0–10000000)
    #[arg(long, env = "TALLY_HIT_BUFFER", value_name = "HITS", default_value = "100000", value_parser = bounded(0usize, 10_000_000))]
    pub hit_buffer: usize,
    /// Most pages whose view counts a replica keeps at hand (1–1000000)
    #[arg(long, env = "TALLY_PAGE_CACHE", value_name = "PAGES", default_value = "1024", value_parser = bounded(1usize, 1_000_000))]
    pub page_cache: usize,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Counting")]
pub(super) struct Counting {
    /// Idle time after which a visitor's next hit is a new visit (1m–1day)
    #[arg(long, env = "TALLY_VISIT_WINDOW", value_name = "DURATION", default_value = "30m", value_parser = duration(MINUTE, DAY))]
    pub visit_window: Duration,
    /// Visits counted before tally, written at a start into a store without a baseline; an editor's later change stands (0–1000000000000)
    #[arg(long, env = "TALLY_COUNTER_BASELINE", value_name = "VISITS", value_parser = bounded(0, MAX_BASELINE))]
    pub counter_baseline: Option<u64>,
    /// Most distinct pages counted; views of further pages are dropped (1–100000000)
    #[arg(long, env = "TALLY_MAX_PAGES", value_name = "PAGES", default_value = "100000", value_parser = bounded(1u64, 100_000_000))]
    pub max_pages: u64,
    /// Where "today" begins and the zone pages show dates in (an IANA name)
    #[arg(long, env = "TALLY_TIMEZONE", value_name = "ZONE", default_value = "Asia/Ho_Chi_Minh", value_parser = timezone)]
    pub timezone: TimeZone,
    /// Most-read pages each past day keeps in the history (1–10000)
    #[arg(long, env = "TALLY_HISTORY_TOP_PAGES", value_name = "PAGES", default_value = "100", value_parser = bounded(1u32, 10_000))]
    pub history_top_pages: u32,
    /// Days the history keeps each day's most-read pages (1–3660)
    #[arg(long, env = "TALLY_HISTORY_PAGE_DAYS", value_name = "DAYS", default_value = "90", value_parser = bounded(1u32, 3_660))]
    pub history_page_days: u32,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Polls and challenges")]
pub(super) struct Polls {
    /// The province's sites, TOML (`[[sites]]` tables: id, name, parent, origins…); without it, one site, `default`
    #[arg(long, env = "TALLY_SITES_FILE", value_name = "FILE")]
    pub sites_file: Option<PathBuf>,
    /// Poll definitions seeded at start (editors' changes win), TOML (or JSON, ending in .json)
    #[arg(long, env = "TALLY_POLLS_FILE", value_name = "FILE")]
    pub polls_file: Option<PathBuf>,
    /// Ballots per client address per poll per day (1–1000000000)
    #[arg(long, env = "TALLY_VOTES_PER_ADDRESS", value_name = "BALLOTS", default_value = "50", value_parser = bounded(1u32, 1_000_000_000))]
    pub votes_per_address: u32,
    /// Days after a poll closes that its voter records (who chose what, keyed) are kept; then the poll cannot reopen (2–3660)
    #[arg(long, env = "TALLY_VOTER_DAYS", value_name = "DAYS", default_value = "30", value_parser = bounded(2u32, 3_660))]
    pub voter_days: u32,
    /// On a poll asking a challenge: ballots per address per poll per day that bring a solution, so a school behind one address votes (1–1000000000)
    #[arg(long, env = "TALLY_SOLVED_VOTES_PER_ADDRESS", value_name = "BALLOTS", default_value = "400", value_parser = bounded(1u32, 1_000_000_000))]
    pub solved_votes_per_address: u32,
    /// Ballots per IPv4 /24 and per IPv6 /56, per poll per day (1–1000000000)
    #[arg(long, env = "TALLY_VOTES_PER_NETWORK", value_name = "BALLOTS", default_value = "1000", value_parser = bounded(1u32, 1_000_000_000))]
    pub votes_per_network: u32,
    /// Ballots per IPv6 /48, per poll per day (1–1000000000)
    #[arg(long, env = "TALLY_VOTES_PER_IPV6_SITE", value_name = "BALLOTS", default_value = "2000", value_parser = bounded(1u32, 1_000_000_000))]
    pub votes_per_ipv6_site: u32,
    /// On a poll asking a challenge: ballots per address per poll per day from the form; 0 closes it (0–1000000)
    #[arg(long, env = "TALLY_FORM_VOTES_PER_ADDRESS", value_name = "BALLOTS", default_value = "5", value_parser = bounded(0u32, 1_000_000))]
    pub form_votes_per_address: u32,
    /// The challenge level of polls whose challenge is on (1–5)
    #[arg(long, env = "TALLY_CHALLENGE_LEVEL", value_name = "LEVEL", default_value_t = Level::ON.get(), value_parser = bounded(Level::MIN.get(), Level::MAX.get()))]
    pub challenge_level: u8,
    /// Key challenges are signed with, at least 32 characters; unset, the store keeps one
    #[arg(long, env = "TALLY_CHALLENGE_KEY", value_name = "KEY", value_parser = secret(32, " (e.g. 32 random hex digits)"))]
    pub challenge_key: Option<Secret>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Limits")]
pub(super) struct Limits {
    /// Hits and reads per client address: RATE[,BURST] a second
    #[arg(long, env = "TALLY_RATE_LIMIT", value_name = "RATE", default_value = "20,60", value_parser = rate)]
    pub rate_limit: Rate,
    /// Ballots and form posts per client address: RATE[,BURST] a second
    #[arg(long, env = "TALLY_VOTE_RATE_LIMIT", value_name = "RATE", default_value = "1,10", value_parser = rate)]
    pub vote_rate_limit: Rate,
    /// All public requests of this replica: RATE[,BURST] a second
    #[arg(long, env = "TALLY_GLOBAL_RATE_LIMIT", value_name = "RATE", default_value = "20000,40000", value_parser = rate)]
    pub global_rate_limit: Rate,
    /// Most client addresses the rate limiter tracks (100–10000000)
    #[arg(long, env = "TALLY_RATE_LIMIT_KEYS", value_name = "N", default_value = "100000", value_parser = bounded(100usize, 10_000_000))]
    pub rate_limit_keys: usize,
    /// Largest request body, in bytes (64–1048576)
    #[arg(long, env = "TALLY_MAX_BODY_BYTES", value_name = "BYTES", default_value = "4096", value_parser = bounded(64usize, 1 << 20))]
    pub max_body_bytes: usize,
    /// Largest request head, in bytes (8192–1048576)
    #[arg(long, env = "TALLY_MAX_HEADER_BYTES", value_name = "BYTES", default_value = "16384", value_parser = bounded(8192usize, 1 << 20))]
    pub max_header_bytes: usize,
    /// Time to send a request head, or to idle between HTTP/1.1 requests (1s–5m)
    #[arg(long, env = "TALLY_HEADER_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = duration(s(1), s(300)))]
    pub header_timeout: Duration,
    /// Time to send a request body once the head is in (1s–5m)
    #[arg(long, env = "TALLY_BODY_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = duration(s(1), s(300)))]
    pub body_timeout: Duration,
    /// An HTTP/2 connection with no request for this long is closed (1s–1h)
    #[arg(long, env = "TALLY_IDLE_TIMEOUT", value_name = "DURATION", default_value = "60s", value_parser = duration(s(1), HOUR))]
    pub idle_timeout: Duration,
    /// Time a request may take end to end (1s–5m)
    #[arg(long, env = "TALLY_REQUEST_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = duration(s(1), s(300)))]
    pub request_timeout: Duration,
    /// Open connections per listener; more wait in the kernel's backlog (1–1000000)
    #[arg(long, env = "TALLY_MAX_CONNECTIONS", value_name = "N", default_value = "10000", value_parser = bounded(1usize, 1_000_000))]
    pub max_connections: usize,
    /// Requests worked on at once; more wait their turn (1–100000)
    #[arg(long, env = "TALLY_MAX_IN_FLIGHT", value_name = "N", default_value = "256", value_parser = bounded(1usize, 100_000))]
    pub max_in_flight: usize,
    /// Live result streams open at once on this replica; more are refused (0–1000000)
    #[arg(long, env = "TALLY_MAX_STREAMS", value_name = "N", default_value = "1000", value_parser = bounded(0usize, 1_000_000))]
    pub max_streams: usize,
    /// Live result streams one client address (an IPv6 /64) may hold open on this replica (1–1000000)
    #[arg(long, env = "TALLY_MAX_STREAMS_PER_ADDRESS", value_name = "N", default_value = "8", value_parser = bounded(1usize, 1_000_000))]
    pub max_streams_per_address: usize,
    /// Live result streams end after this long; browsers reconnect (100ms–1day)
    #[arg(long, env = "TALLY_STREAM_LIFETIME", value_name = "DURATION", default_value = "15m", value_parser = duration(ms(100), DAY))]
    pub stream_lifetime: Duration,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Pages and portal")]
pub(super) struct Portal {
    /// The site's language, vi or en: pages, the badge and errors speak it
    #[arg(long, env = "TALLY_LANGUAGE", value_name = "LANG", default_value = "vi", value_parser = language)]
    pub language: Lang,
    /// The portal's name, in the header of every page
    #[arg(long, env = "TALLY_SITE_NAME", value_name = "NAME")]
    pub site_name: Option<String>,
    /// The portal's home page, linked from every page (an http:// or https:// URL)
    #[arg(long, env = "TALLY_SITE_URL", value_name = "URL", value_parser = url)]
    pub site_url: Option<String>,
    /// A stylesheet of the portal's that the pages load after their own (URL)
    #[arg(long, env = "TALLY_SITE_STYLESHEET", value_name = "URL", value_parser = url)]
    pub site_stylesheet: Option<String>,
    /// The portal's logo, shown beside its name (URL)
    #[arg(long, env = "TALLY_SITE_LOGO", value_name = "URL", value_parser = url)]
    pub site_logo: Option<String>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Admin and console")]
pub(super) struct Admin {
    /// Editors' tokens, named for the audit log, each with its role: lan:TOKEN (admin), minh=editor:TOKEN, hoa=viewer:TOKEN; a site after the role (minh=editor@so-y-te:TOKEN) for that site and those below it (each 128+ bits: openssl rand -hex 32)
    #[arg(long, env = "TALLY_ADMIN_TOKENS", value_name = "LIST", value_parser = tokens)]
    pub admin_tokens: Option<List<NamedToken>>,
    /// One admin token, named admin, as written (128+ bits: openssl rand -hex 32); with neither, admin is off
    #[arg(long, env = "TALLY_ADMIN_TOKEN", value_name = "TOKEN", value_parser = admin_token)]
    pub admin_token: Option<Secret>,
    /// Console sessions end this long unused, or 12h after signing in (1s–12h)
    #[arg(long, env = "TALLY_CONSOLE_IDLE", value_name = "DURATION", default_value = "8h", value_parser = duration(s(1), 12 * HOUR))]
    pub console_idle: Duration,
    /// Days the audit log keeps an entry (at most its newest 10000 are kept) (1–36600)
    #[arg(long, env = "TALLY_AUDIT_DAYS", value_name = "DAYS", default_value = "1826", value_parser = bounded(1u32, 36_600))]
    pub audit_days: u32,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Logs")]
pub(super) struct Logs {
    /// json writes one JSON object per line (the container image sets it)
    #[arg(
        long,
        env = "TALLY_LOG_FORMAT",
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// Log filter, e.g. info or tally=debug; debug adds a line per request
    #[arg(long, env = "TALLY_LOG", value_name = "FILTER", default_value = "info")]
    pub log: String,
    /// 1 puts client addresses in the per-request debug lines (0–1)
    #[arg(long, env = "TALLY_LOG_ADDRESSES", value_name = "0|1", default_value = "0", value_parser = bounded(0u8, 1))]
    pub log_addresses: u8,
}
