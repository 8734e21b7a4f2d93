//! Who is asking: the client's address and scheme.
//!
//! The address is the socket peer, or, only when the peer is a trusted proxy
//! (`TALLY_TRUSTED_PROXIES`), the right-most `X-Forwarded-For` entry that is
//! not itself a trusted proxy. Entries to the left of it were written by the
//! client and are never believed.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use ipnet::IpNet;

/// The client of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    /// The request reached the first trusted proxy over HTTPS.
    pub https: bool,
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    let ip = canonical(ip);
    proxies.iter().any(|net| net.contains(&ip))
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Parses one `X-Forwarded-For` entry: an address, maybe with a port.
fn forwarded_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = entry.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|ip| ip.parse().ok())
}

/// Resolves the client of a request that arrived from `peer`.
pub fn resolve(peer: SocketAddr, headers: &HeaderMap, proxies: &[IpNet]) -> Client {
    let peer_ip = canonical(peer.ip());
    if !trusted(peer_ip, proxies) {
        return Client {
            ip: peer_ip,
            https: false,
        };
    }
    let mut ip = peer_ip;
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for entry in entries.iter().rev() {
        match forwarded_entry(entry) {
            Some(hop) => {
                ip = canonical(hop);
                if !trusted(ip, proxies) {
                    break;
                }
            }
            // Our own proxies write well-formed entries; anything else is
            // where the client's part begins, so stop at the last good hop.
            None => break,
        }
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("https")
        });
    Client { ip, https }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = super::error::ApiError;

    /// The client the door resolved for this request.
    async fn from_request_parts(
        _: &mut http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        super::extract::client().ok_or(super::error::ApiError::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 5555)
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_another_address() {
        let c = resolve(
            peer("198.51.100.7"),
            &headers(&["1.2.3.4"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(c.ip, "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = nets(&["10.0.0.0/8"]);
        // The client claims 6.6.6.6; the ingress (10.0.0.2) appended the real
        // peer 203.0.113.5; an inner proxy appended 10.0.0.2.
        let h = headers(&["6.6.6.6, 203.0.113.5", "10.0.0.2"]);
        let c = resolve(peer("10.0.0.3"), &h, &proxies);
        assert_eq!(c.ip, "203.0.113.5".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn garbage_and_ports_are_handled() {
        let proxies = nets(&["10.0.0.0/8"]);
        let c = resolve(
            peer("10.0.0.1"),
            &headers(&["nonsense, 10.0.0.9"]),
            &proxies,
        );
        assert_eq!(c.ip, "10.0.0.9".parse::<IpAddr>().unwrap());
        let c = resolve(peer("10.0.0.1"), &headers(&["[2001:db8::1]:443"]), &proxies);
        assert_eq!(c.ip, "2001:db8::1".parse::<IpAddr>().unwrap());
        let c = resolve(peer("10.0.0.1"), &headers(&["203.0.113.9:1234"]), &proxies);
        assert_eq!(c.ip, "203.0.113.9".parse::<IpAddr>().unwrap());
        let c = resolve(peer("10.0.0.1"), &HeaderMap::new(), &proxies);
        assert_eq!(c.ip, "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn scheme_is_believed_only_from_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert!(resolve(peer("10.0.0.1"), &h, &nets(&["10.0.0.0/8"])).https);
        assert!(!resolve(peer("8.8.8.8"), &h, &nets(&["10.0.0.0/8"])).https);
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_networks() {
        let c = resolve(
            peer("::ffff:10.1.2.3"),
            &headers(&["203.0.113.1"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(c.ip, "203.0.113.1".parse::<IpAddr>().unwrap());
    }
}
