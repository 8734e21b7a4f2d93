//! Static assets: the widget (cached and revalidated by ETag, or cached for
//! good under its versioned URL), the demo page and its stylesheet, the
//! pages' stylesheet, the icon, and this listener's API document.

use std::sync::{Arc, LazyLock};

use axum::extract::State;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};

use crate::edge::doc::Document;
use crate::edge::respond::{Response, bytes_response, query_param};
use crate::edge::schema;

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

/// The embeddable widget
///
/// The widget script: `<script src="…/widget.js" async></script>` plus
/// placeholders `data-tally="counter"`, `data-tally="views"` and
/// `data-tally-poll="danh-gia-cong"`. Revalidated by `ETag`
/// (`If-None-Match` answers `304`); under its versioned URL (`?v=` the
/// current `ETag` value without quotes) it is cached for good.
#[utoipa::path(
    get, path = "/widget.js", tag = "assets", operation_id = "getWidget",
    params(
        ("v" = Option<String>, Query, description = "The widget's version (its `ETag` without quotes): when it is the current one the answer is cached for good. Any other value is served like no value."),
        ("If-None-Match" = Option<String>, Header, description = "Entity tags the client holds; the current one (or `*`) answers `304`."),
    ),
    responses(
        (status = 200, description = "The embeddable widget.", body = String,
            content_type = "text/javascript; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`public, max-age=300, must-revalidate`; under the versioned URL `public, max-age=31536000, immutable`."),
                ("ETag" = inline(schema::WidgetEtag), description = "The widget's version."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load the widget."),
            )),
        (status = 304, description = "The copy named by `If-None-Match` is current.",
            headers(
                ("Cache-Control" = String, description = "`public, max-age=300, must-revalidate`; under the versioned URL `public, max-age=31536000, immutable`."),
                ("ETag" = inline(schema::WidgetEtag), description = "The widget's version."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load the widget."),
            )),
    ),
)]
pub async fn get_widget(headers: HeaderMap, uri: Uri) -> Response {
    let query = uri.query();
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

/// A demonstration page
///
/// A page that imitates a portal's sidebar with the three widgets
/// (counter, views, poll).
#[utoipa::path(
    get, path = "/demo", tag = "assets", operation_id = "getDemo",
    responses(
        (status = 200, description = "A demonstration page.", body = String,
            content_type = "text/html; charset=utf-8", headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = String, description = "Scripts, styles and requests from this service only."),
            )),
    ),
)]
pub async fn get_demo() -> Response {
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

/// No icon
///
/// Nothing, cacheable for a week, so that browsers stop asking.
#[utoipa::path(
    get, path = "/favicon.ico", tag = "assets", operation_id = "getFavicon",
    responses((status = 204, description = "No icon.", headers(
                ("Cache-Control" = String, description = "Cacheable: `public, max-age=…` (an hour for stylesheets, five minutes for this document, a week for the icon)."),
            ))),
)]
pub async fn get_favicon() -> Response {
    bytes_response(
        StatusCode::NO_CONTENT,
        "image/x-icon",
        "public, max-age=604800",
        "",
    )
}

/// A stylesheet, cached for an hour.
fn stylesheet(css: &'static str) -> Response {
    bytes_response(
        StatusCode::OK,
        "text/css; charset=utf-8",
        "public, max-age=3600",
        css,
    )
}

/// The demonstration page's stylesheet
///
/// The look of the imitated portal on `/demo`.
#[utoipa::path(
    get, path = "/demo.css", tag = "assets", operation_id = "getDemoStylesheet",
    responses(
        (status = 200, description = "The demonstration page's stylesheet.", body = String,
            content_type = "text/css; charset=utf-8", headers(
                ("Cache-Control" = String, description = "Cacheable: `public, max-age=…` (an hour for stylesheets, five minutes for this document, a week for the icon)."),
            )),
    ),
)]
pub async fn get_demo_stylesheet() -> Response {
    stylesheet(DEMO_CSS)
}

/// The HTML pages' stylesheet
///
/// The stylesheet of the poll and results pages (they carry no inline
/// style).
#[utoipa::path(
    get, path = "/pages.css", tag = "assets", operation_id = "getPagesStylesheet",
    responses(
        (status = 200, description = "The HTML pages' stylesheet.", body = String,
            content_type = "text/css; charset=utf-8", headers(
                ("Cache-Control" = String, description = "Cacheable: `public, max-age=…` (an hour for stylesheets, five minutes for this document, a week for the icon)."),
            )),
    ),
)]
pub async fn get_pages_stylesheet() -> Response {
    stylesheet(PAGES_CSS)
}

/// This document
///
/// The OpenAPI document of the public API.
#[utoipa::path(
    get, path = "/openapi.json", tag = "meta", operation_id = "getOpenApi",
    responses(
        (status = 200, description = "This document.", body = schema::Document,
            headers(
                ("Cache-Control" = String, description = "Cacheable: `public, max-age=…` (an hour for stylesheets, five minutes for this document, a week for the icon)."),
            )),
    ),
)]
pub async fn get_openapi(State(document): State<Arc<Document>>) -> Response {
    document.answer()
}
