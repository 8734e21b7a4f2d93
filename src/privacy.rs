//! Keyed hashing of client addresses, so no raw address or User-Agent is
//! ever stored.
//!
//! The key changes every local day: each day's key is random, shared by all
//! replicas through the store, and deleted when the day is over, after which
//! nobody (not even the operator) can tell whose hash was whose. IPv6
//! addresses are taken by their /64, the block one subscriber usually holds.

use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use crate::calendar::{Calendar, Day};
use crate::clock::Clock;
use crate::ids::{AddressKey, SiteId, VisitorKey, random};
use crate::site::Site;
use crate::store::{Store, StoreError};

#[derive(Clone)]
struct DayKey {
    day: Day,
    key: [u8; 32],
}

/// Turns addresses into keyed hashes with the day's key.
pub struct Privacy {
    store: Arc<dyn Store>,
    site: SiteId,
    calendar: Calendar,
    clock: Arc<dyn Clock>,
    shared: Mutex<Option<DayKey>>,
    /// One fetch of the day's key at a time: at midnight every request
    /// misses the cache at once.
    fetching: tokio::sync::Mutex<()>,
    /// Used only while the store cannot be reached, so hits can still be
    /// told apart; it never leaves this process.
    local: Mutex<Option<DayKey>>,
    /// When a fetch last failed: for [`RETRY_AFTER_FAILURE`] no other is
    /// tried, so while the store is down a hit does not wait for the
    /// store's timeout (behind every other hit waiting for its own).
    failed: Mutex<Option<Instant>>,
}

/// How long a failed fetch of the day's key is not tried again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

impl Privacy {
    pub fn new(site: Site) -> Self {
        let Site {
            id: site,
            store,
            calendar,
            clock,
            ..
        } = site;
        Self {
            store,
            site,
            calendar,
            clock,
            shared: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
            local: Mutex::new(None),
            failed: Mutex::new(None),
        }
    }

    /// The site whose key this is.
    pub fn site(&self) -> &SiteId {
        &self.site
    }

    fn cached(&self, day: Day) -> Option<[u8; 32]> {
        self.shared
            .lock()
            .as_ref()
            .filter(|k| k.day == day)
            .map(|k| k.key)
    }

    /// Today's shared key, from the cache or the store.
    async fn shared_key(&self) -> Result<[u8; 32], StoreError> {
        let day = self.calendar.day(self.clock.now());
        if let Some(key) = self.cached(day) {
            return Ok(key);
        }
        self.not_failing()?;
        let _one_fetch = self.fetching.lock().await;
        if let Some(key) = self.cached(day) {
            return Ok(key);
        }
        self.not_failing()?;
        // The key is kept until an hour after its day ends: long enough for
        // requests in flight at midnight, short enough to forget the day.
        let lifetime = self.calendar.until_tomorrow(self.clock.now()) + Duration::from_secs(3600);
        let fetched = self
            .store
            .daily_key(&self.site, day, random(), lifetime)
            .await;
        *self.failed.lock() = fetched.is_err().then(Instant::now);
        let key = fetched?;
        *self.shared.lock() = Some(DayKey { day, key });
        Ok(key)
    }

    /// An error while a failed fetch is recent.
    fn not_failing(&self) -> Result<(), StoreError> {
        match *self.failed.lock() {
            Some(at) if at.elapsed() < RETRY_AFTER_FAILURE => Err(StoreError::Unavailable(
                "the day's key could not be read a moment ago".into(),
            )),
            _ => Ok(()),
        }
    }

    fn local_key(&self) -> [u8; 32] {
        let day = self.calendar.day(self.clock.now());
        let mut local = self.local.lock();
        match local.as_ref() {
            Some(k) if k.day == day => k.key,
            _ => {
                let key = random();
                *local = Some(DayKey { day, key });
                key
            }
        }
    }

    /// The visitor known by address and User-Agent. Falls back to a
    /// process-local key while the store is unavailable.
    /// The same person on two sites is two visitors: the hash takes in
    /// any site but the primary one (whose hashes stay as they were).
    pub async fn visitor(&self, site: &SiteId, ip: IpAddr, user_agent: &[u8]) -> VisitorKey {
        let key = match self.shared_key().await {
            Ok(key) => key,
            Err(_) => self.local_key(),
        };
        let mut hasher = blake3::Hasher::new_keyed(&key);
        hasher.update(b"visitor\0");
        if *site != self.site {
            hasher.update(site.as_str().as_bytes());
            hasher.update(b"\0");
        }
        hasher.update(&network(ip));
        hasher.update(b"\0");
        hasher.update(user_agent);
        VisitorKey::from_address_hash(first16(hasher.finalize().as_bytes()))
    }

    /// The address as the per-address ballot cap counts it.
    pub async fn address(&self, ip: IpAddr) -> Result<AddressKey, StoreError> {
        let key = self.shared_key().await?;
        let mut hasher = blake3::Hasher::new_keyed(&key);
        hasher.update(b"address\0");
        hasher.update(&network(ip));
        Ok(AddressKey::from_hash(first16(hasher.finalize().as_bytes())))
    }

    /// The address's networks as the network ballot caps count them
    /// ([`networks`]), hashed like addresses.
    pub async fn networks(&self, ip: IpAddr) -> Result<Vec<(NetworkKind, AddressKey)>, StoreError> {
        let key = self.shared_key().await?;
        Ok(networks(ip)
            .into_iter()
            .map(|(kind, prefix, bits)| {
                let mut hasher = blake3::Hasher::new_keyed(&key);
                hasher.update(b"network\0");
                hasher.update(&prefix);
                hasher.update(&[bits]);
                (
                    kind,
                    AddressKey::from_hash(first16(hasher.finalize().as_bytes())),
                )
            })
            .collect())
    }
}

/// The networks a ballot cap counts besides the address: an IPv4 /24;
/// an IPv6 /56 and /48. Each with its kind, for the cap it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkKind {
    /// An IPv4 /24 or an IPv6 /56: a school's, an office's, a home's.
    Network,
    /// An IPv6 /48: an organisation's, or a provider's customer's.
    Site,
}

/// `ip`'s networks as prefixes of 16 bytes (IPv4 mapped into IPv6) and
/// their length in bits.
pub fn networks(ip: IpAddr) -> Vec<(NetworkKind, [u8; 16], u8)> {
    let cut = |mut octets: [u8; 16], bits: u8| {
        octets[usize::from(bits / 8)..].fill(0);
        octets
    };
    let v6 = match ip {
        IpAddr::V4(v4) => {
            return vec![(
                NetworkKind::Network,
                cut(v4.to_ipv6_mapped().octets(), 120),
                120,
            )];
        }
        IpAddr::V6(v6) => v6,
    };
    match v6.to_ipv4_mapped() {
        Some(v4) => vec![(
            NetworkKind::Network,
            cut(v4.to_ipv6_mapped().octets(), 120),
            120,
        )],
        None => vec![
            (NetworkKind::Network, cut(v6.octets(), 56), 56),
            (NetworkKind::Site, cut(v6.octets(), 48), 48),
        ],
    }
}

/// An address as 16 bytes: IPv4 mapped into IPv6, IPv6 cut to its /64.
pub fn network(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_ipv6_mapped().octets(),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                octets
            }
        },
    }
}

fn first16(bytes: &[u8; 32]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&bytes[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_taken_by_their_64_block() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
    }

    #[test]
    fn ipv4_and_its_mapped_form_are_one_address() {
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(network(v4), network(mapped));
        assert_ne!(network(v4), network("203.0.113.10".parse().unwrap()));
    }
}
