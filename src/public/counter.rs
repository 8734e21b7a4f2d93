//! The counter's routes: `POST /v1/hits`, `GET /v1/counter`, the badge
//! `GET /v1/counter.svg` and the `<noscript>` pixel `GET /v1/pixel.gif`.

use std::sync::Arc;

use axum::extract::State;
use http::{HeaderMap, StatusCode, Uri, header};
use maud::html;

use super::bodies::{CounterBody, HitRequest};
use super::pages::Look;
use super::params::{FirstPartyId, Lang, Page, Site, VisitorCookie};
use crate::counter::{Counter, CounterView, Counters, Hit, Uncounted};
use crate::edge::client::Client;
use crate::edge::error::ApiError;
use crate::edge::extract::{Body, Headers};
use crate::edge::origin::{claimed_origin, own_origin};
use crate::edge::respond::{
    Response, bytes_response, json_object, json_response, media_type_is, query_param,
};
use crate::edge::schema;
use crate::edge::text::text;
use crate::edge::visitor::{claims, cookie_header, user_agent};
use crate::identity::{Visitors, is_bot};
use crate::ids::{PageId, SiteId};
use crate::refusals;
use crate::sites::NotCounted;
use crate::telemetry::{Refusal, Refusals};

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// What the counter's routes need.
pub struct CounterApi {
    pub counters: Arc<Counters>,
    pub visitors: Arc<Visitors>,
    pub refusals: Arc<Refusals>,
    /// The badge speaks the site's language.
    pub look: Arc<Look>,
}

refusals!(HitRefusals: [
    unsupported_media_type("application/json"),
    invalid_json(),
    invalid_page(),
    InvalidVisitor,
    SiteRequired,
    SiteNotFound,
]);
refusals!(PageRefusals: [invalid_page(), SiteRequired, SiteNotFound]);
refusals!(PixelRefusals: [invalid_page(), InvalidVisitor, SiteNotFound]);

/// Count a page load
///
/// Counts one page load (a hit) and answers the counter, with the page's
/// views when `page` is named. The body is optional: an empty or
/// whitespace-only body counts a hit without a page, whatever its media
/// type. `text/plain` is accepted as well as `application/json` (its content
/// is parsed as the same JSON) so that a browser can send it without a CORS
/// preflight. Bots, and hits whose `Origin` names a page that is not
/// allowed, are answered the counter without being counted.
#[utoipa::path(
    post, path = "/v1/hits", tag = "counter", operation_id = "postHit",
    params(Site, VisitorCookie, FirstPartyId),
    request_body(content(
        (Option<HitRequest> = "application/json", examples(
            ("article" = (summary = "An article", value = json!({"page": "/tin-tuc/123"}))),
            ("vietnamese" = (summary = "A page id with Vietnamese letters",
                value = json!({"page": "/tin-tuc/thời-sự/ủy-ban-nhân-dân"}))),
            ("site" = (summary = "No page: the site counter only", value = json!({}))),
        )),
        (Option<schema::JsonText> = "text/plain", example = json!("{\"page\":\"/tin-tuc/123\"}")),
    )),
    responses(
        (status = 200, description = "Counted (unless a bot's or a foreign page's), or answered without counting.",
            body = CounterBody, headers(
                ("Set-Cookie" = inline(schema::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            example = json!({"total": 7582803, "today": 1204, "yesterday": 3398, "this_week": 9120,
                "this_month": 40213, "last_week": 21870, "last_month": 96402, "online": 37, "stale": false,
                "page": {"id": "/tin-tuc/123", "views": 138}})),
        HitRefusals,
    ),
)]
pub async fn post_hit(
    State(api): State<Arc<CounterApi>>,
    client: Client,
    Headers(headers): Headers,
    uri: Uri,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let page = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        if !media_type_is(&headers, &["application/json", "text/plain"]) {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        let body: HitRequest = json_object(&body)?;
        body.page.as_deref().map(page_id).transpose()?
    };
    let (view, set_cookie) = api.count(&headers, &uri, client, page).await?;
    let mut response = json_response(StatusCode::OK, &CounterBody::from(&view));
    if let Some(cookie) = set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Read the counter
///
/// The counter, counting nothing. With `page`, also that page's views.
#[utoipa::path(
    get, path = "/v1/counter", tag = "counter", operation_id = "getCounter",
    params(Site, Page),
    responses(
        (status = 200, description = "The counter.", body = CounterBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        PageRefusals,
    ),
)]
pub async fn get_counter(
    State(api): State<Arc<CounterApi>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let page = page_param(uri.query())?;
    let view = api.named(&uri)?.view(page.as_ref()).await;
    Ok(json_response(StatusCode::OK, &CounterBody::from(&view)))
}

/// The counter as an SVG badge
///
/// The counter as an image, for pages that cannot run scripts: "Số lượt
/// truy cập: 7.582.803" (or, with `page`, "Lượt xem: 138"); in English
/// (`Visits`, `Views`, `7,582,803`) when the site's language or `lang`
/// says so. Counts nothing.
#[utoipa::path(
    get, path = "/v1/counter.svg", tag = "counter", operation_id = "getCounterBadge",
    params(Site, Page, Lang),
    responses(
        (status = 200, description = "The badge.", body = String, content_type = "image/svg+xml",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        PageRefusals,
    ),
)]
pub async fn get_counter_badge(
    State(api): State<Arc<CounterApi>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = uri.query();
    let page = page_param(query)?;
    let lang = api.look.lang(query);
    let t = text(lang);
    let view = api.named(&uri)?.view(page.as_ref()).await;
    let (label, value) = match page {
        Some(_) => (t.views, view.totals.page_views),
        None => (t.visits, view.totals.total),
    };
    let number = lang.number(value);
    // Rough text widths: ~7 px a character at 12 px.
    let left = 12 + 7 * label.chars().count();
    let right = 12 + 7 * number.chars().count();
    let svg = html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(left + right) height="22" role="img" aria-label={ (label) ": " (number) } {
            title { (label) ": " (number) }
            rect width=(left) height="22" fill="#555" {}
            rect x=(left) width=(right) height="22" fill="#b5121b" {}
            g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="12" {
                text x="6" y="15" { (label) }
                text x=(left + 6) y="15" { (number) }
            }
        }
    };
    Ok(bytes_response(
        StatusCode::OK,
        "image/svg+xml",
        "no-store",
        svg.into_string(),
    ))
}

