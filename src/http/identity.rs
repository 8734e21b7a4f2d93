//! Which visitor a request comes from, and whether it is a bot.
//!
//! A visitor is their `tally_vid` cookie when they send one. Otherwise they
//! are a keyed hash of address and User-Agent, and get a new cookie; the
//! store copies the hash identity's state to the cookie identity in the
//! same step, so the next request (with the cookie) continues the visit.

use http::{HeaderMap, HeaderValue, header};

use super::client::Client;
use crate::ids::VisitorKey;
use crate::privacy::{Privacy, random};

/// The visitor cookie's name.
pub const COOKIE_NAME: &str = "tally_vid";
/// Two years, in seconds.
const COOKIE_MAX_AGE: u64 = 2 * 365 * 24 * 3600;

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Identity {
    pub visitor: VisitorKey,
    /// The identity of the cookie being issued now, if any.
    pub alias: Option<VisitorKey>,
    pub set_cookie: Option<HeaderValue>,
}

/// The request's `tally_vid` cookie, if it sends a well-formed one.
pub fn cookie_visitor(headers: &HeaderMap) -> Option<VisitorKey> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| VisitorKey::from_cookie(value.trim_matches('"')))
}

/// Identifies a request's visitor, issuing a cookie when it has none.
pub async fn identify(privacy: &Privacy, headers: &HeaderMap, client: &Client) -> Identity {
    if let Some(visitor) = cookie_visitor(headers) {
        return Identity {
            visitor,
            alias: None,
            set_cookie: None,
        };
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .map_or(&b""[..], HeaderValue::as_bytes);
    let visitor = privacy.visitor(client.ip, user_agent).await;
    let value = visitor.new_cookie_value(random());
    let alias = VisitorKey::from_cookie(&value);
    let secure = if client.https { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE_NAME}={value}; Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax{secure}"
    );
    Identity {
        visitor,
        alias,
        set_cookie: HeaderValue::from_str(&cookie).ok(),
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

/// Whether a User-Agent is a bot's (an empty or missing one is).
pub fn is_bot(headers: &HeaderMap) -> bool {
    let Some(ua) = headers.get(header::USER_AGENT) else {
        return true;
    };
    let ua = ua.as_bytes().to_ascii_lowercase();
    if ua.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    BOT_MARKERS
        .iter()
        .any(|marker| ua.windows(marker.len()).any(|w| w == marker.as_bytes()))
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
    fn only_a_well_formed_cookie_names_a_visitor() {
        let good = "0123456789abcdef0123456789abcdef0123";
        let h = with("cookie", &format!("other=1; tally_vid={good}; x=y"));
        assert_eq!(cookie_visitor(&h).unwrap().as_str(), format!("c.{good}"));
        assert!(cookie_visitor(&with("cookie", "tally_vid=forged")).is_none());
        assert!(cookie_visitor(&with("cookie", "tally_vidx=1")).is_none());
    }
}
