//! Which visitor a request comes from, and whether it is a bot.
//!
//! Believed in this order:
//!
//! 1. the `tally_vid` cookie: it reaches tally when tally is same-site with
//!    the portal, and on tally's own pages;
//! 2. the first-party id the widget keeps in the portal's own storage and
//!    sends as `Tally-Visitor`: it holds when tally is on another site and
//!    when the browser blocks third-party cookies;
//! 3. otherwise a keyed hash of address and User-Agent. Several people
//!    behind one address with the same browser share it, so it may be
//!    counted but never speaks for a person: it is never shown a choice
//!    and never refused a ballot.
//!
//! A request without a cookie is answered with one: the first-party id's
//! value when it sent one (so a same-site deployment converges on one id),
//! else a fresh id sharing the address hash's slot, whose first hit then
//! continues that hash's live visit.

use std::sync::{Arc, LazyLock};

use aho_corasick::AhoCorasick;
use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header};

use super::client::Client;
use super::error::ApiError;
use crate::ids::random;
use crate::ids::{AddressKey, VisitorKey};
use crate::privacy::Privacy;
use crate::store::StoreError;

/// The visitor cookie's name.
pub const COOKIE_NAME: &str = "tally_vid";
/// The header that carries the widget's first-party id.
pub const VISITOR_HEADER: &str = "tally-visitor";
/// Two years.
const COOKIE_MAX_AGE: cookie::time::Duration = cookie::time::Duration::days(2 * 365);

/// Where a request's identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cookie,
    FirstParty,
    Address,
}

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Identity {
    pub visitor: VisitorKey,
    pub source: Source,
    /// The id of the cookie issued with this answer, if any.
    pub issued: Option<VisitorKey>,
    pub set_cookie: Option<HeaderValue>,
}

impl Identity {
    /// The person this identity names: the cookie or first-party id, never
    /// an address hash.
    pub fn person(&self) -> Option<&VisitorKey> {
        (self.source != Source::Address).then_some(&self.visitor)
    }
}

/// The request's `tally_vid` cookie, if it sends a well-formed one.
pub fn cookie_visitor(headers: &HeaderMap) -> Option<VisitorKey> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE_NAME)
        .and_then(|c| VisitorKey::from_cookie(c.value_trimmed()))
}

/// The request's first-party id (`Tally-Visitor`). A value that is not 36
/// lowercase hex digits is refused: only the widget sends it.
pub fn first_party_visitor(headers: &HeaderMap) -> Result<Option<VisitorKey>, ApiError> {
    let Some(value) = headers.get(VISITOR_HEADER) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| VisitorKey::from_cookie(v.trim()))
        .map(Some)
        .ok_or(ApiError::InvalidVisitor)
}

/// The person a read is about, without issuing anything: the cookie or the
/// first-party id. `None` for a visitor known only by address. A malformed
/// first-party id is refused, as [`Visitors::identify`] refuses it, even
/// beside a cookie.
pub fn reader(headers: &HeaderMap) -> Result<Option<VisitorKey>, ApiError> {
    let first_party = first_party_visitor(headers)?;
    Ok(cookie_visitor(headers).or(first_party))
}

/// The `Set-Cookie` value that gives a visitor the id `value`.
fn cookie_header(value: &str, client: &Client) -> Option<HeaderValue> {
    let cookie = Cookie::build((COOKIE_NAME, value))
        .max_age(COOKIE_MAX_AGE)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(client.https)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
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

    /// The address-hash identity of a request.
    async fn by_address(&self, headers: &HeaderMap, client: &Client) -> VisitorKey {
        let user_agent = headers
            .get(header::USER_AGENT)
            .map_or(&b""[..], HeaderValue::as_bytes);
        self.privacy.visitor(client.ip, user_agent).await
    }

    /// The client's address as the per-address ballot cap counts it.
    pub async fn address(&self, client: &Client) -> Result<AddressKey, StoreError> {
        self.privacy.address(client.ip).await
    }

    /// Identifies a request's visitor, issuing a cookie when it has none.
    pub async fn identify(
        &self,
        headers: &HeaderMap,
        client: &Client,
    ) -> Result<Identity, ApiError> {
        let first_party = first_party_visitor(headers)?;
        if let Some(visitor) = cookie_visitor(headers) {
            return Ok(Identity {
                visitor,
                source: Source::Cookie,
                issued: None,
                set_cookie: None,
            });
        }
        if let Some(visitor) = first_party {
            let set_cookie = visitor
                .cookie_value()
                .and_then(|v| cookie_header(v, client));
            return Ok(Identity {
                visitor,
                source: Source::FirstParty,
                issued: None,
                set_cookie,
            });
        }
        let visitor = self.by_address(headers, client).await;
        let value = visitor.new_cookie_value(random());
        Ok(Identity {
            issued: VisitorKey::from_cookie(&value),
            set_cookie: cookie_header(&value, client),
            visitor,
            source: Source::Address,
        })
    }

    /// For a hit by cookie: the address-hash identity the cookie may
    /// continue, when the cookie was issued to it (they share a slot tag).
    /// Its first hit then carries on that identity's live visit instead of
    /// starting another.
    pub async fn inherited(
        &self,
        identity: &Identity,
        headers: &HeaderMap,
        client: &Client,
    ) -> Option<VisitorKey> {
        if identity.source != Source::Cookie {
            return None;
        }
        let by_address = self.by_address(headers, client).await;
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

/// Whether a User-Agent is a bot's (an empty or missing one is).
pub fn is_bot(headers: &HeaderMap) -> bool {
    let Some(ua) = headers.get(header::USER_AGENT) else {
        return true;
    };
    let ua = ua.as_bytes();
    ua.iter().all(u8::is_ascii_whitespace) || BOTS.is_match(ua)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

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
            assert!(is_bot(&with("user-agent", ua)), "{ua}");
        }
        assert!(is_bot(&HeaderMap::new()));
    }

    #[test]
    fn browsers_are_not_bots() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36",
        ] {
            assert!(!is_bot(&with("user-agent", ua)), "{ua}");
        }
    }

    #[test]
    fn a_first_party_id_must_be_well_formed() {
        let good = "0123456789abcdef0123456789abcdef0123";
        let h = with("tally-visitor", good);
        assert_eq!(
            first_party_visitor(&h).unwrap().unwrap().as_str(),
            format!("c.{good}")
        );
        assert!(first_party_visitor(&HeaderMap::new()).unwrap().is_none());
        assert!(first_party_visitor(&with("tally-visitor", "forged")).is_err());
        // The cookie is believed first.
        let mut both = with("tally-visitor", good);
        let other = "ffff456789abcdef0123456789abcdef0123";
        both.insert("cookie", format!("tally_vid={other}").parse().unwrap());
        assert_eq!(
            reader(&both).unwrap().unwrap().as_str(),
            format!("c.{other}")
        );
        // A forged id is refused beside a cookie too.
        let mut forged = with("tally-visitor", "");
        forged.insert("cookie", format!("tally_vid={other}").parse().unwrap());
        assert!(matches!(reader(&forged), Err(ApiError::InvalidVisitor)));
    }

    #[test]
    fn only_a_well_formed_cookie_names_a_visitor() {
        let good = "0123456789abcdef0123456789abcdef0123";
        let h = with("cookie", &format!("other=1; tally_vid={good}; x=y"));
        assert_eq!(cookie_visitor(&h).unwrap().as_str(), format!("c.{good}"));
        assert!(cookie_visitor(&with("cookie", "tally_vid=forged")).is_none());
        assert!(cookie_visitor(&with("cookie", "tally_vidx=1")).is_none());
    }
}
