//! Where a state-changing browser request comes from. Ballots are refused
//! when the browser says they come from a page that is neither an allowed
//! origin (`TALLY_ALLOWED_ORIGINS`) nor this service itself. A form post
//! must say where it comes from: every browser sends `Origin` (or at least
//! `Referer`) with one, so one without either is not a visitor's form.

use std::collections::HashSet;

use http::{HeaderMap, HeaderValue, header};

use super::client::Client;
use super::error::ApiError;

/// The request's origin: the `Origin` header, else the scheme and host of
/// `Referer`. `None` when the client sent neither (not a browser form or
/// script, which always send `Origin` on a cross-origin POST).
pub fn claimed_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return Some(origin.trim().trim_end_matches('/').to_ascii_lowercase());
    }
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (scheme, rest) = referer.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{host}").to_ascii_lowercase())
}

/// This service's own origin, as the client addressed it.
pub fn own_origin(headers: &HeaderMap, uri: &http::Uri, client: &Client) -> Option<String> {
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| headers.get(header::HOST)?.to_str().ok().map(str::to_owned))?;
    let scheme = if client.https { "https" } else { "http" };
    Some(format!("{scheme}://{host}").to_ascii_lowercase())
}

/// Whether a request must name its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// A form post: browsers always name it.
    Required,
    /// Script and API calls: a client that is not a browser names none.
    Optional,
}

/// The origins whose pages may use tally (`TALLY_ALLOWED_ORIGINS`), besides
/// tally's own.
#[derive(Debug, Clone)]
pub struct Origins {
    allowed: Vec<String>,
    /// The same, to look one up at once among a province's thousand.
    lookup: HashSet<String>,
    page_csp: HeaderValue,
    /// The served sites' origins, followed as sites are created and
    /// changed (then asked instead of `lookup`).
    more: Option<std::sync::Arc<CorsOrigins>>,
}

impl Origins {
    pub fn new(allowed: Vec<String>) -> Self {
        let ancestors: String = allowed.iter().map(|origin| format!(" {origin}")).collect();
        // The allowed origins were checked at start: scheme, host, port.
        let page_csp = HeaderValue::from_str(&format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'self'{ancestors}; base-uri 'none'"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
        let lookup = allowed.iter().cloned().collect();
        Self {
            allowed,
            lookup,
            page_csp,
            more: None,
        }
    }

    /// Allowing what `more` allows, as sites are created and changed.
    pub fn with_more(mut self, more: std::sync::Arc<CorsOrigins>) -> Self {
        self.more = Some(more);
        self
    }

    pub fn allowed(&self) -> &[String] {
        &self.allowed
    }

    /// Whether `origin` (lower case) is one of the allowed: of the
    /// served sites' when they are followed ([`Origins::with_more`]).
    pub fn allows(&self, origin: &str) -> bool {
        match &self.more {
            Some(served) => served.allows(origin),
            None => self.lookup.contains(origin),
        }
    }

    /// The Content-Security-Policy of tally's HTML pages: nothing but its
    /// own stylesheet and images; framed only by the portal's pages.
    pub fn page_csp(&self) -> &HeaderValue {
        &self.page_csp
    }

    /// Refuses a request whose browser-declared origin is not allowed.
    pub fn check(
        &self,
        headers: &HeaderMap,
        uri: &http::Uri,
        client: &Client,
        naming: Naming,
    ) -> Result<(), ApiError> {
        let Some(origin) = claimed_origin(headers) else {
            return match naming {
                Naming::Required => Err(ApiError::OriginRequired),
                Naming::Optional => Ok(()),
            };
        };
        let own = own_origin(headers, uri, client);
        if self.allows(&origin) || own.as_deref() == Some(origin.as_str()) {
            Ok(())
        } else {
            Err(ApiError::OriginNotAllowed)
        }
    }

    /// Whether the browser says the request comes from a page that is
    /// neither allowed nor tally's own (`Origin`, else `Referer`, as an
    /// image request carries). A request that names no origin is not.
    pub fn foreign(&self, headers: &HeaderMap, uri: &http::Uri, client: &Client) -> bool {
        self.check(headers, uri, client, Naming::Optional).is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn client() -> Client {
        Client {
            ip: IpAddr::from([127, 0, 0, 1]),
            https: false,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn origins() -> Origins {
        Origins::new(vec!["https://portal.gov.vn".to_string()])
    }

    fn check_with(pairs: &[(&'static str, &str)]) -> Result<(), ApiError> {
        let uri: http::Uri = "/polls/x".parse().unwrap();
        origins().check(&headers(pairs), &uri, &client(), Naming::Optional)
    }

    #[test]
    fn allowed_and_own_origins_pass() {
        assert!(check_with(&[("origin", "https://portal.gov.vn")]).is_ok());
        assert!(check_with(&[("host", "tally.gov.vn"), ("origin", "http://tally.gov.vn")]).is_ok());
        assert!(check_with(&[("referer", "https://portal.gov.vn/tin-tuc/1?x=y")]).is_ok());
        // Not a browser: nothing to check.
        assert!(check_with(&[]).is_ok());
    }

    #[test]
    fn other_origins_are_refused() {
        assert!(check_with(&[("origin", "https://evil.example")]).is_err());
        assert!(check_with(&[("origin", "null")]).is_err());
        assert!(
            check_with(&[
                ("host", "tally.gov.vn"),
                ("origin", "https://tally.gov.vn.evil.example")
            ])
            .is_err()
        );
        assert!(check_with(&[("referer", "https://portal.gov.vn.evil.example/")]).is_err());
    }

    #[test]
    fn a_form_must_name_its_origin() {
        let uri: http::Uri = "/polls/x".parse().unwrap();
        let form = |pairs: &[(&'static str, &str)]| {
            origins().check(&headers(pairs), &uri, &client(), Naming::Required)
        };
        assert!(matches!(form(&[]), Err(ApiError::OriginRequired)));
        assert!(form(&[("origin", "https://portal.gov.vn")]).is_ok());
        assert!(form(&[("referer", "https://portal.gov.vn/tin-tuc/1")]).is_ok());
    }
}

/// The origins CORS allows (`TALLY_ALLOWED_ORIGINS` and the served
/// sites'), which may also vote: a set looked up at once among a
/// province's thousand, replaced whole when the served sites change, so
/// an origin a site no longer has is refused at once.
#[derive(Debug, Default)]
pub struct CorsOrigins {
    /// `TALLY_ALLOWED_ORIGINS`, allowed whatever the sites.
    always: Vec<String>,
    served: arc_swap::ArcSwap<(HashSet<HeaderValue>, HashSet<String>)>,
}

impl CorsOrigins {
    /// Allowing `always`, and the sites' origins once served.
    pub fn new(always: Vec<String>) -> Self {
        let cors = Self {
            always,
            served: Default::default(),
        };
        cors.serve(&[]);
        cors
    }

    /// Allows `TALLY_ALLOWED_ORIGINS` and `sites` (the served sites'
    /// origins), and no other.
    pub fn serve(&self, sites: &[String]) {
        let mut headers = HashSet::new();
        let mut names = HashSet::new();
        for origin in self.always.iter().chain(sites) {
            if let Ok(header) = HeaderValue::from_str(origin) {
                headers.insert(header);
                names.insert(origin.clone());
            }
        }
        self.served.store(std::sync::Arc::new((headers, names)));
    }

    pub fn contains(&self, origin: &HeaderValue) -> bool {
        self.served.load().0.contains(origin)
    }

    /// Whether `origin` (lower case) is one of them.
    pub fn allows(&self, origin: &str) -> bool {
        self.served.load().1.contains(origin)
    }
}
