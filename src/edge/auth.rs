//! Admin authentication for the console and the admin API alike: tokens,
//! each with a name for the audit log, compared exactly and in constant
//! time. A correct token is always checked and accepted, whatever its
//! address did before; a wrong one is counted against its address by the
//! [`Throttle`], which only ever slows *wrong* tokens (answered "too soon"
//! once the address has sent too many). A wrong token names no one, so
//! failures are counted per address, never per token name.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, header};
use subtle::ConstantTimeEq;

use super::throttle::Throttle;
use crate::config::{NamedToken, Secret, UNNAMED_ADMIN};
use crate::ids::SiteId;
use crate::metrics::Metrics;
use crate::roles::{Grant, Role};

/// Each token's holder: a name and a grant (a role, on a site or on all),
/// and the token's hash.
#[derive(Debug, Clone, Default)]
pub struct Admins(Vec<(String, Grant, [u8; 32])>);

impl Admins {
    /// `single` (named [`UNNAMED_ADMIN`]) and `named`; empty, the admin
    /// API and the console are off.
    pub fn new(single: Option<&Secret>, named: &[NamedToken]) -> Self {
        let single = single.map(|t| (UNNAMED_ADMIN.to_owned(), Grant::ADMIN, t));
        let named = named
            .iter()
            .map(|t| (t.name.clone(), t.grant.clone(), &t.token));
        let hash = |token: &Secret| *blake3::hash(token.expose().as_bytes()).as_bytes();
        Self(
            single
                .into_iter()
                .chain(named)
                .map(|(name, role, token)| (name, role, hash(token)))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a token named `name` has `role` on `site` today: a console
    /// session signed in before the settings changed may no longer.
    pub fn holds(&self, name: &str, role: Role, site: Option<&SiteId>) -> bool {
        self.0
            .iter()
            .any(|(n, g, _)| n == name && g.role == role && g.site.as_ref() == site)
    }

    /// Whose token `given` is, and its role. Every token is compared,
    /// each in constant time, so the answer takes as long whichever
    /// matched.
    pub fn holder_of(&self, given: &str) -> Option<Holder<'_>> {
        let given = blake3::hash(given.as_bytes());
        let mut found = None;
        for (name, grant, token) in &self.0 {
            if bool::from(given.as_bytes().ct_eq(token)) {
                found = Some(Holder {
                    name,
                    role: grant.role,
                    site: grant.site.as_ref(),
                });
            }
        }
        found
    }
}

/// Who holds a token: the name the audit log gives them, their role, and
/// the site it is given on (none: every site).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder<'a> {
    pub name: &'a str,
    pub role: Role,
    pub site: Option<&'a SiteId>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token of anyone's.
    Wrong,
    /// Not a token of anyone's, from an address that sent too many: it
    /// should wait this long before its next guess.
    TooSoon(Duration),
}

/// The sign-in check the console and the admin API share: one count of
/// wrong tokens per address, whichever of the two they were sent to.
pub struct SignIn {
    admins: Admins,
    throttle: Throttle,
    metrics: Arc<Metrics>,
    /// Whether log lines name the address (`TALLY_LOG_ADDRESSES`).
    log_addresses: bool,
}

impl SignIn {
    pub fn new(admins: Admins, metrics: Arc<Metrics>, log_addresses: bool) -> Self {
        Self {
            admins,
            throttle: Throttle::default(),
            metrics,
            log_addresses,
        }
    }

    /// Whether a token named `name` has `role` on `site` today.
    pub fn holds(&self, name: &str, role: Role, site: Option<&SiteId>) -> bool {
        self.admins.holds(name, role, site)
    }

    /// No token is set: the console and the admin API are off.
    pub fn is_off(&self) -> bool {
        self.admins.is_empty()
    }

    /// Whose token `given` is, exactly as sent, from `ip`, to `via` (the
    /// console or the admin API, for the log).
    pub fn check(&self, given: &str, ip: IpAddr, via: &'static str) -> Result<Holder<'_>, Refused> {
        if let Some(who) = self.admins.holder_of(given) {
            self.throttle.succeeded(ip);
            return Ok(who);
        }
        self.metrics.admin_auth_failures.inc();
        let failed = self.throttle.failed(ip);
        if failed.began_waiting {
            self.metrics.admin_lockouts.inc();
        }
        if let Some(not_logged_since_last) = failed.log {
            tracing::warn!(
                via,
                failures = failed.failures,
                wait_secs = failed.wait.map(|w| w.as_secs()),
                not_logged_since_last,
                client = self.log_addresses.then_some(tracing::field::display(ip)),
                "admin token refused"
            );
        }
        match failed.wait {
            Some(wait) if failed.too_soon => Err(Refused::TooSoon(wait)),
            _ => Err(Refused::Wrong),
        }
    }

    /// Whose token the request's `Authorization: Bearer <token>` is; a
    /// header of another form is a wrong token.
    pub fn bearer(
        &self,
        headers: &HeaderMap,
        ip: IpAddr,
        via: &'static str,
    ) -> Result<Holder<'_>, Refused> {
        self.check(bearer_token(headers).unwrap_or(""), ip, via)
    }
}

