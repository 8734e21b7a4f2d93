//! Typed settings from the environment, checked once at start. A bad value
//! stops the start with one line that names the setting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use thiserror::Error;

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

/// Where state is kept; chosen once at start. Shown (in logs, in `Debug`)
/// with any password in a URL replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSettings {
    /// The embedded store in a directory on local disk.
    Embedded { data_dir: PathBuf },
    /// One Redis server.
    Redis { url: String },
    /// A Redis Cluster, found through these seed nodes.
    Cluster { nodes: Vec<String> },
}

impl std::fmt::Display for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded { data_dir } => write!(f, "embedded in {}", data_dir.display()),
            Self::Redis { url } => write!(f, "redis at {}", redact_url(url)),
            Self::Cluster { nodes } => {
                let nodes: Vec<String> = nodes.iter().map(|n| redact_url(n)).collect();
                write!(f, "redis cluster at {}", nodes.join(","))
            }
        }
    }
}

impl std::fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `url` with the password of its user information replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split_once(':').map_or(user_info, |(u, _)| u);
            let hidden = if user_info.contains(':') {
                format!("{user}:***")
            } else {
                "***".to_owned()
            };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// A setting that must never be printed: `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
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
    pub trusted_proxies: Vec<IpNet>,
    pub allowed_origins: Vec<String>,
    pub timezone: TimeZone,
    pub timezone_name: String,
    pub counter_baseline: Option<u64>,
    pub polls_file: Option<PathBuf>,
    pub visit_window: Duration,
    pub votes_per_address: u32,
    pub rate_limit: Rate,
    pub vote_rate_limit: Rate,
    pub global_rate_limit: Rate,
    pub rate_limit_keys: usize,
    pub max_pages: u64,
    pub flush_interval: Duration,
    pub store_timeout: Duration,
    pub hit_buffer: usize,
    pub shutdown_grace: Duration,
    pub limits: Limits,
    pub log_format: LogFormat,
    pub log_addresses: bool,
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
        Ok(Self {
            listen: env.parse("TALLY_LISTEN", "127.0.0.1:8080")?,
            ops_listen: env.parse("TALLY_OPS_LISTEN", "127.0.0.1:9090")?,
            store,
            redis_ca_file: env.get("TALLY_REDIS_CA_FILE").map(PathBuf::from),
            data_dir,
            admin_token: admin_token.map(Secret::new),
            trusted_proxies: env.list("TALLY_TRUSTED_PROXIES", parse_net)?,
            allowed_origins: env.list("TALLY_ALLOWED_ORIGINS", parse_origin)?,
            timezone,
            timezone_name,
            counter_baseline: env
                .get("TALLY_COUNTER_BASELINE")
                .map(|_| env.bounded("TALLY_COUNTER_BASELINE", 0, 0, MAX_BASELINE))
                .transpose()?,
            polls_file: env.get("TALLY_POLLS_FILE").map(PathBuf::from),
            visit_window: env.duration("TALLY_VISIT_WINDOW", "30m", 60, 86_400)?,
            votes_per_address: env.bounded("TALLY_VOTES_PER_ADDRESS", 50, 1, 1_000_000)?,
            rate_limit: env.rate("TALLY_RATE_LIMIT", "20,60")?,
            vote_rate_limit: env.rate("TALLY_VOTE_RATE_LIMIT", "1,10")?,
            global_rate_limit: env.rate("TALLY_GLOBAL_RATE_LIMIT", "20000,40000")?,
            rate_limit_keys: env.bounded("TALLY_RATE_LIMIT_KEYS", 100_000, 100, 10_000_000)?,
            max_pages: env.bounded("TALLY_MAX_PAGES", 100_000, 1, 100_000_000)?,
            flush_interval: env.duration_ms("TALLY_FLUSH_INTERVAL", "100ms", 10, 1_000)?,
            store_timeout: env.duration_ms("TALLY_STORE_TIMEOUT", "500ms", 10, 30_000)?,
            hit_buffer: env.bounded("TALLY_HIT_BUFFER", 100_000, 0, 10_000_000)?,
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

struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: &str,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        raw.parse().map_err(|e| ConfigError {
            setting: name,
            reason: format!("cannot use {raw:?}: {e}"),
        })
    }

    fn bounded<T>(&self, name: &'static str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
        T::Err: std::fmt::Display,
    {
        let value: T = self.parse(name, &default.to_string())?;
        if value < min || value > max {
            return Err(ConfigError {
                setting: name,
                reason: format!("must be between {min} and {max}, got {value}"),
            });
        }
        Ok(value)
    }

    /// A duration such as `30m`, `1h`, `10s` or `250ms`, within
    /// `min..=max` seconds.
    fn duration(
        &self,
        name: &'static str,
        default: &str,
        min_secs: u64,
        max_secs: u64,
    ) -> Result<Duration, ConfigError> {
        self.duration_ms(name, default, min_secs * 1000, max_secs * 1000)
    }

    fn duration_ms(
        &self,
        name: &'static str,
        default: &str,
        min_ms: u64,
        max_ms: u64,
    ) -> Result<Duration, ConfigError> {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        let parsed: SignedDuration = raw.parse().map_err(|_| ConfigError {
            setting: name,
            reason: format!("cannot read {raw:?} as a duration (write e.g. 30m, 10s, 250ms)"),
        })?;
        let duration = Duration::try_from(parsed).map_err(|_| ConfigError {
            setting: name,
            reason: format!("{raw:?} must not be negative"),
        })?;
        let ms = duration.as_millis();
        if ms < u128::from(min_ms) || ms > u128::from(max_ms) {
            return Err(ConfigError {
                setting: name,
                reason: format!("must be between {min_ms}ms and {max_ms}ms, got {raw:?}"),
            });
        }
        Ok(duration)
    }

    /// `RATE` or `RATE,BURST` (requests per second per client address).
    fn rate(&self, name: &'static str, default: &str) -> Result<Rate, ConfigError> {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        let bad = || ConfigError {
            setting: name,
            reason: format!("write RATE or RATE,BURST with whole numbers above 0, got {raw:?}"),
        };
        let (rate, burst) = match raw.split_once(',') {
            Some((r, b)) => (r.trim(), Some(b.trim())),
            None => (raw.as_str(), None),
        };
        let per_second: u32 = rate.parse().map_err(|_| bad())?;
        let burst: u32 = match burst {
            Some(b) => b.parse().map_err(|_| bad())?,
            None => per_second.saturating_mul(2),
        };
        if per_second == 0 || burst == 0 {
            return Err(bad());
        }
        Ok(Rate { per_second, burst })
    }

    fn list<T>(
        &self,
        name: &'static str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ConfigError> {
        self.get(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                parse(item).map_err(|reason| ConfigError {
                    setting: name,
                    reason,
                })
            })
            .collect()
    }
}

