//! Static assets: the widget (cached and revalidated by ETag, or cached for
//! good under its versioned URL), the demo page and its stylesheet, the
//! pages' stylesheet, the icon.

use std::sync::LazyLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::api::query_param;
use super::respond::{Response, bytes_response};

/// The embeddable widget.
pub const WIDGET: &str = include_str!("../../assets/widget.js");
/// The pages' stylesheet.
const PAGES_CSS: &str = include_str!("../../assets/pages.css");
/// A page that imitates a portal sidebar with the three widgets.
const DEMO: &str = include_str!("../../assets/demo.html");
/// The demo page's portal look.
pub const DEMO_CSS: &str = include_str!("../../assets/demo.css");

/// The widget's version: the first 12 hex digits of its content hash.
pub static WIDGET_VERSION: LazyLock<String> =
    LazyLock::new(|| blake3::hash(WIDGET.as_bytes()).to_hex()[..12].to_owned());

/// `GET /widget.js[?v=…]`.
pub fn widget(headers: &HeaderMap, query: Option<&str>) -> Response {
    let etag = format!("\"{}\"", *WIDGET_VERSION);
    let versioned = query_param(query, "v").is_some_and(|v| v == *WIDGET_VERSION);
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300, must-revalidate"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if fresh {
        bytes_response(
            StatusCode::NOT_MODIFIED,
            "text/javascript; charset=utf-8",
            cache,
            "",
        )
    } else {
        bytes_response(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            cache,
            WIDGET,
        )
    };
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    // The widget is loaded cross-origin by the portal's pages.
    response.headers_mut().insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    response
}

/// `GET /demo`: the widgets in a page that looks like a portal's sidebar.
pub fn demo() -> Response {
    let html = DEMO.replace("{{WIDGET_VERSION}}", &WIDGET_VERSION);
    let mut response = bytes_response(
        StatusCode::OK,
        "text/html; charset=utf-8",
        "no-store",
        Bytes::from(html),
    );
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
        ),
    );
    response
}

/// `GET /favicon.ico`: nothing, for long, so browsers stop asking.
pub fn favicon() -> Response {
    bytes_response(
        StatusCode::NO_CONTENT,
        "image/x-icon",
        "public, max-age=604800",
        "",
    )
}

/// A stylesheet, cached for an hour.
pub fn stylesheet(css: &'static str) -> Response {
    bytes_response(
        StatusCode::OK,
        "text/css; charset=utf-8",
        "public, max-age=3600",
        css,
    )
}

/// `GET /demo.css`.
pub fn demo_css() -> Response {
    stylesheet(DEMO_CSS)
}

/// `GET /pages.css`.
pub fn pages_css() -> Response {
    stylesheet(PAGES_CSS)
}
