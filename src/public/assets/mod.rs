//! Static assets, each compressed once and answered in the encoding the
//! request accepts: the widget and its challenge solver (revalidated by
//! ETag, or cached for a year under their versioned names), the demo page
//! and its stylesheet, the pages' stylesheet, the icon, and this listener's
//! API document.

mod encoded;

use std::sync::{Arc, LazyLock};

use crate::edge::routes::Endpoints;
use axum::extract::State;
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use utoipa::openapi::OpenApi;

use crate::edge::doc::Document;
use crate::edge::respond::{Response, bytes_response, query_param};
use crate::edge::schema;
pub use encoded::{Asset, Coding, negotiate};

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
/// Under a versioned name the bytes never change.
const FOR_A_YEAR: &str = "public, max-age=31536000, immutable";
/// Under the plain name a new version reaches pages within five minutes.
const FOR_FIVE_MINUTES: &str = "public, max-age=300, must-revalidate";

/// The challenge solver, loaded by the widget when a poll asks for one.
/// The scripts are served as `scripts/build-assets` minified them from
/// their readable sources beside them (`assets/solver.js`, `assets/widget.js`).
pub static SOLVER: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(JAVASCRIPT, include_str!("../../../assets/solver.min.js")));

/// The embeddable widget, naming the solver's versioned file.
pub static WIDGET: LazyLock<Asset> = LazyLock::new(|| {
    let script = include_str!("../../../assets/widget.min.js");
    let named = script.replacen(
        SOLVER_PLACEHOLDER,
        &format!("solver.{}.js", SOLVER.version()),
        1,
    );
    Asset::new(JAVASCRIPT, named)
});

/// Where the widget's source names the solver's versioned file.
const SOLVER_PLACEHOLDER: &str = "solver.VERSION.js";

/// The pages' stylesheet.
static PAGES_CSS: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(CSS, include_str!("../../../assets/pages.css")));

/// The demo page's portal look.
static DEMO_CSS: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(CSS, include_str!("../../../assets/demo.css")));

/// A page that imitates a portal sidebar with the three widgets, loading
/// the widget under its versioned name.
static DEMO: LazyLock<Asset> = LazyLock::new(|| {
    let html = include_str!("../../../assets/demo.html");
    Asset::new(
        "text/html; charset=utf-8",
        html.replace("{{WIDGET_VERSION}}", WIDGET.version()),
    )
});

/// Compresses every asset now, so that no visitor waits for it.
pub fn prepare() {
    for asset in [&SOLVER, &WIDGET, &PAGES_CSS, &DEMO_CSS, &DEMO] {
        LazyLock::force(asset);
    }
}

/// The versioned names: `/{name}.{version}.js` as documented, and the
/// current version's name as routed.
const VERSIONED: [(&str, &LazyLock<Asset>); 2] = [("widget", &WIDGET), ("solver", &SOLVER)];

/// `routes` (a versioned name's operation) under the current version's
/// name: the router matches whole segments, so each name is its own
/// route, known once the assets are hashed at start.
pub fn pinned<S: Clone + Send + Sync + 'static>(endpoints: Endpoints<S>) -> Endpoints<S> {
    endpoints.renamed(routed)
}

/// The name a versioned template is routed under now.
fn routed(template: &str) -> String {
    VERSIONED
        .iter()
        .find(|(name, _)| template == format!("/{name}.{{version}}.js"))
        .map_or_else(
            || template.to_owned(),
            |(name, asset)| format!("/{name}.{}.js", asset.version()),
        )
}

/// The API document names the versioned routes by their templates, as
/// they were declared, whatever the current versions are.
pub fn document_versioned(api: &mut OpenApi) {
    for (path, item) in std::mem::take(&mut api.paths.paths) {
        let template = VERSIONED
            .iter()
            .find(|(name, asset)| path == format!("/{name}.{}.js", asset.version()))
            .map_or(path, |(name, _)| format!("/{name}.{{version}}.js"));
        api.paths.paths.insert(template, item);
    }
}

crate::refusals!(VersionedRefusals: [NotFound]);

/// A script loaded by the portal's pages: readable cross-origin.
fn script(asset: &Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let mut response = asset.answer(headers, cache);
    response.headers_mut().insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    response
}

crate::described!(
    /// An asset's entity tag: its version, and the coding of its bytes.
    AssetEtag,
    schema::header(
        "10 hex digits of the content's hash, then `-gzip` or `-br` for those encodings, quoted.",
        "^\"[0-9a-f]{10}(-gzip|-br)?\"$",
    )
);

