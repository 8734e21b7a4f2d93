//! The public listener's document. Each route's own answers are declared
//! here, one documentation-only function per operation; the refusals each
//! route can answer are listed in [`refusals`], and [`Door`] adds them and
//! what the door does to every answer (rate limits, timeouts, `405`, the
//! security headers).
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use http::Method;
use utoipa::openapi::OpenApi;
use utoipa::{IntoParams, Modify};

use super::door;
use super::errors::{Refusal, sample};
use super::schemas as doc;
use crate::http::api::bodies::{CounterBody, ErrorBody, HitRequest, PollBody, ResultsBody};
use crate::http::api::bodies::{VoteRequest, VotedBody};
use crate::http::error::ApiError;
use crate::http::router::{PUBLIC, PUBLIC_TABLE, Route};

/// The public API.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "tally",
        description = include_str!("public.md"),
    ),
    servers((url = "/", description = "This service (the public listener)")),
    tags(
        (name = "counter", description = "Hits, visits and page views (*Số lượt truy cập*, *Lượt xem*)."),
        (name = "polls", description = "The site poll as JSON (*Bình chọn*)."),
        (name = "pages", description = "The poll and its results as HTML that works without JavaScript."),
        (name = "assets", description = "The embeddable widget, its demonstration page, the stylesheets and the icon."),
        (name = "meta", description = "This document."),
    ),
    paths(
        post_hit, get_counter, get_counter_badge, get_pixel,
        get_poll, post_vote, get_results,
        get_poll_page, post_poll_form, get_results_page,
        get_widget, get_demo, get_demo_stylesheet, get_favicon, get_pages_stylesheet,
        get_openapi,
    ),
    // Parameters name their schemas without registering them.
    components(schemas(ErrorBody, doc::ErrorDetail, doc::VisitorCookie, doc::VisitorId)),
    modifiers(&Door),
)]
pub struct PublicApi;

/// Who is asking, by the cookie this service issued.
#[derive(IntoParams)]
#[into_params(parameter_in = Cookie)]
struct VisitorCookie {
    /// The visitor cookie this service issued: 36 lowercase hex digits. Any
    /// other value is ignored, as if absent.
    #[param(value_type = Option<doc::VisitorCookie>)]
    tally_vid: Option<String>,
}

/// Who is asking, by the widget's first-party id.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
struct FirstPartyId {
    /// The widget's first-party visitor id (kept in the portal's own
    /// storage), believed after the cookie: 36 lowercase hex digits. A
    /// malformed value is refused (`400 invalid_visitor`).
    #[param(rename = "Tally-Visitor", value_type = Option<doc::VisitorId>)]
    tally_visitor: Option<String>,
}

/// A ballot's origin.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
struct Origin {
    /// The page the ballot comes from, as a browser names it: it must be in
    /// `TALLY_ALLOWED_ORIGINS` or this service itself (else `403
    /// origin_not_allowed`). Without it the `Referer`'s origin is taken.
    #[param(rename = "Origin")]
    origin: Option<String>,
}

/// The page a count is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// A page of the portal; when named, the answer includes its views. The
    /// first `page` wins.
    #[param(value_type = Option<doc::PageId>)]
    page: Option<String>,
}

/// The language of a page or badge.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Lang {
    /// `vi` or `en` (a tag such as `vi-VN` counts by its primary subtag).
    /// Anything else is ignored: then the first of `vi`/`en` in
    /// `Accept-Language`, else Vietnamese.
    lang: Option<String>,
}

/// The poll a route is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
struct Poll {
    /// The poll's id. A malformed id names no poll (`404 poll_not_found`).
    #[param(value_type = doc::PollId)]
    id: String,
}

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
fn post_hit() {}

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
fn get_counter() {}

/// The counter as an SVG badge
///
/// The counter as an image, for pages that cannot run scripts: "Số lượt
/// truy cập: 7.582.803" (or, with `page`, "Lượt xem: 138"); in English
/// (`Visits`, `Views`, `7,582,803`) when `lang` or `Accept-Language` asks
/// for it. Counts nothing.
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
fn get_counter_badge() {}

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
fn get_pixel() {}

/// Read a poll
///
/// The poll, with `voted` for the person asking (their cookie, else their
/// `Tally-Visitor` id) and, when they voted, their `choices`. A visitor
/// known only by address is never told a choice: `voted` is `false`. Sets
/// no cookie.
#[utoipa::path(
    get, path = "/v1/polls/{id}", tag = "polls", operation_id = "getPoll",
    params(Poll, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The poll.", body = PollBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            links(
                ("vote" = (operation_id = "postVote", parameters(("id" = "$response.body#/id")),
                    description = "Vote in this poll.")),
                ("results" = (operation_id = "getResults", parameters(("id" = "$response.body#/id")),
                    description = "This poll's results.")),
                ("page" = (operation_id = "getPollPage", parameters(("id" = "$response.body#/id")),
                    description = "This poll as an HTML form.")),
            )),
    ),
)]
fn get_poll() {}