/// The token of an `Authorization: Bearer <token>` header, as sent.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::throttle::{FIRST_WAIT, FREE_FAILURES, MOST_TRACKED};

    const TOKEN: &str = "3f9c2e71a8d04b6e95c1f0a7d2b8e64c";
    const LAN: &str = "lan-7Qm2vX9pR4tK8wZ3nB6yH1cJ";
    const MINH: &str = "minh-Fz5Lq8Wd2Rk7Ys4Np9Tg3Vh6";

    fn sign_in() -> SignIn {
        let single = Secret::new(TOKEN.into());
        let named = crate::config::named_tokens(&format!("lan:{LAN},minh=viewer:{MINH}")).unwrap();
        let admins = Admins::new(Some(&single), &named);
        SignIn::new(admins, Arc::new(Metrics::new("embedded")), false)
    }

    fn bearer(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_the_exact_token_is_accepted() {
        let gate = sign_in();
        let at = ip("203.0.113.7");
        let check = |value: &str| gate.bearer(&bearer(value), at, "test").is_ok();
        assert!(check(&format!("Bearer {TOKEN}")));
        for wrong in [
            format!("Bearer {}", &TOKEN[1..]),
            format!("Bearer {TOKEN} "),
            format!("Bearer  {TOKEN}"),
            format!("Bearer {}", TOKEN.to_uppercase()),
            format!("bearer {TOKEN}"),
            format!("Basic {TOKEN}"),
        ] {
            assert!(!check(&wrong), "{wrong}");
        }
        assert!(gate.bearer(&HeaderMap::new(), at, "test").is_err());
        let other = ip("203.0.113.8");
        assert_eq!(
            gate.check(&format!(" {TOKEN}"), other, "test"),
            Err(Refused::Wrong)
        );
    }

    #[test]
    fn each_named_token_signs_in_as_its_name() {
        let gate = sign_in();
        let at = ip("203.0.113.7");
        let holder = |name, role| {
            Ok(Holder {
                name,
                role,
                site: None,
            })
        };
        assert_eq!(gate.check(TOKEN, at, "test"), holder("admin", Role::Admin));
        assert_eq!(gate.check(LAN, at, "test"), holder("lan", Role::Admin));
        assert_eq!(gate.check(MINH, at, "test"), holder("minh", Role::Viewer));
        assert!(gate.check(&MINH[..MINH.len() - 1], at, "test").is_err());
        assert!(gate.check("", at, "test").is_err());
        assert_eq!(
            gate.bearer(&bearer(&format!("Bearer {LAN}")), at, "test")
                .map(|h| h.name),
            Ok("lan")
        );
        assert!(Admins::new(None, &[]).is_empty());
        assert!(gate.holds("minh", Role::Viewer, None) && gate.holds("admin", Role::Admin, None));
        assert!(!gate.holds("minh", Role::Admin, None) && !gate.holds("hoa", Role::Viewer, None));
        let default = SiteId::DEFAULT;
        assert!(
            !gate.holds("minh", Role::Viewer, Some(&default)),
            "another site's grant"
        );
    }

    #[test]
    fn wrong_tokens_wait_but_a_correct_token_never_does() {
        let gate = sign_in();
        let office = ip("203.0.113.7");
        for _ in 0..FREE_FAILURES {
            assert_eq!(gate.check("guess", office, "test"), Err(Refused::Wrong));
        }
        assert_eq!(
            gate.check("guess", office, "test"),
            Err(Refused::TooSoon(2 * FIRST_WAIT))
        );
        assert_eq!(gate.check(LAN, office, "test").map(|h| h.name), Ok("lan"));
        assert_eq!(gate.metrics.admin_auth_failures.get(), 6);
        assert_eq!(gate.metrics.admin_lockouts.get(), 1);
    }

    #[test]
    fn a_failure_table_filled_from_10_000_addresses_refuses_no_correct_token() {
        let gate = sign_in();
        for n in 0..MOST_TRACKED as u32 {
            let from = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            assert!(gate.check("guess", from, "test").is_err());
        }
        let failed = ip("10.0.0.1");
        for _ in 0..FREE_FAILURES {
            assert!(gate.check("guess", failed, "test").is_err());
        }
        let never_failed = ip("198.51.100.9");
        for _ in 0..FREE_FAILURES + 3 {
            assert!(gate.check("guess", ip("198.51.100.10"), "test").is_err());
        }
        assert!(gate.throttle.tracked() <= MOST_TRACKED + 1);
        assert_eq!(
            gate.check(MINH, never_failed, "test").map(|h| h.name),
            Ok("minh")
        );
        assert_eq!(
            gate.check(TOKEN, failed, "test").map(|h| h.name),
            Ok("admin")
        );
        assert_eq!(
            gate.check(LAN, ip("198.51.100.10"), "test").map(|h| h.name),
            Ok("lan")
        );
        // Unknown addresses share one count now: a wrong token from a new
        // one is too soon, a correct one still signs in.
        assert!(matches!(
            gate.check("guess", ip("198.51.100.11"), "test"),
            Err(Refused::TooSoon(_))
        ));
        assert_eq!(
            gate.check(LAN, ip("198.51.100.11"), "test").map(|h| h.name),
            Ok("lan")
        );
    }
}
