//! Who a request comes from, as counting and voting see it. Believed in
//! this order:
//!
//! 1. the `tally_vid` cookie: it reaches tally when tally is same-site with
//!    the portal, and on tally's own pages;
//! 2. the first-party id the widget keeps in the portal's own storage and
//!    sends with each request: it holds when tally is on another site and
//!    when the browser blocks third-party cookies;
//! 3. otherwise a keyed hash of address and User-Agent. Several people
//!    behind one address with the same browser share it, so it may be
//!    counted but never speaks for a person: it is never shown a choice
//!    and never refused a ballot.
//!
//! A request without a cookie is given one: the first-party id when it
//! sent one (so a same-site deployment converges on one id), else a fresh
//! id sharing the address hash's slot, whose first hit then continues that
//! hash's live visit. A ballot is cast by a person, or under the fresh id
//! issued with its answer — never under an address hash.

use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

use aho_corasick::AhoCorasick;

use crate::ids::{AddressKey, SiteId, VisitorKey, random};
use crate::privacy::Privacy;
use crate::store::StoreError;

/// Where an identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cookie,
    FirstParty,
    Address,
}

/// What a request says about who it is, as read from it (well-formed ids
/// only; the edge refuses a malformed first-party id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub cookie: Option<VisitorKey>,
    pub first_party: Option<VisitorKey>,
}

impl Claims {
    /// The person a read is about, without issuing anything: the cookie,
    /// else the first-party id; `None` for a visitor known only by address.
    pub fn person(&self) -> Option<&VisitorKey> {
        self.cookie.as_ref().or(self.first_party.as_ref())
    }
}

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Identity {
    pub visitor: VisitorKey,
    pub source: Source,
    /// The id issued with this answer when the request had none of its
    /// own (a person from now on, once the browser keeps it).
    pub issued: Option<VisitorKey>,
    /// The cookie value to set with the answer, if any.
    pub cookie: Option<String>,
}

impl Identity {
    /// The person this identity names: the cookie or first-party id, never
    /// an address hash.
    pub fn person(&self) -> Option<&VisitorKey> {
        (self.source != Source::Address).then_some(&self.visitor)
    }

    /// Whom a ballot is cast under: the person, or the id issued with this
    /// answer, so that someone else behind the same address never stands
    /// in the way (the per-address cap bounds how often that works).
    pub fn voter(&self) -> Option<&VisitorKey> {
        self.person().or(self.issued.as_ref())
    }

    /// Whether the request came without an identity of its own: such
    /// ballots are watched by the challenge levels of `auto` polls.
    pub fn is_fresh(&self) -> bool {
        self.person().is_none()
    }
}

/// Telling visitors apart: by their ids, or by a keyed hash of address and
/// User-Agent.
pub struct Visitors {
    privacy: Arc<Privacy>,
}

impl Visitors {
    pub fn new(privacy: Arc<Privacy>) -> Self {
        Self { privacy }
    }

    /// The site whose polls' ballots are identified (the primary one).
    pub fn primary(&self) -> &SiteId {
        self.privacy.site()
    }

    /// The client's address as the per-address ballot cap counts it.
    pub async fn address(&self, ip: IpAddr) -> Result<AddressKey, StoreError> {
        self.privacy.address(ip).await
    }

    /// The client's networks as the network ballot caps count them.
    pub async fn networks(
        &self,
        ip: IpAddr,
    ) -> Result<Vec<(crate::privacy::NetworkKind, AddressKey)>, StoreError> {
        self.privacy.networks(ip).await
    }

    /// Identifies a request's visitor, issuing an id when it has none.
    pub async fn identify(
        &self,
        site: &SiteId,
        claims: Claims,
        ip: IpAddr,
        user_agent: &[u8],
    ) -> Identity {
        if let Some(visitor) = claims.cookie {
            return Identity {
                visitor,
                source: Source::Cookie,
                issued: None,
                cookie: None,
            };
        }
        if let Some(visitor) = claims.first_party {
            return Identity {
                cookie: visitor.cookie_value().map(str::to_owned),
                visitor,
                source: Source::FirstParty,
                issued: None,
            };
        }
        let visitor = self.privacy.visitor(site, ip, user_agent).await;
        let value = visitor.new_cookie_value(random());
        Identity {
            issued: VisitorKey::from_cookie(&value),
            cookie: Some(value),
            visitor,
            source: Source::Address,
        }
    }

