//! tally's own HTML pages: the poll as a plain form that works without
//! JavaScript, its results with bars, error pages, and the counter badge.
//! Templates escape everything they are given; the pages carry no script
//! and no inline style, under the strict policy [`Origins::page_csp`].
//!
//! Every link is relative, so the pages work wherever the portal's proxy
//! mounts tally (`/`, or a path such as `/tally/`).

mod badge;
mod poll;
mod results;

pub use badge::badge;
pub use poll::{poll_page, post_form};
pub use results::results_page;

use http::{HeaderMap, HeaderValue, StatusCode, header};
use maud::{DOCTYPE, Markup, html};

use super::error::ApiError;
use super::i18n::Lang;
use super::origin::Origins;
use super::respond::{Response, bytes_response};

/// Whether the client would rather read HTML than JSON.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Where a page sits below tally's root, for relative links to the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `/polls/{id}`.
    Poll,
    /// `/polls/{id}/results`.
    Results,
}

impl Depth {
    /// The relative path from the page to tally's root.
    fn root(self) -> &'static str {
        match self {
            Depth::Poll => "../",
            Depth::Results => "../../",
        }
    }
}

/// A whole page around `body`.
fn layout(lang: Lang, depth: Depth, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href={ (depth.root()) "pages.css" };
            }
            body { main.tally-page { (body) } }
        }
    }
}

/// Answers with a page and the pages' security headers.
fn page(origins: &Origins, status: StatusCode, markup: Markup) -> Response {
    let mut response = bytes_response(
        status,
        "text/html; charset=utf-8",
        "no-store",
        markup.into_string(),
    );
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, origins.page_csp().clone());
    // Same-origin form posts must carry their Origin; `no-referrer` would
    // make browsers send `Origin: null`.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// An error as a page: what went wrong, in words, and its code.
pub fn error_page(origins: &Origins, lang: Lang, depth: Depth, error: ApiError) -> Response {
    let t = lang.text();
    let body = html! {
        h1 { (t.error_title) }
        p role="alert" { (error.message(lang)) }
        p.tally-code { (t.error_code) ": " code { (error.code()) } }
    };
    let mut response = page(
        origins,
        error.status(),
        layout(lang, depth, t.error_title, body),
    );
    for (name, value) in error.headers() {
        response.headers_mut().insert(name, value);
    }
    response
}
