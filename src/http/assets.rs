//! Static assets and the script-free counter: the widget (cached and
//! revalidated by ETag, or cached for good under its versioned URL), the
//! demo page, the SVG badge and the `<noscript>` pixel.

use std::sync::LazyLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::client::Client;
use super::error::ApiError;
use super::i18n::{Lang, escape};
use super::identity::{identify, inherited, is_bot};
use super::origin;
use super::respond::{Req, Response, bytes_response};
use crate::app::App;
use crate::counter::Hit;
use crate::ids::PageId;
use crate::telemetry::Refusal;

/// The embeddable widget.
pub const WIDGET: &str = include_str!("../../assets/widget.js");
/// A page that imitates a portal sidebar with the three widgets.
const DEMO: &str = include_str!("../../assets/demo.html");
/// The demo page's portal look.
pub const DEMO_CSS: &str = include_str!("../../assets/demo.css");

/// The widget's version: the first 12 hex digits of its content hash.
pub static WIDGET_VERSION: LazyLock<String> =
    LazyLock::new(|| blake3::hash(WIDGET.as_bytes()).to_hex()[..12].to_owned());

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn page_param(query: Option<&str>) -> Result<Option<PageId>, ApiError> {
    query_param(query, "page")
        .map(|p| PageId::parse(&p).map_err(|e| ApiError::InvalidPage(e.to_string())))
        .transpose()
}

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

/// `GET /v1/counter.svg[?page=…&lang=…]`: the counter as an image, for
/// pages that cannot run scripts. Counts nothing.
pub async fn badge(app: &App, req: &Req) -> Result<Response, ApiError> {
    let query = req.uri().query();
    let page = page_param(query)?;
    let lang = Lang::choose(query, req.headers());
    let view = app.counter.view(page.as_ref()).await;
    let (label, value) = match (&page, lang) {
        (Some(_), Lang::Vi) => ("Lượt xem", view.totals.page_views),
        (Some(_), Lang::En) => ("Views", view.totals.page_views),
        (None, Lang::Vi) => ("Số lượt truy cập", view.totals.total),
        (None, Lang::En) => ("Visits", view.totals.total),
    };
    let number = lang.number(value);
    // Rough text widths: ~7 px a character at 12 px.
    let left = 12 + 7 * label.chars().count();
    let right = 12 + 7 * number.chars().count();
    let width = left + right;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"22\" role=\"img\" aria-label=\"{label}: {number}\">\
         <title>{label}: {number}</title>\
         <rect width=\"{left}\" height=\"22\" fill=\"#555\"/><rect x=\"{left}\" width=\"{right}\" height=\"22\" fill=\"#b5121b\"/>\
         <g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"12\">\
         <text x=\"6\" y=\"15\">{label}</text><text x=\"{x}\" y=\"15\">{number}</text></g></svg>",
        label = escape(label),
        x = left + 6,
    );
    Ok(bytes_response(
        StatusCode::OK,
        "image/svg+xml",
        "no-store",
        Bytes::from(svg),
    ))
}

/// `GET /v1/pixel.gif[?page=…]`: counts a page load from a `<noscript>`
/// image, for visitors without JavaScript.
pub async fn pixel(app: &App, req: &Req, client: Client) -> Result<Response, ApiError> {
    let page = page_param(req.uri().query())?;
    let mut response = bytes_response(StatusCode::OK, "image/gif", "no-store", PIXEL);
    if is_bot(req.headers()) {
        app.metrics.hits.with_label_values(&["bot"]).inc();
        return Ok(response);
    }
    if origin::foreign(
        req.headers(),
        req.uri(),
        &client,
        &app.settings.allowed_origins,
    ) {
        app.metrics
            .hits
            .with_label_values(&["foreign_origin"])
            .inc();
        app.refusals.note(Refusal::ForeignHit, "/v1/pixel.gif");
        return Ok(response);
    }
    let identity = identify(&app.privacy, req.headers(), &client).await?;
    let inherit = inherited(&app.privacy, &identity, req.headers(), &client).await;
    app.counter
        .hit(Hit {
            visitor: identity.visitor,
            inherit,
            page,
        })
        .await;
    if let Some(cookie) = identity.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
