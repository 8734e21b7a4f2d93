//! How each kind of setting is read from its text: durations, bounded
//! numbers, rates, lists, URLs, time zones, secrets. Each is a clap value
//! parser; its error is the reason a refusal gives after the setting's name.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use jiff::tz::TimeZone;

use super::strength::strong_enough;
use super::{NamedToken, Rate, Secret, named_tokens};
use crate::lang::Lang;

/// What clap needs of a value parser written as a function.
pub(super) trait Parser<T>:
    Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
{
}

impl<T, F: Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static> Parser<T> for F {}

/// A comma-separated list given as one value; empty items are skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// A list whose items `item` reads, each trimmed.
pub(super) fn list<T>(item: fn(&str) -> Result<T, String>) -> impl Parser<List<T>>
where
    T: Clone + Send + Sync + 'static,
{
    move |raw: &str| {
        raw.split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(item)
            .collect::<Result<_, _>>()
            .map(List)
    }
}

/// A number within `min..=max`.
pub(super) fn bounded<T>(min: T, max: T) -> impl Parser<T>
where
    T: FromStr + PartialOrd + Display + Copy + Send + Sync + 'static,
    T::Err: Display,
{
    move |raw: &str| {
        let value: T = raw
            .parse()
            .map_err(|e| format!("cannot use {raw:?}: {e}"))?;
        if value < min || value > max {
            return Err(format!("must be between {min} and {max}, got {value}"));
        }
        Ok(value)
    }
}

/// A duration such as `30m`, `1h`, `10s` or `250ms`, within `min..=max`.
pub(super) fn duration(min: Duration, max: Duration) -> impl Parser<Duration> {
    move |raw: &str| {
        let value = read_duration(raw)?;
        if value < min || value > max {
            return Err(format!(
                "must be between {} and {}, got {raw}",
                humantime::format_duration(min),
                humantime::format_duration(max)
            ));
        }
        Ok(value)
    }
}

/// humantime's durations (`30m`, `1h 30m`, `250ms`); what it does not read
/// but the settings always took (ISO 8601 such as `PT30M`) is read as before.
fn read_duration(raw: &str) -> Result<Duration, String> {
    humantime::parse_duration(raw).or_else(|_| {
        let iso: jiff::SignedDuration = raw.parse().map_err(|_| {
            format!("cannot read {raw:?} as a duration (write e.g. 30m, 10s, 250ms)")
        })?;
        Duration::try_from(iso).map_err(|_| format!("{raw:?} must not be negative"))
    })
}

/// `RATE` or `RATE,BURST` (requests per second, burst); the burst is twice
/// the rate when not given.
pub(crate) fn rate(raw: &str) -> Result<Rate, String> {
    let bad = || format!("write RATE or RATE,BURST with whole numbers above 0, got {raw:?}");
    let (rate, burst) = match raw.split_once(',') {
        Some((r, b)) => (r.trim(), Some(b.trim())),
        None => (raw, None),
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

/// An absolute `http://` or `https://` URL.
pub(super) fn url(raw: &str) -> Result<String, String> {
    let ok = raw
        .parse::<http::Uri>()
        .ok()
        .filter(|uri| matches!(uri.scheme_str(), Some("http" | "https")))
        .is_some_and(|uri| uri.host().is_some_and(|h| !h.is_empty()));
    if ok && !raw.contains(['"', '<', '>', ' ']) {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{raw:?} must be an absolute http:// or https:// URL"
        ))
    }
}

/// A Redis server's URL.
pub(super) fn redis_url(raw: &str) -> Result<String, String> {
    if ["redis://", "rediss://", "unix://"]
        .iter()
        .any(|scheme| raw.starts_with(scheme))
    {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "{raw:?} must start with redis://, rediss:// or unix://"
        ))
    }
}

/// An address or a CIDR block.
pub(super) fn net(item: &str) -> Result<IpNet, String> {
    item.parse::<IpNet>()
        .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{item:?} is not an address or CIDR such as 10.0.0.0/8"))
}

/// A page's origin, `scheme://host[:port]`, lowercased and without a
/// trailing slash, as browsers send it.
pub(crate) fn origin(item: &str) -> Result<String, String> {
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

/// The address pages reach tally at: an origin and perhaps a path (where a
/// proxy mounts it), without a query, a fragment or a trailing `/`.
pub(crate) fn public_url(item: &str) -> Result<String, String> {
    let url = item.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{item:?} must start with https:// or http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let plain = |s: &str, extra: &[u8]| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b) || extra.contains(&b))
    };
    if host.is_empty() || !plain(host, b":[]") || !plain(path, b"/") {
        return Err(format!(
            "{item:?} must be scheme://host[:port][/path], without a query"
        ));
    }
    Ok(format!(
        "{}{}",
        &url[..url.len() - rest.len()],
        rest.to_owned()
    ))
}

/// An IANA time zone; the database is compiled in.
pub(super) fn timezone(raw: &str) -> Result<TimeZone, String> {
    TimeZone::get(raw).map_err(|_| {
        format!("unknown time zone {raw:?} (use an IANA name such as Asia/Ho_Chi_Minh)")
    })
}

/// `vi` or `en` (a tag such as `vi-VN` names its language).
pub(super) fn language(raw: &str) -> Result<Lang, String> {
    Lang::from_tag(raw).ok_or_else(|| format!("must be vi or en, got {raw:?}"))
}

/// A secret of at least `min` bytes, taken exactly as written.
pub(super) fn secret(min: usize, example: &'static str) -> impl Parser<Secret> {
    move |raw: &str| {
        if raw.len() < min {
            return Err(format!("must be at least {min} characters{example}"));
        }
        Ok(Secret::new(raw.to_owned()))
    }
}

/// An admin token, taken exactly as written, if hard enough to guess.
pub(super) fn admin_token(raw: &str) -> Result<Secret, String> {
    strong_enough(raw).map_err(|why| format!("has {why}"))?;
    Ok(Secret::new(raw.to_owned()))
}

/// `name:token,name=role:token`, as [`named_tokens`] reads it.
pub(super) fn tokens(raw: &str) -> Result<List<NamedToken>, String> {
    named_tokens(raw).map(List)
}
