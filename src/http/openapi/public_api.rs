//! The public listener's document. Each route's own answers are declared
//! by area, one documentation-only function per operation, with the
//! parameters they share here; the refusals each route can answer are
//! listed in [`refusals`], and [`Door`] adds them and what the door does to
//! every answer (rate limits, timeouts, `405`, the security headers).
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use http::Method;
use utoipa::openapi::OpenApi;
use utoipa::{IntoParams, Modify};

mod assets;
mod counter;
mod pages;
mod polls;

use super::door;
use super::errors::{Refusal, sample};
use super::schemas as doc;
use crate::challenge::ChallengeError;
use crate::http::api::bodies::ErrorBody;
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
        counter::post_hit, counter::get_counter, counter::get_counter_badge, counter::get_pixel,
        polls::get_archive, polls::get_poll, polls::post_vote, polls::get_results,
        polls::get_events, polls::get_challenge,
        pages::get_home, pages::get_archive_page, pages::get_poll_page, pages::post_poll_form,
        pages::get_results_page,
        assets::get_widget, assets::get_demo, assets::get_demo_stylesheet, assets::get_favicon,
        assets::get_pages_stylesheet, assets::get_openapi,
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
    /// Anything else is ignored: then the site's language
    /// (`TALLY_LANGUAGE`, Vietnamese unless set). `Accept-Language` is
    /// never followed: an English-language browser on a Vietnamese portal
    /// sees Vietnamese.
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
        Route::Home => vec![],
        Route::Archive | Route::Polls => vec![InvalidVisitor, StoreUnavailable],
        Route::PollEvents => vec![
            PollNotFound,
            InvalidVisitor,
            sample::results_hidden(),
            TooManyStreams,
            StoreUnavailable,
        ],
        Route::Poll => vec![PollNotFound, InvalidVisitor, StoreUnavailable],
        Route::PollChallenge => vec![PollNotFound, StoreUnavailable],
        Route::PollVotes => vec![
            OriginNotAllowed,
            PollNotFound,
            json(),
            sample::invalid_json(),
            sample::invalid_option(),
            sample::too_many_choices(),
            InvalidVisitor,
            sample::invalid_body(),
            sample::closed(),
            sample::not_yet_open(),
            sample::already_voted(),
            sample::address_limit(),
            ChallengeRequired,
            ChallengeReplayed,
            ChallengeFailed(ChallengeError::Malformed),
            ChallengeFailed(ChallengeError::Invalid),
            ChallengeFailed(ChallengeError::Expired),
            ChallengeFailed(ChallengeError::OtherPoll),
            StoreUnavailable,
        ],
        Route::PollResults => vec![
            PollNotFound,
            InvalidVisitor,
            sample::results_hidden(),
            StoreUnavailable,
        ],
        Route::PollResultsPage => vec![PollNotFound, InvalidVisitor, StoreUnavailable],
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
    matches!(
        route,
        Route::PollPage | Route::PollResultsPage | Route::Archive | Route::Home
    )
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