/// Vote
///
/// Casts the visitor's ballot. A ballot is counted exactly once: a person
/// who already voted gets `409 already_voted` with their choices and the
/// results. A visitor known only by address votes under a fresh id, issued
/// as the cookie, so someone else behind the same address never stands in
/// their way. `text/plain` is accepted as well as `application/json` (its
/// content is parsed as the same JSON) so that a browser can send it
/// without a CORS preflight; unknown fields are refused. Every answer from
/// the ballot box may carry `Set-Cookie`.
#[utoipa::path(
    post, path = "/v1/polls/{id}/votes", tag = "polls", operation_id = "postVote",
    params(Poll, VisitorCookie, FirstPartyId, Origin),
    request_body(content(
        (VoteRequest = "application/json", examples(
            ("one" = (summary = "One choice: \"Tốt\"", value = json!({"options": ["tot"]}))),
            ("several" = (summary = "Several choices (a poll with max_choices > 1)",
                value = json!({"options": ["tin-tuc", "dich-vu-cong"]}))),
        )),
        (doc::JsonText = "text/plain", example = json!("{\"options\":[\"tot\"]}")),
    )),
    responses(
        (status = 201, description = "Counted: the results, with this person's choices.",
            body = VotedBody, headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            links(
                ("results" = (operation_id = "getResults", parameters(("id" = "$response.body#/poll")),
                    description = "The results, as they change.")),
                ("poll" = (operation_id = "getPoll", parameters(("id" = "$response.body#/poll")),
                    description = "The poll, now with `voted: true`.")),
            )),
    ),
)]
fn post_vote() {}

/// Read a poll's results
#[utoipa::path(
    get, path = "/v1/polls/{id}/results", tag = "polls", operation_id = "getResults",
    params(Poll),
    responses(
        (status = 200, description = "The results.", body = ResultsBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            links(
                ("poll" = (operation_id = "getPoll", parameters(("id" = "$response.body#/poll")),
                    description = "The poll.")),
                ("page" = (operation_id = "getResultsPage", parameters(("id" = "$response.body#/poll")),
                    description = "These results as an HTML page.")),
            )),
    ),
)]
fn get_results() {}

/// The poll as an HTML form
///
/// The poll as a plain HTML form that works without JavaScript (radio
/// buttons, or checkboxes when `max_choices` > 1), posting to
/// `POST /polls/{id}`; or, when this person already voted or the poll is
/// not open, a notice and a link to the results. Vietnamese by default.
#[utoipa::path(
    get, path = "/polls/{id}", tag = "pages", operation_id = "getPollPage",
    params(Poll, Lang, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The page.", body = doc::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`: the form's post carries its `Origin`."),
            )),
    ),
)]
fn get_poll_page() {}

/// Vote with the HTML form
///
/// A form ballot (repeat `option` for several choices). The form must name
/// the page it comes from (`Origin`, else `Referer`), as browsers do. When
/// the ballot reaches the ballot box the answer is `303 See Other` to the
/// results page beside the form (a relative `Location`), whose `notice`
/// says what happened: `thanks` (counted), `already` (this person had
/// voted), `closed`, `not_open`. Choices the poll does not take answer the
/// form again with a message (`400`, HTML).
#[utoipa::path(
    post, path = "/polls/{id}", tag = "pages", operation_id = "postPollForm",
    params(Poll, Lang, VisitorCookie, FirstPartyId, Origin),
    request_body(content(
        (doc::FormBallot = "application/x-www-form-urlencoded", examples(
            ("one" = (summary = "Tốt", value = json!({"option": ["tot"]}))),
            ("several" = (summary = "Two sections", value = json!({"option": ["tin-tuc", "du-lich"]}))),
        )),
    )),
    responses(
        (status = 303, description = "The ballot reached the ballot box; see the results page.",
            headers(
                ("Location" = inline(doc::ResultsLocation), description = "The results page beside the form, relative to it, with a notice of what happened to the ballot."),
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        (status = 400, description = "The form again, with what was wrong, when the choices are not ones the poll takes (HTML, whatever `Accept` says).",
            body = doc::HtmlPage, content_type = "text/html; charset=utf-8",
            headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
            )),
    ),
)]
fn post_poll_form() {}

