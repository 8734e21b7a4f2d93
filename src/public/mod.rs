//! The public listener: the counter, the polls as JSON, tally's own HTML
//! pages, the widget and the other assets, and this listener's API
//! document. Each route is declared once, beside its handler, with its
//! documentation and what it refuses; [`routes`] lists them.

pub mod assets;
pub mod bodies;
pub mod counter;
mod live;
pub mod pages;
mod params;
pub mod polls;
pub mod votes;

use std::sync::Arc;

use axum::extract::FromRef;
use http::{HeaderValue, Method, header};
use tower_http::cors::{AllowCredentials, AllowOrigin, CorsLayer};

use crate::edge::doc::Document;
use crate::edge::door::{Asked, Render, Routes};
use crate::edge::origin::CorsOrigins;
use crate::edge::respond::{self, Response};
use crate::edge::routes::endpoints;
use crate::edge::visitor::VISITOR_HEADER;
use counter::CounterApi;
use pages::{Depth, Look, error_page};
use polls::PollsApi;

/// What the routes need, each route taking its part, behind one `Arc`:
/// the router clones its state for every request, and one count to
/// raise and lower costs less than one per part.
#[derive(Clone)]
pub struct Public(Arc<PublicParts>);

impl Public {
    pub fn new(parts: PublicParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for Public {
    type Target = PublicParts;

    fn deref(&self) -> &PublicParts {
        &self.0
    }
}

/// The parts of [`Public`].
pub struct PublicParts {
    pub counter: Arc<CounterApi>,
    pub polls: Arc<PollsApi>,
    pub document: Arc<Document>,
}

impl FromRef<Public> for Arc<CounterApi> {
    fn from_ref(public: &Public) -> Self {
        Arc::clone(&public.counter)
    }
}

impl FromRef<Public> for Arc<PollsApi> {
    fn from_ref(public: &Public) -> Self {
        Arc::clone(&public.polls)
    }
}

impl FromRef<Public> for Arc<Document> {
    fn from_ref(public: &Public) -> Self {
        Arc::clone(&public.document)
    }
}

/// Every public route. Adding one: its handler (with `#[utoipa::path]`
/// and its refusals) beside the others of its area, and its line here.
pub fn routes() -> Routes<Public> {
    use assets::*;
    use counter::*;
    use pages::{archive::*, home::*, poll::*, results::*};
    use polls::*;
    assets::prepare();
    Routes::default()
        .api(endpoints!(get_home))
        .api(endpoints!(get_archive_page))
        .api(endpoints!(post_hit))
        .api(endpoints!(get_counter))
        .api(endpoints!(get_counter_badge))
        .api(endpoints!(get_pixel))
        .api(endpoints!(get_widget))
        .api(pinned(endpoints!(get_widget_versioned)))
        .api(endpoints!(get_solver))
        .api(pinned(endpoints!(get_solver_versioned)))
        .api(endpoints!(get_demo))
        .api(endpoints!(get_demo_stylesheet))
        .api(endpoints!(get_favicon))
        .api(endpoints!(get_archive))
        .api(endpoints!(get_poll))
        .api(endpoints!(votes::post_vote))
        .api(endpoints!(get_results))
        .api(endpoints!(live::get_events))
        .api(endpoints!(get_challenge))
        .api(endpoints!(get_poll_page, post_poll_form))
        .api(endpoints!(get_results_page))
        .api(endpoints!(get_pages_stylesheet))
        .api(endpoints!(get_openapi))
}

/// tally's HTML pages: a browser is answered a refusal as a page there.
pub const PAGES: &[&str] = &["/", "/polls", "/polls/{id}", "/polls/{id}/results"];

/// Ballots and form posts, under the stricter rate limit.
pub fn strict() -> Vec<(Method, &'static str)> {
    vec![
        (Method::POST, "/v1/polls/{id}/votes"),
        (Method::POST, "/polls/{id}"),
    ]
}

/// How a refusal is answered: a page for a browser on one of tally's
/// pages, JSON otherwise; in the site's language or the one `?lang=` asks.
pub fn render(look: Arc<Look>) -> Render {
    Box::new(move |error, asked: &Asked<'_>| {
        let lang = look.lang(asked.uri.query());
        if asked.html() && PAGES.contains(&asked.template) {
            let here = (lang, asked.uri.query());
            error_page(&look, here, Depth::of(asked.template), error)
        } else {
            error.to_json(lang)
        }
    })
}

const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");

/// Headers every public answer carries.
pub fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, respond::NOSNIFF);
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(header::REFERRER_POLICY, NO_REFERRER);
    }
}

/// CORS for `TALLY_ALLOWED_ORIGINS`: credentials (the visitor cookie) and
/// the first-party id header are allowed, for those origins only;
/// `Retry-After` is readable, so the widget can say how long to wait;
/// preflights are cached for a day.
pub fn cors_layer(origins: Arc<CorsOrigins>) -> CorsLayer {
    // Credentials are allowed only beside an allowed origin, so no answer
    // says so otherwise and none needs the header taken off afterwards.
    let allowed = Arc::clone(&origins);
    let credentials = AllowCredentials::predicate(move |origin, _| allowed.contains(origin));
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origins.contains(origin)
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static(VISITOR_HEADER),
        ])
        .expose_headers([header::RETRY_AFTER])
        .allow_credentials(credentials)
        .max_age(std::time::Duration::from_secs(86_400))
        // What the layer would work out from a list of origins and fixed
        // methods and headers, said once: the door layers it per request,
        // and a `Vary` it works out is built again each time.
        .vary([header::ORIGIN])
}