/// Count a page load from a <noscript> image
///
/// Counts one page load, like `POST /v1/hits`, for visitors without
/// JavaScript (`<noscript><img src="…/v1/pixel.gif?page=…"></noscript>`),
/// and answers a transparent 1×1 GIF. Bots, and pixels whose `Referer`
/// names a page that is not allowed, are answered without being counted.
#[utoipa::path(
    get, path = "/v1/pixel.gif", tag = "counter", operation_id = "getPixel",
    params(Site, Page, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "A transparent 1×1 GIF (43 bytes).",
            content_type = "image/gif", headers(
                ("Set-Cookie" = inline(schema::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        PixelRefusals,
    ),
)]
pub async fn get_pixel(
    State(api): State<Arc<CounterApi>>,
    client: Client,
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let page = page_param(uri.query())?;
    // An image on a page that names no site, or a site that is not one:
    // the pixel is answered all the same (and the metric says why). A
    // site that cannot be one (not an id) is a malformed request.
    let malformed = query_param(uri.query(), "site").is_some_and(|s| SiteId::parse(&s).is_err());
    let set_cookie = match api.count(&headers, &uri, client, page).await {
        Ok((_, set_cookie)) => set_cookie,
        // Not counted, but a malformed visitor id is still refused.
        Err(ApiError::SiteRequired) => claims(&headers).map(|_| None)?,
        Err(ApiError::SiteNotFound) if !malformed => claims(&headers).map(|_| None)?,
        Err(e) => return Err(e),
    };
    let mut response = bytes_response(StatusCode::OK, "image/gif", "no-store", PIXEL);
    if let Some(cookie) = set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

impl CounterApi {
    /// The counter of the site a read names (`site`, or one of its
    /// aliases), the one site when none are configured and it names none.
    fn named(&self, uri: &Uri) -> Result<Arc<Counter>, ApiError> {
        let sites = self.counters.sites();
        match query_param(uri.query(), "site") {
            Some(name) => SiteId::parse(&name)
                .ok()
                .and_then(|id| sites.find(&id))
                .and_then(|def| self.counters.get(&def.id))
                .ok_or(ApiError::SiteNotFound),
            None if !sites.configured() => Ok(Arc::clone(self.counters.primary())),
            None => Err(ApiError::SiteRequired),
        }
    }

    /// Counts a hit for the site it names, unless it is a bot's or comes
    /// from a page that is not one of that site's; the counter, and the
    /// cookie to set.
    async fn count(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        client: Client,
        page: Option<PageId>,
    ) -> Result<(CounterView, Option<http::HeaderValue>), ApiError> {
        let named = query_param(uri.query(), "site");
        let origin = claimed_origin(headers);
        let own = || own_origin(headers, uri, &client);
        let sites = self.counters.sites();
        let resolved = sites.resolve(named.as_deref(), origin.as_deref(), own);
        let counter = match resolved {
            Ok(def) => self.counters.get(&def.id),
            Err(NotCounted::ForeignOrigin) => self.named(uri).ok(),
            Err(NotCounted::NoSite) => {
                self.counters.primary().uncounted(Uncounted::NoSite);
                return Err(ApiError::SiteRequired);
            }
            Err(NotCounted::UnknownSite) => {
                self.counters.primary().uncounted(Uncounted::UnknownSite);
                return Err(ApiError::SiteNotFound);
            }
        };
        let counter = counter.ok_or(ApiError::SiteNotFound)?;
        let agent = user_agent(headers);
        if is_bot(agent) {
            let view = counter.not_counted(Uncounted::Bot, page.as_ref()).await;
            return Ok((view, None));
        }
        if resolved.is_err() {
            self.refusals.note(Refusal::ForeignHit, "hit");
            let view = counter
                .not_counted(Uncounted::ForeignOrigin, page.as_ref())
                .await;
            return Ok((view, None));
        }
        let agent = agent.unwrap_or_default();
        let identity = self
            .visitors
            .identify(counter.site(), claims(headers)?, client.ip, agent)
            .await;
        let inherit = self
            .visitors
            .inherited(counter.site(), &identity, client.ip, agent)
            .await;
        let set_cookie = identity
            .cookie
            .as_deref()
            .and_then(|value| cookie_header(value, &client));
        let view = counter
            .hit(Hit {
                visitor: identity.visitor,
                inherit,
                page,
            })
            .await;
        Ok((view, set_cookie))
    }
}

/// A page id from wherever a request names it.
pub fn page_id(raw: &str) -> Result<PageId, ApiError> {
    PageId::parse(raw).map_err(|e| ApiError::InvalidPage(e.to_string()))
}

/// The `page` query parameter, if present.
pub fn page_param(query: Option<&str>) -> Result<Option<PageId>, ApiError> {
    query_param(query, "page").map(|p| page_id(&p)).transpose()
}
