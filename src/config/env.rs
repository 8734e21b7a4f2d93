//! Reading settings: each kind of value (durations, bounded numbers,
//! rates, lists) parsed once, every refusal naming its setting.

use ipnet::IpNet;
use jiff::SignedDuration;
use std::time::Duration;

use super::{ConfigError, Rate};

pub(super) struct Env<'a>(pub(super) &'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned())
    }

    pub(super) fn parse<T: std::str::FromStr>(
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

    pub(super) fn bounded<T>(
        &self,
        name: &'static str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError>
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
    pub(super) fn duration(
        &self,
        name: &'static str,
        default: &str,
        min_secs: u64,
        max_secs: u64,
    ) -> Result<Duration, ConfigError> {
        self.duration_ms(name, default, min_secs * 1000, max_secs * 1000)
    }

    pub(super) fn duration_ms(
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

    /// An absolute `http://` or `https://` URL, if set.
    pub(super) fn url(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let ok = raw
            .parse::<http::Uri>()
            .ok()
            .filter(|uri| matches!(uri.scheme_str(), Some("http" | "https")))
            .is_some_and(|uri| uri.host().is_some_and(|h| !h.is_empty()));
        if ok && !raw.contains(['"', '<', '>', ' ']) {
            Ok(Some(raw))
        } else {
            Err(ConfigError {
                setting: name,
                reason: format!("{raw:?} must be an absolute http:// or https:// URL"),
            })
        }
    }

    /// `RATE` or `RATE,BURST` (requests per second per client address).
    pub(super) fn rate(&self, name: &'static str, default: &str) -> Result<Rate, ConfigError> {
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

    pub(super) fn list<T>(
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

pub(super) fn parse_net(item: &str) -> Result<IpNet, String> {
    item.parse::<IpNet>()
        .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{item:?} is not an address or CIDR such as 10.0.0.0/8"))
}

pub(super) fn parse_origin(item: &str) -> Result<String, String> {
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

pub(super) fn redis_url(setting: &'static str, url: &str) -> Result<String, ConfigError> {
    if url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("unix://") {
        Ok(url.to_owned())
    } else {
        Err(ConfigError {
            setting,
            reason: format!("{url:?} must start with redis://, rediss:// or unix://"),
        })
    }
}
