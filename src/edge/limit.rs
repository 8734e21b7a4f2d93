//! Rate limiting with governor, keyed by client address: a lenient limit for
//! hits and reads, a strict one for ballots and form posts, a ceiling for
//! each site that has one (a request naming it), and one for the whole
//! replica. Limits are per replica.
//!
//! Memory stays bounded: idle addresses are forgotten on a schedule, and the
//! number of addresses tracked is capped. When a flood from more addresses
//! than the cap is still active after a purge, every client shares one
//! overflow bucket until it subsides: a flood of that size degrades the
//! service for everyone rather than taking the process's memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::config::Rate;
use crate::ids::SiteId;
use crate::privacy::network;

type Keyed =
    RateLimiter<[u8; 16], DashMapStateStore<[u8; 16]>, DefaultClock, StateInformationMiddleware>;
type Direct = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// The bucket shared by all clients while the address cap is exceeded (an
/// IPv6 network no client can have).
const OVERFLOW: [u8; 16] = [0xff; 16];
/// At the cap, purge at most this often.
const PURGE_AT_CAP_EVERY: Duration = Duration::from_secs(1);

/// Which limit a request falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Hits, counters, poll reads, pages and assets.
    Lenient,
    /// Ballots and form posts.
    Strict,
}

/// A request let through, with what is left of the client's burst.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    pub limit: u32,
    pub remaining: u32,
}

/// A request refused, and how long until it would pass.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    pub limit: u32,
    pub retry_after: Duration,
}

/// A keyed limiter's size without counting it each time: counting reads
/// every shard of the map. Each request adds at most one key, so the size
/// last counted plus the requests since is a bound; only when that bound
/// reaches the cap is the map counted again.
#[derive(Default)]
struct Census {
    counted: AtomicUsize,
    since: AtomicUsize,
}

impl Census {
    /// Notes one more request; whether the map may now hold `cap` keys.
    fn may_reach(&self, cap: usize) -> bool {
        let since = self.since.fetch_add(1, Ordering::Relaxed) + 1;
        self.counted.load(Ordering::Relaxed).saturating_add(since) >= cap
    }

    /// Counts the map (purges shrink it, so this is the only exact size).
    fn count(&self, limiter: &Keyed) -> usize {
        let n = limiter.len();
        self.counted.store(n, Ordering::Relaxed);
        self.since.store(0, Ordering::Relaxed);
        n
    }
}

/// The replica's rate limiters.
pub struct RateLimits {
    lenient: Keyed,
    strict: Keyed,
    /// What is known of each keyed limiter's size, so the cap is checked
    /// without counting the map on every request.
    lenient_census: Census,
    strict_census: Census,
    global: Direct,
    max_keys: usize,
    clock: DefaultClock,
    started: Instant,
    last_purge_ms: AtomicU64,
    /// Each site's own ceiling, where the sites file sets one: a flood of
    /// one site's requests is refused before it takes the replica's.
    /// A site's aliases share its bucket: naming the old id does not get
    /// round the ceiling.
    /// Swapped whole when a site is created or its ceiling changes.
    sites: arc_swap::ArcSwap<HashMap<SiteId, SiteCeiling>>,
}

/// A site's ceiling and its bucket.
#[derive(Clone)]
struct SiteCeiling {
    rate: Rate,
    bucket: std::sync::Arc<Direct>,
}

fn quota(rate: Rate) -> Quota {
    let per_second = NonZeroU32::new(rate.per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_second).allow_burst(burst)
}

impl RateLimits {
    pub fn new(lenient: Rate, strict: Rate, global: Rate, max_keys: usize) -> Self {
        Self {
            lenient: RateLimiter::dashmap(quota(lenient)).with_middleware(),
            strict: RateLimiter::dashmap(quota(strict)).with_middleware(),
            lenient_census: Census::default(),
            strict_census: Census::default(),
            global: RateLimiter::direct(quota(global)).with_middleware(),
            max_keys,
            clock: DefaultClock::default(),
            started: Instant::now(),
            last_purge_ms: AtomicU64::new(0),
            sites: arc_swap::ArcSwap::from_pointee(HashMap::new()),
        }
    }

    /// With a ceiling for each of `sites`, shared by the names each is
    /// known by (its id and its aliases).
    pub fn with_sites(self, sites: impl IntoIterator<Item = (Vec<SiteId>, Rate)>) -> Self {
        self.set_sites(sites.into_iter().map(|(names, rate)| (names, Some(rate))));
        self
    }

