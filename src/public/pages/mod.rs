//! tally's own HTML pages: the poll as a plain form that works without
//! JavaScript, its results with bars, the archive of polls, the home page,
//! and error pages. They wear the portal's name, link
//! and (optionally) stylesheet and logo, speak the site's language, and
//! link back to the article the visitor came from. Templates escape
//! everything they are given; the pages carry no script and no inline
//! style, under the strict policy built once in [`Look`].
//!
//! Every link is relative, so the pages work wherever the portal's proxy
//! mounts tally (`/`, or a path such as `/tally/`).

pub mod archive;
mod dates;
pub mod home;
pub mod poll;
pub mod results;

use http::{HeaderMap, HeaderValue, StatusCode, header};
use jiff::tz::TimeZone;
use maud::{DOCTYPE, Markup, html};

use crate::config::Portal;
use crate::edge::error::ApiError;
use crate::edge::origin::Origins;
use crate::edge::respond::{Response, bytes_response, query_param};
use crate::edge::text::{Lang, text};
use crate::ids::SiteId;

/// The site a page's request named, which the links it renders keep
/// (checked already: the page was found for it).
fn named_site(query: Option<&str>) -> Option<SiteId> {
    query_param(query, "site").and_then(|s| SiteId::parse(&s).ok())
}

/// Where a page sits below tally's root, for relative links to the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `/` and `/polls`.
    Top,
    /// `/polls/{id}`.
    Poll,
    /// `/polls/{id}/results`.
    Results,
}

impl Depth {
    /// Where the page at `template` sits.
    pub fn of(template: &str) -> Self {
        match template.matches('/').count() {
            0 | 1 => Depth::Top,
            2 => Depth::Poll,
            _ => Depth::Results,
        }
    }

    /// The relative path from the page to tally's root.
    fn root(self) -> &'static str {
        match self {
            Depth::Top => "./",
            Depth::Poll => "../",
            Depth::Results => "../../",
        }
    }
}

/// How the pages look and speak: the portal, the site's language and time
/// zone, and the Content-Security-Policy that lets in only tally's own
/// stylesheet and images (and the portal's, when set).
pub struct Look {
    pub portal: Portal,
    pub tz: TimeZone,
    pub origins: std::sync::Arc<Origins>,
    csp: HeaderValue,
}

/// The scheme and host of a URL, for the policy.
fn origin_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
}

/// Whether a URL names more than its origin's root.
fn names_a_page(url: &str) -> bool {
    url.parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.path_and_query().map(|pq| pq.as_str() != "/"))
        .unwrap_or(false)
}

impl Look {
    pub fn new(portal: Portal, tz: TimeZone, origins: std::sync::Arc<Origins>) -> Self {
        let extra = |url: &Option<String>| {
            url.as_deref()
                .and_then(origin_of)
                .map_or(String::new(), |o| format!(" {o}"))
        };
        let ancestors: String = origins.allowed().iter().map(|o| format!(" {o}")).collect();
        let csp = format!(
            "default-src 'none'; style-src 'self'{}; img-src 'self'{}; form-action 'self'; \
             frame-ancestors 'self'{ancestors}; base-uri 'none'",
            extra(&portal.stylesheet),
            extra(&portal.logo),
        );
        Self {
            csp: HeaderValue::from_str(&csp)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
            portal,
            tz,
            origins,
        }
    }

    /// The page's language: `?lang=` if asked, else the site's.
    pub fn lang(&self, query: Option<&str>) -> Lang {
        Lang::choose(query, self.portal.lang)
    }

    /// Where "back to the article" goes: `?back=` or the `Referer`, when it
    /// is a page of an allowed origin (never anywhere else: no open
    /// redirect, and not even a link).
    pub fn back_link(&self, query: Option<&str>, headers: &HeaderMap) -> Option<String> {
        let asked = query_param(query, "back");
        // Browsers trim a cross-origin Referer to the origin by default:
        // that names the portal, not the article the visitor was reading.
        let referer = headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .filter(|url| names_a_page(url))
            .map(str::to_owned);
        asked.into_iter().chain(referer).find(|url| {
            url.len() <= 2048
                && origin_of(url).is_some_and(|o| self.origins.allows(&o.to_ascii_lowercase()))
        })
    }

    /// A whole page around `body`; its links keep the `site` the request
    /// named.
    fn layout(
        &self,
        lang: Lang,
        site: Option<&SiteId>,
        depth: Depth,
        title: &str,
        back: Option<&str>,
        body: Markup,
    ) -> Markup {
        let t = text(lang);
        let portal = &self.portal;
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) @if let Some(name) = &portal.name { " — " (name) } }
                    link rel="stylesheet" href={ (depth.root()) "pages.css" };
                    @if let Some(sheet) = &portal.stylesheet {
                        link rel="stylesheet" href=(sheet);
                    }
                }
                body {
                    @if portal.name.is_some() || portal.logo.is_some() {
                        header.tally-portal {
                            a href=(portal.home.as_deref().unwrap_or(depth.root())) {
                                @if let Some(logo) = &portal.logo {
                                    img src=(logo) alt="" height="40";
                                }
                                @if let Some(name) = &portal.name { span { (name) } }
                            }
                        }
                    }
                    main.tally-page { (body) }
                    footer.tally-footer {
                        @if let Some(back) = back {
                            a href=(back) rel="noopener" { "← " (t.back_to_article) }
                        }
                        @if let Some(home) = &portal.home {
                            a href=(home) { (t.portal_home) }
                        }
                        a href={ (depth.root()) "polls?" (poll::carry(lang, site, None)) } { (t.archive_title) }
                    }
                }
            }
        }
    }

    /// Answers with a page and the pages' security headers.
    fn page(&self, status: StatusCode, markup: Markup) -> Response {
        let mut response = bytes_response(
            status,
            "text/html; charset=utf-8",
            "no-store",
            markup.into_string(),
        );
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        // Same-origin form posts must carry their Origin; `no-referrer`
        // would make browsers send `Origin: null`.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        response
    }
}

/// An error as a page: what went wrong, in words, and its code; its links
/// keep the site the request (its `query`) named.
pub fn error_page(
    look: &Look,
    (lang, query): (Lang, Option<&str>),
    depth: Depth,
    error: &ApiError,
) -> Response {
    let t = text(lang);
    let body = html! {
        h1 { (t.error_title) }
        p role="alert" { (error.message(lang)) }
        p.tally-code { (t.error_code) ": " code { (error.code()) } }
    };
    let site = named_site(query);
    let page = look.layout(lang, site.as_ref(), depth, t.error_title, None, body);
    let mut response = look.page(error.status(), page);
    for (name, value) in error.headers() {
        response.headers_mut().insert(name, value);
    }
    response
}