fn parse_net(item: &str) -> Result<IpNet, String> {
    item.parse::<IpNet>()
        .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{item:?} is not an address or CIDR such as 10.0.0.0/8"))
}

fn parse_origin(item: &str) -> Result<String, String> {
    let origin = item.trim_end_matches('/');
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("{item:?} must start with https:// or http://"))?;
    let valid_host = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !valid_host {
        return Err(format!(
            "{item:?} must be scheme://host[:port] with no path"
        ));
    }
    Ok(origin.to_ascii_lowercase())
}

fn redis_url(setting: &'static str, url: &str) -> Result<String, ConfigError> {
    if url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("unix://") {
        Ok(url.to_owned())
    } else {
        Err(ConfigError {
            setting,
            reason: format!("{url:?} must start with redis://, rediss:// or unix://"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.ops_listen.to_string(), "127.0.0.1:9090");
        assert_eq!(
            s.store,
            StoreSettings::Embedded {
                data_dir: "./data".into()
            }
        );
        assert_eq!(s.timezone_name, "Asia/Ho_Chi_Minh");
        assert_eq!(s.visit_window, Duration::from_secs(30 * 60));
        assert_eq!(s.votes_per_address, 50);
        assert_eq!(s.max_pages, 100_000);
        assert_eq!(s.counter_baseline, None);
        assert!(s.admin_token.is_none());
    }

    #[test]
    fn values_are_parsed() {
        let s = settings(&[
            ("TALLY_REDIS_URL", "redis://127.0.0.1:6390"),
            ("TALLY_VISIT_WINDOW", "45m"),
            ("TALLY_FLUSH_INTERVAL", "50ms"),
            ("TALLY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7"),
            ("TALLY_ALLOWED_ORIGINS", "https://Portal.gov.vn/"),
            ("TALLY_RATE_LIMIT", "5,15"),
            ("TALLY_COUNTER_BASELINE", "7582803"),
        ])
        .unwrap();
        assert_eq!(
            s.store,
            StoreSettings::Redis {
                url: "redis://127.0.0.1:6390".into()
            }
        );
        assert_eq!(s.visit_window, Duration::from_secs(45 * 60));
        assert_eq!(s.flush_interval, Duration::from_millis(50));
        assert_eq!(s.trusted_proxies.len(), 2);
        assert_eq!(s.allowed_origins, vec!["https://portal.gov.vn".to_string()]);
        assert_eq!(
            s.rate_limit,
            Rate {
                per_second: 5,
                burst: 15
            }
        );
        assert_eq!(s.counter_baseline, Some(7_582_803));
    }

    #[test]
    fn a_bad_value_names_its_setting() {
        let cases = [
            ("TALLY_LISTEN", "localhost"),
            ("TALLY_TIMEZONE", "Mars/Olympus"),
            ("TALLY_VISIT_WINDOW", "soon"),
            ("TALLY_VISIT_WINDOW", "5s"),
            ("TALLY_VOTES_PER_ADDRESS", "-1"),
            ("TALLY_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TALLY_ALLOWED_ORIGINS", "portal.gov.vn"),
            ("TALLY_RATE_LIMIT", "0"),
            ("TALLY_REDIS_URL", "127.0.0.1:6379"),
            ("TALLY_COUNTER_BASELINE", "many"),
            ("TALLY_COUNTER_BASELINE", "18446744073709551615"),
            ("TALLY_ADMIN_TOKEN", "short"),
            ("TALLY_LOG_FORMAT", "xml"),
        ];
        for (name, value) in cases {
            let err = settings(&[(name, value)]).unwrap_err();
            assert_eq!(err.setting, name, "{value:?} -> {err}");
            assert!(err.to_string().starts_with(name));
        }
    }

    #[test]
    fn secrets_are_never_shown() {
        let s = settings(&[
            (
                "TALLY_REDIS_URL",
                "rediss://tally:pa55word@redis.internal:6380/0",
            ),
            ("TALLY_ADMIN_TOKEN", "a-very-secret-admin-token"),
        ])
        .unwrap();
        let shown = format!("{s:?} {}", s.store);
        assert!(!shown.contains("pa55word"), "{shown}");
        assert!(!shown.contains("a-very-secret"), "{shown}");
        assert!(
            shown.contains("rediss://tally:***@redis.internal:6380/0"),
            "{shown}"
        );
        assert_eq!(redact_url("redis://:pw@h:1"), "redis://:***@h:1");
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
        assert_eq!(redact_url("redis://pw@h:1"), "redis://***@h:1");
    }

    #[test]
    fn redis_and_cluster_are_exclusive() {
        let err = settings(&[
            ("TALLY_REDIS_URL", "redis://a:1"),
            ("TALLY_REDIS_CLUSTER_NODES", "redis://b:1"),
        ])
        .unwrap_err();
        assert_eq!(err.setting, "TALLY_REDIS_URL");
        let s = settings(&[(
            "TALLY_REDIS_CLUSTER_NODES",
            "redis://a:7000, redis://b:7001,",
        )])
        .unwrap();
        assert_eq!(
            s.store,
            StoreSettings::Cluster {
                nodes: vec!["redis://a:7000".into(), "redis://b:7001".into()]
            }
        );
    }
}