/// A poll's results as an HTML page
///
/// The results with bars (`<progress>`), percents written the Vietnamese
/// way (`41,7%`) by default, and the total.
#[utoipa::path(
    get, path = "/polls/{id}/results", tag = "pages", operation_id = "getResultsPage",
    params(Poll, Lang,
        ("notice" = Option<String>, Query, description = "A notice shown above the results, set by `POST /polls/{id}`: `thanks`, `already`, `closed` or `not_open`. Any other value shows none."),
    ),
    responses(
        (status = 200, description = "The page.", body = doc::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`: the form's post carries its `Origin`."),
            )),
    ),
)]
fn get_results_page() {}

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
fn get_widget() {}

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
fn get_demo() {}

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
fn get_demo_stylesheet() {}

/// No icon
///
/// Nothing, cacheable for a week, so that browsers stop asking.
#[utoipa::path(
    get, path = "/favicon.ico", tag = "assets", operation_id = "getFavicon",
    responses((status = 204, description = "No icon.", headers(
                ("Cache-Control" = String, description = "Cacheable: `public, max-age=…` (an hour for stylesheets, five minutes for this document, a week for the icon)."),
            ))),
)]
fn get_favicon() {}

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
fn get_pages_stylesheet() {}

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
fn get_openapi() {}

/// What each route can refuse, beyond what the door refuses every request
/// (`405`, `408`, `429 rate_limited`, and for a body `413` and an
/// unreadable one). Exhaustive: a new route does not compile until it says.
fn refusals(route: Route, method: &Method) -> Vec<ApiError> {
    use ApiError::*;
    let json = || sample::unsupported_media_type("application/json");
    match route {
        Route::Hits => vec![
            json(),
            sample::invalid_json(),
            sample::invalid_page(),
            InvalidVisitor,
        ],
        Route::Counter | Route::CounterSvg => vec![sample::invalid_page()],
        Route::Pixel => vec![sample::invalid_page(), InvalidVisitor],
        Route::Widget
        | Route::Demo
        | Route::DemoCss
        | Route::Favicon
        | Route::PagesCss
        | Route::OpenApi => vec![],
        Route::Poll => vec![PollNotFound, InvalidVisitor, StoreUnavailable],
        Route::PollVotes => vec![
            OriginNotAllowed,
            PollNotFound,
            json(),
            sample::invalid_json(),
            sample::invalid_option(),
            sample::too_many_choices(),
            InvalidVisitor,
            sample::closed(),
            sample::not_yet_open(),
            sample::already_voted(),
            sample::address_limit(),
            StoreUnavailable,
        ],
        Route::PollResults | Route::PollResultsPage => vec![PollNotFound, StoreUnavailable],
        Route::PollPage if method == Method::POST => vec![
            OriginRequired,
            OriginNotAllowed,
            PollNotFound,
            sample::unsupported_media_type("application/x-www-form-urlencoded"),
            sample::invalid_option(),
            InvalidVisitor,
            sample::address_limit(),
            StoreUnavailable,
        ],
        Route::PollPage => vec![PollNotFound, InvalidVisitor, StoreUnavailable],
    }
}

/// Whether a route answers its errors as a page to a browser.
fn answers_pages(route: Route) -> bool {
    matches!(route, Route::PollPage | Route::PollResultsPage)
}

/// Adds to every operation what the public door does.
struct Door;

impl Modify for Door {
    fn modify(&self, api: &mut OpenApi) {
        door::absent_is_not_null(api);
        for (template, route, methods) in PUBLIC {
            let matched = PUBLIC_TABLE.at(&template.replace("{id}", "x"));
            for method in methods.iter().filter(|m| **m != Method::HEAD) {
                let pages = answers_pages(*route);
                let mut all: Vec<Refusal> = refusals(*route, method)
                    .into_iter()
                    .map(|error| Refusal {
                        error,
                        as_page: pages,
                    })
                    .collect();
                all.push(Refusal {
                    error: sample::method_not_allowed(matched.allow()),
                    as_page: pages,
                });
                all.push(Refusal {
                    error: sample::rate_limited(),
                    as_page: pages,
                });
                // Read before a route is chosen, and timed: always JSON.
                all.push(Refusal {
                    error: ApiError::RequestTimeout,
                    as_page: false,
                });
                if *method == Method::POST {
                    for error in [sample::payload_too_large(), sample::invalid_body()] {
                        all.push(Refusal {
                            error,
                            as_page: false,
                        });
                    }
                }
                door::refuse(api, template, method, &all);
                door::on_every_answer(api, template, method, door::public_headers());
            }
        }
    }
}