    /// For a hit by cookie: the address-hash identity the cookie may
    /// continue, when the cookie was issued to it (they share a slot tag).
    /// Its first hit then carries on that identity's live visit instead of
    /// starting another.
    pub async fn inherited(
        &self,
        site: &SiteId,
        identity: &Identity,
        ip: IpAddr,
        user_agent: &[u8],
    ) -> Option<VisitorKey> {
        if identity.source != Source::Cookie {
            return None;
        }
        let by_address = self.privacy.visitor(site, ip, user_agent).await;
        (by_address.slot_tag() == identity.visitor.slot_tag()).then_some(by_address)
    }
}

/// Substrings (lower case) of the User-Agents of crawlers, link previewers,
/// monitors and HTTP libraries: answered, never counted.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "archiver",
    "facebookexternalhit",
    "embedly",
    "preview",
    "monitor",
    "pingdom",
    "lighthouse",
    "pagespeed",
    "curl/",
    "wget/",
    "python-",
    "python/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "scrapy",
    "axios/",
    "node-fetch",
    "headlesschrome/bot",
    "phantomjs",
    "feedfetcher",
    "coccoc",
    "yandex",
    "baidu",
    "bingpreview",
];

/// One pass over a User-Agent for every marker, case-insensitively.
static BOTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(BOT_MARKERS)
        .expect("the bot markers build an automaton")
});

/// Whether a User-Agent is a bot's (an empty or missing one is): its hits
/// are answered and not counted.
pub fn is_bot(user_agent: Option<&[u8]>) -> bool {
    let Some(ua) = user_agent else {
        return true;
    };
    ua.iter().all(u8::is_ascii_whitespace) || BOTS.is_match(ua)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crawlers_and_empty_agents_are_bots() {
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0)",
            "Mozilla/5.0 (compatible; coccocbot-web/1.0)",
            "facebookexternalhit/1.1",
            "curl/8.5.0",
            "python-requests/2.31",
            " ",
        ] {
            assert!(is_bot(Some(ua.as_bytes())), "{ua}");
        }
        assert!(is_bot(None));
    }

    #[test]
    fn browsers_are_not_bots() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36",
        ] {
            assert!(!is_bot(Some(ua.as_bytes())), "{ua}");
        }
    }

    #[test]
    fn a_ballot_is_cast_by_a_person_or_under_the_id_issued_with_it() {
        let person = VisitorKey::from_cookie("0123456789abcdef0123456789abcdef0123").unwrap();
        let hash = VisitorKey::from_address_hash([7; 16]);
        let issued = VisitorKey::from_cookie("ffff456789abcdef0123456789abcdef0123").unwrap();
        let by = |source, visitor: &VisitorKey, issued: Option<&VisitorKey>| Identity {
            visitor: visitor.clone(),
            source,
            issued: issued.cloned(),
            cookie: None,
        };
        let cookie = by(Source::Cookie, &person, None);
        assert_eq!((cookie.voter(), cookie.is_fresh()), (Some(&person), false));
        let first_party = by(Source::FirstParty, &person, None);
        assert_eq!(first_party.voter(), Some(&person));
        let address = by(Source::Address, &hash, Some(&issued));
        assert_eq!(address.person(), None, "a hash never speaks for a person");
        assert_eq!((address.voter(), address.is_fresh()), (Some(&issued), true));
        let claims = Claims {
            cookie: Some(issued.clone()),
            first_party: Some(person.clone()),
        };
        assert_eq!(
            claims.person(),
            Some(&issued),
            "the cookie is believed first"
        );
    }
}
