//! Where ballots come from, coarsely: the network (an IPv4 /24, an IPv6 /48)
//! and a fixed-size count of the busiest networks in a window.

use std::net::IpAddr;

/// A client's network: its IPv4 /24 or IPv6 /48. Kept in memory for one
/// window of the difficulty controller; stored only while a level raised
/// for it is shared with the other replicas (at most 90 s), never logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetworkKey {
    V4([u8; 3]),
    V6([u8; 6]),
}

impl From<IpAddr> for NetworkKey {
    fn from(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => v4_key(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4_key(v4.octets()),
                None => {
                    let o = v6.octets();
                    NetworkKey::V6([o[0], o[1], o[2], o[3], o[4], o[5]])
                }
            },
        }
    }
}

impl NetworkKey {
    /// The network's prefix in hex digits (6 for a /24, 12 for a /48): its
    /// name where a level raised for it is shared.
    pub fn name(&self) -> String {
        let bytes: &[u8] = match self {
            NetworkKey::V4(b) => b,
            NetworkKey::V6(b) => b,
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn v4_key(o: [u8; 4]) -> NetworkKey {
    NetworkKey::V4([o[0], o[1], o[2]])
}

/// The busiest networks of a window, in at most `capacity` counters
/// (the Space-Saving sketch): a network not counted yet takes the place of
/// the least counted one and inherits its count plus one. Counts are never
/// below the truth and overstate it by at most `ballots / capacity`, so the
/// busiest network's share is found within that margin however many
/// distinct networks there are.
#[derive(Debug, Clone)]
pub(crate) struct TopNetworks {
    counters: Vec<(NetworkKey, u32)>,
    capacity: usize,
}

impl TopNetworks {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            counters: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn add(&mut self, network: NetworkKey) {
        if let Some(counter) = self.counters.iter_mut().find(|(k, _)| *k == network) {
            counter.1 += 1;
        } else if self.counters.len() < self.capacity {
            self.counters.push((network, 1));
        } else if let Some(least) = self.counters.iter_mut().min_by_key(|(_, n)| *n) {
            *least = (network, least.1 + 1);
        }
    }

    /// The busiest network's count (an upper bound).
    pub(crate) fn top(&self) -> u32 {
        self.busiest().map_or(0, |(_, n)| n)
    }

    /// The busiest network and its count (an upper bound).
    pub(crate) fn busiest(&self) -> Option<(NetworkKey, u32)> {
        self.counters.iter().copied().max_by_key(|(_, n)| *n)
    }

    /// How many counters are in use: never more than the capacity.
    pub(crate) fn len(&self) -> usize {
        self.counters.len()
    }

    pub(crate) fn clear(&mut self) {
        self.counters.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_a_v4_slash_24_or_a_v6_slash_48() {
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let b: IpAddr = "203.0.113.250".parse().unwrap();
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        let c: IpAddr = "203.0.114.7".parse().unwrap();
        assert_eq!(NetworkKey::from(a), NetworkKey::from(b));
        assert_eq!(NetworkKey::from(a), NetworkKey::from(mapped));
        assert_ne!(NetworkKey::from(a), NetworkKey::from(c));
        let d: IpAddr = "2001:db8:1:ffff::1".parse().unwrap();
        let e: IpAddr = "2001:db8:1:0::2".parse().unwrap();
        let f: IpAddr = "2001:db8:2::1".parse().unwrap();
        assert_eq!(NetworkKey::from(d), NetworkKey::from(e));
        assert_ne!(NetworkKey::from(d), NetworkKey::from(f));
    }

    #[test]
    fn the_busiest_network_survives_a_crowd_of_others() {
        let mut top = TopNetworks::new(16);
        for i in 0..100_000u32 {
            let [_, a, b, c] = i.to_be_bytes();
            top.add(NetworkKey::V4([a, b, c]));
            if i % 2 == 0 {
                top.add(NetworkKey::V4([10, 0, 0]));
            }
        }
        assert_eq!(top.len(), 16);
        // 50 000 true, overstated by at most 150 000 / 16.
        assert!((50_000..=50_000 + 150_000 / 16).contains(&top.top()));
        top.clear();
        assert_eq!((top.len(), top.top()), (0, 0));
    }
}
