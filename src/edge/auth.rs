//! Admin authentication: tokens, each with a name for the audit log,
//! compared exactly and in constant time, and guessing throttled. An address (IPv6: its /64) that fails
//! [`MOST_FAILURES`] times within [`FAILURE_WINDOW`] is locked out for
//! [`LOCKOUT`]; while locked, its attempts are refused unchecked.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use http::{HeaderMap, header};
use subtle::ConstantTimeEq;

use crate::config::{NamedToken, Secret, UNNAMED_ADMIN};
use crate::privacy::network;

/// Failures allowed within [`FAILURE_WINDOW`] before a lock-out.
pub const MOST_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Most addresses tracked; past it, unknown addresses share one entry, so
/// a guesser with many addresses locks out only those unknown addresses.
const MOST_TRACKED: usize = 10_000;
const OVERFLOW: [u8; 16] = [0xff; 16];

/// The admin tokens and their holders' names.
#[derive(Debug, Clone, Default)]
pub struct Admins(Vec<(String, [u8; 32])>);

impl Admins {
    /// `single` (named [`UNNAMED_ADMIN`]) and `named`; empty, the admin
    /// API and the console are off.
    pub fn new(single: Option<&Secret>, named: &[NamedToken]) -> Self {
        let single = single.map(|t| (UNNAMED_ADMIN.to_owned(), t));
        let named = named.iter().map(|t| (t.name.clone(), &t.token));
        Self(
            single
                .into_iter()
                .chain(named)
                .map(|(name, token)| (name, *blake3::hash(token.expose().as_bytes()).as_bytes()))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whose token `given` is. Every token is compared, each in constant
    /// time, so the answer takes as long whichever matched.
    pub fn name_for(&self, given: &str) -> Option<&str> {
        let given = blake3::hash(given.as_bytes());
        let mut found = None;
        for (name, token) in &self.0 {
            if bool::from(given.as_bytes().ct_eq(token)) {
                found = Some(name.as_str());
            }
        }
        found
    }

    /// Whose token the request's `Authorization: Bearer <token>` is.
    pub fn bearer(&self, headers: &HeaderMap) -> Option<&str> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))?;
        self.name_for(given)
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

/// What a failed attempt led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// More attempts are allowed.
    Counted { failures: u32 },
    /// The address is now locked out for [`LOCKOUT`].
    LockedOut,
}

/// Failed sign-ins per address.
#[derive(Default)]
pub struct Throttle(Mutex<HashMap<[u8; 16], Failures>>);

impl Throttle {
    fn key(map: &mut HashMap<[u8; 16], Failures>, ip: IpAddr, now: Instant) -> [u8; 16] {
        let key = network(ip);
        if map.len() >= MOST_TRACKED && !map.contains_key(&key) {
            map.retain(|_, f| !expired(f, now));
            if map.len() >= MOST_TRACKED {
                return OVERFLOW;
            }
        }
        key
    }

    /// `Err(retry after)` while `ip` is locked out.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.0.lock();
        let key = Self::key(&mut map, ip, now);
        match map.get(&key).and_then(|f| f.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Notes a failed attempt from `ip`.
    pub fn failed(&self, ip: IpAddr) -> AfterFailure {
        let now = Instant::now();
        let mut map = self.0.lock();
        let key = Self::key(&mut map, ip, now);
        let entry = map.entry(key).or_insert(Failures {
            count: 0,
            first: now,
            locked_until: None,
        });
        if expired(entry, now) {
            *entry = Failures {
                count: 0,
                first: now,
                locked_until: None,
            };
        }
        entry.count += 1;
        if entry.count >= MOST_FAILURES {
            entry.locked_until = Some(now + LOCKOUT);
            AfterFailure::LockedOut
        } else {
            AfterFailure::Counted {
                failures: entry.count,
            }
        }
    }

    /// Forgets `ip`'s failures after it signed in.
    pub fn succeeded(&self, ip: IpAddr) {
        self.0.lock().remove(&network(ip));
    }
}

fn expired(f: &Failures, now: Instant) -> bool {
    match f.locked_until {
        Some(until) => until <= now,
        None => now.duration_since(f.first) >= FAILURE_WINDOW,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
        let admins = Admins::new(Some(&Secret::new(token.into())), &[]);
        admins.bearer(headers).is_some()
    }

    fn bearer(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn only_the_exact_token_is_accepted() {
        let token = "s3cret-token-of-length";
        assert!(bearer_matches(
            &bearer("Bearer s3cret-token-of-length"),
            token
        ));
        assert!(!bearer_matches(
            &bearer("Bearer s3cret-token-of-lengt"),
            token
        ));
        assert!(!bearer_matches(
            &bearer("Bearer s3cret-token-of-length "),
            token
        ));
        assert!(!bearer_matches(
            &bearer("Bearer  s3cret-token-of-length"),
            token
        ));
        assert!(!bearer_matches(
            &bearer("bearer s3cret-token-of-length"),
            token
        ));
        assert!(!bearer_matches(
            &bearer("Basic s3cret-token-of-length"),
            token
        ));
        assert!(!bearer_matches(&HeaderMap::new(), token));
    }

    #[test]
    fn each_named_token_signs_in_as_its_name() {
        let single = Secret::new("the-old-single-token".into());
        let named =
            crate::config::named_tokens("lan:a-token-for-lan-0001,minh:a-token-for-minh-001")
                .unwrap();
        let admins = Admins::new(Some(&single), &named);
        assert_eq!(admins.name_for("the-old-single-token"), Some("admin"));
        assert_eq!(admins.name_for("a-token-for-lan-0001"), Some("lan"));
        assert_eq!(admins.name_for("a-token-for-minh-001"), Some("minh"));
        assert_eq!(admins.name_for("a-token-for-minh-00"), None);
        assert_eq!(admins.name_for(""), None);
        assert_eq!(
            admins.bearer(&bearer("Bearer a-token-for-lan-0001")),
            Some("lan")
        );
        assert_eq!(admins.bearer(&bearer("Bearer  a-token-for-lan-0001")), None);
        assert!(Admins::new(None, &[]).is_empty());
    }

    #[test]
    fn an_address_is_locked_out_after_five_failures() {
        let throttle = Throttle::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        for n in 1..MOST_FAILURES {
            assert_eq!(throttle.check(ip), Ok(()));
            assert_eq!(throttle.failed(ip), AfterFailure::Counted { failures: n });
        }
        assert_eq!(throttle.failed(ip), AfterFailure::LockedOut);
        let wait = throttle.check(ip).unwrap_err();
        assert!(wait > LOCKOUT - Duration::from_secs(1) && wait <= LOCKOUT);
        assert_eq!(throttle.check(other), Ok(()), "other addresses are not");
        throttle.succeeded(other);
        assert!(throttle.check(ip).is_err());
    }
}
