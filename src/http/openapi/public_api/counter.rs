//! The counter's operations: hits, the counter, the badge, the pixel.
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use super::{FirstPartyId, Lang, Page, VisitorCookie};
use crate::http::api::bodies::{CounterBody, HitRequest};
use crate::http::openapi::schemas as doc;

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
    params(VisitorCookie, FirstPartyId),
    request_body(content(
        (Option<HitRequest> = "application/json", examples(
            ("article" = (summary = "An article", value = json!({"page": "/tin-tuc/123"}))),
            ("vietnamese" = (summary = "A page id with Vietnamese letters",
                value = json!({"page": "/tin-tuc/thời-sự/ủy-ban-nhân-dân"}))),
            ("site" = (summary = "No page: the site counter only", value = json!({}))),
        )),
        (Option<doc::JsonText> = "text/plain", example = json!("{\"page\":\"/tin-tuc/123\"}")),
    )),
    responses(
        (status = 200, description = "Counted (unless a bot's or a foreign page's), or answered without counting.",
            body = CounterBody, headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            example = json!({"total": 7582803, "today": 1204, "yesterday": 3398, "this_week": 9120,
                "this_month": 40213, "online": 37, "stale": false,
                "page": {"id": "/tin-tuc/123", "views": 138}})),
    ),
)]
pub(super) fn post_hit() {}

/// Read the counter
///
/// The counter, counting nothing. With `page`, also that page's views.
#[utoipa::path(
    get, path = "/v1/counter", tag = "counter", operation_id = "getCounter",
    params(Page),
    responses(
        (status = 200, description = "The counter.", body = CounterBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
    ),
)]
pub(super) fn get_counter() {}

/// The counter as an SVG badge
///
/// The counter as an image, for pages that cannot run scripts: "Số lượt
/// truy cập: 7.582.803" (or, with `page`, "Lượt xem: 138"); in English
/// (`Visits`, `Views`, `7,582,803`) when the site's language or `lang`
/// says so. Counts nothing.
#[utoipa::path(
    get, path = "/v1/counter.svg", tag = "counter", operation_id = "getCounterBadge",
    params(Page, Lang),
    responses(
        (status = 200, description = "The badge.", body = String, content_type = "image/svg+xml",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
    ),
)]
pub(super) fn get_counter_badge() {}

/// Count a page load from a <noscript> image
///
/// Counts one page load, like `POST /v1/hits`, for visitors without
/// JavaScript (`<noscript><img src="…/v1/pixel.gif?page=…"></noscript>`),
/// and answers a transparent 1×1 GIF. Bots, and pixels whose `Referer`
/// names a page that is not allowed, are answered without being counted.
#[utoipa::path(
    get, path = "/v1/pixel.gif", tag = "counter", operation_id = "getPixel",
    params(Page, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "A transparent 1×1 GIF (43 bytes).",
            content_type = "image/gif", headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            )),
    ),
)]
pub(super) fn get_pixel() {}
