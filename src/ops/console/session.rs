//! Signing in and out of the console, and what every signed-in form
//! proves. The admin token is exchanged for a session cookie (`HttpOnly`,
//! `SameSite=Strict`, `Path=/admin`, `Secure` behind TLS); a wrong token
//! counts against its address with the bearer API's. Each form carries
//! a CSRF token derived from the session id (unknowable without the
//! cookie), compared in constant time; a present `Origin` must be the
//! console's own.

use http::{HeaderMap, HeaderValue, header};
use subtle::ConstantTimeEq;

use crate::sessions::{LONGEST, SessionId};

/// The session cookie's name.
pub const COOKIE: &str = "tally_console";

/// The session id a request's cookies name, if any well-formed one.
pub fn session_cookie(headers: &HeaderMap) -> Option<SessionId> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| SessionId::parse(value.trim()))
}

/// The `Set-Cookie` that hands out `id`; `secure` when the browser reached
/// tally over HTTPS.
pub fn set_cookie(id: &SessionId, secure: bool) -> HeaderValue {
    cookie_value(id.as_str(), LONGEST.as_secs(), secure)
}

/// The `Set-Cookie` that makes the browser forget its session.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    cookie_value("", 0, secure)
}

fn cookie_value(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{COOKIE}={value}; Max-Age={max_age}; Path=/admin; HttpOnly; SameSite=Strict{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("tally_console="))
}

/// The CSRF token of the session `id`.
pub fn csrf_token(id: &SessionId) -> String {
    let key = blake3::derive_key("tally console csrf token 2026", id.as_str().as_bytes());
    crate::ids::hex(&key)
}

/// Whether `given` is the CSRF token of `id` (constant time).
pub fn csrf_matches(id: &SessionId, given: Option<&str>) -> bool {
    let Some(given) = given else {
        return false;
    };
    let expected = csrf_token(id);
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Whether a form post came from the console's own pages: no `Origin`
/// (older browsers, and tools), or one whose host is the request's `Host`
/// or, when a trusted proxy forwarded it (`behind_proxy`), the
/// `X-Forwarded-Host` it names (a proxy may rewrite `Host`).
pub fn origin_is_own(headers: &HeaderMap, behind_proxy: bool) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest)
    else {
        return false;
    };
    let host = headers.get(header::HOST).into_iter();
    let forwarded = headers
        .get("x-forwarded-host")
        .filter(|_| behind_proxy)
        .into_iter();
    host.chain(forwarded)
        .filter_map(|v| v.to_str().ok())
        .any(|h| h.trim().eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> SessionId {
        SessionId::parse(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn the_cookie_is_strict_http_only_and_scoped() {
        let v = set_cookie(&id(), false);
        let v = v.to_str().unwrap();
        assert!(v.starts_with(&format!("tally_console={}", "ab".repeat(32))));
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/admin",
            "Max-Age=43200",
        ] {
            assert!(v.contains(part), "{v}");
        }
        assert!(!v.contains("Secure"));
        assert!(
            set_cookie(&id(), true)
                .to_str()
                .unwrap()
                .ends_with("; Secure")
        );
        assert!(clear_cookie(false).to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("a=1; tally_console={}; b=2", "ab".repeat(32))
                .parse()
                .unwrap(),
        );
        assert_eq!(session_cookie(&h), Some(id()));
        h.insert(header::COOKIE, "tally_console=nope".parse().unwrap());
        assert_eq!(session_cookie(&h), None);
    }

    #[test]
    fn only_the_sessions_own_csrf_token_passes() {
        let token = csrf_token(&id());
        assert!(csrf_matches(&id(), Some(&token)));
        assert!(!csrf_matches(&id(), Some(&token[1..])));
        assert!(!csrf_matches(&id(), None));
        let other = SessionId::parse(&"cd".repeat(32)).unwrap();
        assert!(!csrf_matches(&other, Some(&token)));
    }

    #[test]
    fn a_foreign_origin_is_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "localhost:9090".parse().unwrap());
        assert!(origin_is_own(&h, false));
        h.insert(header::ORIGIN, "http://localhost:9090".parse().unwrap());
        assert!(origin_is_own(&h, false));
        h.insert(header::ORIGIN, "http://evil.test".parse().unwrap());
        assert!(!origin_is_own(&h, false));
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(!origin_is_own(&h, false));
        // Behind a trusted proxy that rewrote Host, its X-Forwarded-Host.
        h.insert(header::ORIGIN, "https://admin.portal.test".parse().unwrap());
        h.insert("x-forwarded-host", "admin.portal.test".parse().unwrap());
        assert!(origin_is_own(&h, true));
        assert!(!origin_is_own(&h, false), "not from an untrusted client");
    }
}