    /// Sets the ceiling of each of `sites` (none: no ceiling of its own),
    /// shared by the names each is known by; a site whose ceiling is
    /// unchanged keeps its bucket.
    pub fn set_sites(&self, sites: impl IntoIterator<Item = (Vec<SiteId>, Option<Rate>)>) {
        let sites: Vec<(Vec<SiteId>, Option<Rate>)> = sites.into_iter().collect();
        self.sites.rcu(|now| {
            let mut next = (**now).clone();
            for (names, rate) in &sites {
                let kept = names
                    .first()
                    .and_then(|id| now.get(id))
                    .filter(|held| Some(held.rate) == *rate)
                    .cloned();
                let ceiling = kept.or_else(|| {
                    rate.map(|rate| SiteCeiling {
                        rate,
                        bucket: std::sync::Arc::new(
                            RateLimiter::direct(quota(rate)).with_middleware(),
                        ),
                    })
                });
                for name in names {
                    match &ceiling {
                        Some(ceiling) => next.insert(name.clone(), ceiling.clone()),
                        None => next.remove(name),
                    };
                }
            }
            next
        });
    }

    /// Whether any site has a ceiling of its own.
    pub fn by_site(&self) -> bool {
        !self.sites.load().is_empty()
    }

    /// Takes one request from `site`'s own bucket, if it has one.
    pub fn check_site(&self, site: &SiteId) -> Result<(), Refused> {
        let sites = self.sites.load();
        let Some(limiter) = sites.get(site).map(|ceiling| &ceiling.bucket) else {
            return Ok(());
        };
        limiter.check().map(|_| ()).map_err(|not_until| Refused {
            limit: not_until.quota().burst_size().get(),
            retry_after: not_until.wait_time_from(self.clock.now()),
        })
    }

    /// Takes one request of `class` from `ip`'s bucket and the replica's.
    pub fn check(&self, class: Class, ip: IpAddr) -> Result<Allowed, Refused> {
        let (limiter, census) = match class {
            Class::Lenient => (&self.lenient, &self.lenient_census),
            Class::Strict => (&self.strict, &self.strict_census),
        };
        let refused = |not_until: governor::NotUntil<_>| Refused {
            limit: not_until.quota().burst_size().get(),
            retry_after: not_until.wait_time_from(self.clock.now()),
        };
        self.global.check().map_err(refused)?;
        let mut key = network(ip);
        if census.may_reach(self.max_keys) && census.count(limiter) >= self.max_keys {
            self.purge_at_cap(limiter);
            if census.count(limiter) >= self.max_keys {
                key = OVERFLOW;
            }
        }
        let snapshot = limiter.check_key(&key).map_err(refused)?;
        Ok(Allowed {
            limit: snapshot.quota().burst_size().get(),
            remaining: snapshot.remaining_burst_capacity(),
        })
    }

    fn purge_at_cap(&self, limiter: &Keyed) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_purge_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= PURGE_AT_CAP_EVERY.as_millis() as u64
            && self
                .last_purge_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            limiter.retain_recent();
        }
    }

    /// Forgets addresses whose buckets are full again (they are
    /// indistinguishable from new ones) and returns the memory.
    pub fn purge(&self) {
        for limiter in [&self.lenient, &self.strict] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Addresses tracked by the lenient and the strict limiter.
    pub fn keys(&self) -> (usize, usize) {
        (self.lenient.len(), self.strict.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_second: u32, burst: u32) -> Rate {
        Rate { per_second, burst }
    }

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(n.to_be_bytes())
    }

    #[test]
    fn each_address_has_its_own_burst() {
        let limits = RateLimits::new(rate(1, 3), rate(1, 1), rate(1000, 1000), 100);
        for _ in 0..3 {
            assert!(limits.check(Class::Lenient, ip(1)).is_ok());
        }
        let refused = limits.check(Class::Lenient, ip(1)).unwrap_err();
        assert_eq!(refused.limit, 3);
        assert!(
            refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_secs(1)
        );
        assert!(limits.check(Class::Lenient, ip(2)).is_ok());
        // The strict limit is separate, and stricter.
        assert!(limits.check(Class::Strict, ip(1)).is_ok());
        assert!(limits.check(Class::Strict, ip(1)).is_err());
    }

    #[test]
    fn the_replica_ceiling_applies_to_everyone() {
        let limits = RateLimits::new(rate(100, 100), rate(100, 100), rate(1, 5), 100);
        for n in 0..5 {
            assert!(limits.check(Class::Lenient, ip(n)).is_ok());
        }
        assert!(limits.check(Class::Lenient, ip(99)).is_err());
    }

    #[test]
    fn tracked_addresses_stay_under_the_cap() {
        let limits = RateLimits::new(rate(1, 2), rate(1, 1), rate(1_000_000, 1_000_000), 50);
        for n in 0..1000 {
            let _ = limits.check(Class::Lenient, ip(n));
        }
        // The cap, plus the overflow bucket.
        assert!(limits.keys().0 <= 51, "{:?}", limits.keys());
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let limits = RateLimits::new(rate(1, 1), rate(1, 1), rate(1000, 1000), 100);
        assert!(
            limits
                .check(Class::Lenient, "2001:db8::1".parse().unwrap())
                .is_ok()
        );
        assert!(
            limits
                .check(Class::Lenient, "2001:db8::2".parse().unwrap())
                .is_err()
        );
    }
}
