//! The assets' operations: the widget, the demonstration page, the
//! stylesheets, the icon, and this document.
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use crate::http::openapi::schemas as doc;

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
                ("ETag" = inline(doc::WidgetEtag), description = "The widget's version."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load the widget."),
            )),
        (status = 304, description = "The copy named by `If-None-Match` is current.",
            headers(
                ("Cache-Control" = String, description = "`public, max-age=300, must-revalidate`; under the versioned URL `public, max-age=31536000, immutable`."),
                ("ETag" = inline(doc::WidgetEtag), description = "The widget's version."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load the widget."),
            )),
    ),
)]
pub(super) fn get_widget() {}

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
pub(super) fn get_demo() {}

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
pub(super) fn get_demo_stylesheet() {}

/// No icon
///
/// Nothing, cacheable for a week, so that browsers stop asking.
#[utoipa::path(
    get, path = "/favicon.ico", tag = "assets", operation_id = "getFavicon",
    responses((status = 204, description = "No icon.", headers(
                ("Cache-Control" = String, description = "Cacheable: `public, max-age=…` (an hour for stylesheets, five minutes for this document, a week for the icon)."),
            ))),
)]
pub(super) fn get_favicon() {}

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
pub(super) fn get_pages_stylesheet() {}

/// This document
///
/// The OpenAPI document of the public API.
#[utoipa::path(
    get, path = "/openapi.json", tag = "meta", operation_id = "getOpenApi",
    responses(
        (status = 200, description = "This document.", body = doc::Document,
            headers(
                ("Cache-Control" = String, description = "Cacheable: `public, max-age=…` (an hour for stylesheets, five minutes for this document, a week for the icon)."),
            )),
    ),
)]
pub(super) fn get_openapi() {}