/// The embeddable widget
///
/// The widget script: `<script src="…/widget.js" async></script>` plus
/// placeholders `data-tally="counter"`, `data-tally="views"` and
/// `data-tally-poll="danh-gia-cong"`. Compressed (`br` or `gzip`) as
/// `Accept-Encoding` asks. Revalidated by `ETag` (`If-None-Match` answers
/// `304`); under its versioned name `/widget.<version>.js`, or with `?v=`
/// the current version, it is cached for a year.
#[utoipa::path(
    get, path = "/widget.js", tag = "assets", operation_id = "getWidget",
    params(
        ("v" = Option<String>, Query, description = "The widget's version (10 hex digits, as in its versioned name and its identity `ETag`): when it is the current one the answer is cached for a year. Any other value is served like no value."),
        ("If-None-Match" = Option<String>, Header, description = "Entity tags the client holds; the current one of the chosen encoding (or `*`) answers `304`."),
    ),
    responses(
        (status = 200, description = "The embeddable widget.", body = String,
            content_type = "text/javascript; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`public, max-age=300, must-revalidate`; with the current `?v=` `public, max-age=31536000, immutable`."),
                ("Content-Encoding" = String, description = "`br` or `gzip` when the request accepts one; absent for identity."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The widget's version and encoding."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load the widget."),
            )),
        (status = 304, description = "The copy named by `If-None-Match` is current.",
            headers(
                ("Cache-Control" = String, description = "As for `200`."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The widget's version and encoding."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load the widget."),
            )),
    ),
)]
pub async fn get_widget(headers: HeaderMap, uri: Uri) -> Response {
    let pinned = query_param(uri.query(), "v").is_some_and(|v| v == WIDGET.version());
    let cache = if pinned { FOR_A_YEAR } else { FOR_FIVE_MINUTES };
    script(&WIDGET, &headers, cache)
}

/// The embeddable widget, versioned
///
/// The same script under its versioned name (the path names the current
/// version: 10 hex digits of its content hash), cached for a year. An
/// earlier version's name answers `404`.
#[utoipa::path(
    get, path = "/widget.{version}.js", tag = "assets", operation_id = "getWidgetVersioned",
    params(
        ("version" = String, Path, description = "The current version: 10 hex digits of the content's hash, as the identity `ETag` says."),
        ("If-None-Match" = Option<String>, Header, description = "Entity tags the client holds; the current one of the chosen encoding (or `*`) answers `304`."),
    ),
    responses(
        (status = 200, description = "The embeddable widget.", body = String,
            content_type = "text/javascript; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`."),
                ("Content-Encoding" = String, description = "`br` or `gzip` when the request accepts one; absent for identity."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The widget's version and encoding."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load the widget."),
            )),
        (status = 304, description = "The copy named by `If-None-Match` is current.",
            headers(
                ("Cache-Control" = String, description = "As for `200`."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The widget's version and encoding."),
            )),
        VersionedRefusals,
    ),
)]
pub async fn get_widget_versioned(headers: HeaderMap) -> Response {
    script(&WIDGET, &headers, FOR_A_YEAR)
}

/// The challenge solver
///
/// The proof-of-work solver the widget loads, from where it came from,
/// when a poll on the page asks for a challenge (the widget names its
/// versioned file; this name is the fallback). Compressed as
/// `Accept-Encoding` asks, revalidated by `ETag`.
#[utoipa::path(
    get, path = "/solver.js", tag = "assets", operation_id = "getSolver",
    params(
        ("If-None-Match" = Option<String>, Header, description = "Entity tags the client holds; the current one of the chosen encoding (or `*`) answers `304`."),
    ),
    responses(
        (status = 200, description = "The challenge solver.", body = String,
            content_type = "text/javascript; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`public, max-age=300, must-revalidate`."),
                ("Content-Encoding" = String, description = "`br` or `gzip` when the request accepts one; absent for identity."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The solver's version and encoding."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load it."),
            )),
        (status = 304, description = "The copy named by `If-None-Match` is current.",
            headers(
                ("Cache-Control" = String, description = "As for `200`."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The solver's version and encoding."),
            )),
    ),
)]
pub async fn get_solver(headers: HeaderMap) -> Response {
    script(&SOLVER, &headers, FOR_FIVE_MINUTES)
}

/// The challenge solver, versioned
///
/// The solver under the versioned name the widget asks for (the path
/// names the current version), cached for a year. An earlier version's
/// name answers `404`; the widget then loads `/solver.js`.
#[utoipa::path(
    get, path = "/solver.{version}.js", tag = "assets", operation_id = "getSolverVersioned",
    params(
        ("version" = String, Path, description = "The current version: 10 hex digits of the content's hash, as the identity `ETag` says."),
        ("If-None-Match" = Option<String>, Header, description = "Entity tags the client holds; the current one of the chosen encoding (or `*`) answers `304`."),
    ),
    responses(
        (status = 200, description = "The challenge solver.", body = String,
            content_type = "text/javascript; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`."),
                ("Content-Encoding" = String, description = "`br` or `gzip` when the request accepts one; absent for identity."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The solver's version and encoding."),
                ("Cross-Origin-Resource-Policy" = String, description = "`cross-origin`: the portal's pages load it."),
            )),
        (status = 304, description = "The copy named by `If-None-Match` is current.",
            headers(
                ("Cache-Control" = String, description = "As for `200`."),
                ("Vary" = String, description = "`accept-encoding`."),
                ("ETag" = inline(AssetEtag), description = "The solver's version and encoding."),
            )),
        VersionedRefusals,
    ),
)]
pub async fn get_solver_versioned(headers: HeaderMap) -> Response {
    script(&SOLVER, &headers, FOR_A_YEAR)
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
pub async fn get_demo(headers: HeaderMap) -> Response {
    let mut response = DEMO.answer(&headers, "no-store");
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
pub async fn get_demo_stylesheet(headers: HeaderMap) -> Response {
    DEMO_CSS.answer(&headers, "public, max-age=3600")
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
pub async fn get_pages_stylesheet(headers: HeaderMap) -> Response {
    PAGES_CSS.answer(&headers, "public, max-age=3600")
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
