//! The public listener: the door every request passes (route and client
//! resolved once, rate limit, CORS, body, a turn), then the route table's
//! handler, then security headers and metrics on the way out.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Method, Request, header};
use hyper::body::Incoming;
use ipnet::IpNet;
use tower::ServiceExt;
use tower_http::cors::{AllowCredentials, AllowOrigin, CorsLayer};

use super::admission::{Admission, Saturation};
use super::api::counter::CounterApi;
use super::api::polls::PollsApi;
use super::client::{self, Client};
use super::error::ApiError;
use super::i18n::Lang;
use super::identity::VISITOR_HEADER;
use super::limit::{Allowed, Class, RateLimits};
use super::meters::RouteMeters;
use super::pages::Look;
use super::pages::{self, Depth};
use super::respond::{Req, Response, bytes_response, read_body};
use super::router::{Matched, PUBLIC_TABLE, Route};
use super::{assets, openapi};
use crate::config::Limits;
use crate::metrics::{Metrics, method_label};
use crate::telemetry::{Refusal, Refusals};

/// How the door behaves.
pub struct Door {
    pub rate_limits: Arc<RateLimits>,
    pub admission: Arc<Admission>,
    pub at_cap: Arc<Saturation>,
    pub trusted_proxies: Vec<IpNet>,
    pub limits: Limits,
    pub cors: CorsLayer,
    /// How error pages look, for refusals at the door.
    pub look: Arc<Look>,
    pub metrics: Arc<Metrics>,
    /// Request metrics by route, looked up once.
    pub meters: RouteMeters,
    pub refusals: Arc<Refusals>,
    /// Client addresses in the per-request debug lines.
    pub log_addresses: bool,
}

/// Everything the public listener serves.
pub struct Public {
    pub counter: CounterApi,
    pub polls: PollsApi,
    pub door: Door,
}

/// CORS for `TALLY_ALLOWED_ORIGINS`: credentials (the visitor cookie) and
/// the first-party id header are allowed, for those origins only;
/// `Retry-After` is readable, so the widget can say how long to wait;
/// preflights are cached for a day.
pub fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    // Credentials are allowed only beside an allowed origin, so no answer
    // says so otherwise and none needs the header taken off afterwards.
    let allowed = origins.clone();
    let credentials = AllowCredentials::predicate(move |origin, _| allowed.contains(origin));
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static(VISITOR_HEADER),
        ])
        .expose_headers([header::RETRY_AFTER])
        .allow_credentials(credentials)
        .max_age(std::time::Duration::from_secs(86_400))
}

/// What the door found out about a request, carried past the CORS layer.
#[derive(Clone)]
struct Resolved {
    matched: Matched<Route>,
    client: Client,
}

/// The service for one public connection from `peer`.
pub fn service(
    public: Arc<Public>,
    peer: SocketAddr,
) -> impl tower::Service<Request<Incoming>, Response = Response, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    // What this closure holds is cloned with it for every request (by
    // hyper's glue and the connection's tracking), so it holds no more than
    // an `Arc` and an address; the CORS layer wraps the routes per request.
    tower::service_fn(move |mut req: Request<Incoming>| {
        let public = Arc::clone(&public);
        async move {
            let started = Instant::now();
            let door = &public.door;
            let method = req.method().clone();
            let matched = PUBLIC_TABLE.at(req.uri().path());
            let client = client::resolve(peer, req.headers(), &door.trusted_proxies);
            let (template, index) = (matched.template, matched.index);
            let mut response = match limit(door, &matched, &req, client) {
                // With CORS headers, so the widget on the portal's origin
                // can read the refusal and its Retry-After.
                Err(refused) => {
                    let mut refusal = Some(*refused);
                    let answer = tower::service_fn(move |_: Request<Incoming>| {
                        let r = refusal
                            .take()
                            .unwrap_or_else(|| ApiError::Internal.into_response());
                        std::future::ready(Ok::<_, Infallible>(r))
                    });
                    tower::Layer::layer(&door.cors, answer).oneshot(req).await?
                }
                Ok(allowed) => {
                    // The CORS layer takes every OPTIONS for a preflight; a
                    // plain one goes to the routes, which answer `Allow`.
                    let preflight = req
                        .headers()
                        .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
                    let resolved = Resolved { matched, client };
                    let mut response = if method == Method::OPTIONS && !preflight {
                        handle(&public, req, resolved).await
                    } else {
                        req.extensions_mut().insert(resolved);
                        tower::Layer::layer(&door.cors, routes(&public))
                            .oneshot(req)
                            .await?
                    };
                    let headers = response.headers_mut();
                    headers.insert("ratelimit-limit", HeaderValue::from(allowed.limit));
                    headers.insert("ratelimit-remaining", HeaderValue::from(allowed.remaining));
                    response
                }
            };
            secure(&mut response);
            let status = response.status().as_u16();
            let elapsed = started.elapsed();
            door.meters
                .record(&door.metrics, index, &method, status, elapsed.as_secs_f64());
            let method = method_label(&method);
            // Addresses reach the logs only when the operator asks.
            let address = door.log_addresses.then_some(client.ip);
            tracing::debug!(
                route = template,
                method,
                status,
                micros = elapsed.as_micros() as u64,
                client = address.map(tracing::field::display),
                "request"
            );
            Ok(response)
        }
    })
}

/// The routes, behind the CORS layer: what [`Resolved`] says goes to
/// [`handle`].
fn routes(
    public: &Arc<Public>,
) -> impl tower::Service<Request<Incoming>, Response = Response, Error = Infallible, Future: Send> + use<>
{
    let public = Arc::clone(public);
    tower::service_fn(move |mut req: Request<Incoming>| {
        let public = Arc::clone(&public);
        let resolved = req.extensions_mut().remove::<Resolved>();
        async move {
            let Some(resolved) = resolved else {
                return Ok::<_, Infallible>(ApiError::Internal.into_response());
            };
            Ok(handle(&public, req, resolved).await)
        }
    })
}

/// Takes the request from its client's bucket; the refusal, answered, when
/// it is over the limit.
fn limit(
    door: &Door,
    matched: &Matched<Route>,
    req: &Request<Incoming>,
    client: Client,
) -> Result<Allowed, Box<Response>> {
    let class = if matched.is_ballot(req.method()) {
        Class::Strict
    } else {
        Class::Lenient
    };
    door.rate_limits.check(class, client.ip).map_err(|refused| {
        door.metrics
            .rate_limited
            .with_label_values(&[matched.template])
            .inc();
        door.refusals.note(Refusal::RateLimited, matched.template);
        let error = ApiError::RateLimited {
            retry_after_secs: refused.retry_after.as_secs_f64().ceil().max(1.0) as u64,
            limit: refused.limit,
        };
        Box::new(answer_error(
            door,
            matched,
            req.uri().query(),
            req.headers(),
            error,
        ))
    })
}

/// An error as the route answers errors: a page for a browser on an HTML
/// route, JSON otherwise.
fn answer_error(
    door: &Door,
    matched: &Matched<Route>,
    query: Option<&str>,
    headers: &http::HeaderMap,
    error: ApiError,
) -> Response {
    match page_of(&door.look, matched, query, headers) {
        Some((depth, lang)) => pages::error_page(&door.look, lang, depth, error),
        None => error.into_json(door.look.lang(query)),
    }
}

/// Answers one request that is within its limits (CORS aside). Its body
/// is read first, under its own deadline; only then does it wait for a
/// turn, so a client sending slowly holds its connection and nothing else.
async fn handle(public: &Public, req: Request<Incoming>, resolved: Resolved) -> Response {
    let Resolved { matched, client } = resolved;
    let limits = &public.door.limits;
    // Errors speak the site's language, or the one `?lang=` asks for.
    let lang = public.door.look.lang(req.uri().query());
    let (parts, body) = req.into_parts();
    let bytes = if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Ok(bytes::Bytes::new())
    } else {
        tokio::time::timeout(
            limits.body_timeout,
            read_body(&parts.headers, body, limits.max_body_bytes),
        )
        .await
        .unwrap_or(Err(ApiError::RequestTimeout))
    };
    let req = match bytes {
        Ok(bytes) => Request::from_parts(parts, bytes),
        Err(e) => return e.into_json(lang),
    };
    // On the heap: the routes' future is kilobytes, and every layer above
    // (timeout, CORS, hyper's connection) would otherwise copy it.
    let admitted = Box::pin(async {
        let _turn = public.door.admission.enter().await;
        dispatch(public, &matched, req, client).await
    });
    tokio::time::timeout(limits.request_timeout, admitted)
        .await
        .unwrap_or(Err(ApiError::RequestTimeout))
        .unwrap_or_else(|e| e.into_json(lang))
}

/// The handler of each route. Errors on tally's HTML pages are answered as
/// pages to a browser.
async fn dispatch(
    public: &Public,
    matched: &Matched<Route>,
    req: Req,
    client: Client,
) -> Result<Response, ApiError> {
    let as_page = page_of(&public.door.look, matched, req.uri().query(), req.headers());
    match (route(public, matched, req, client).await, as_page) {
        (Err(error), Some((depth, lang))) => {
            Ok(pages::error_page(&public.door.look, lang, depth, error))
        }
        (answer, _) => answer,
    }
}

/// For a browser on one of tally's HTML pages: where the page sits and its
/// language, to answer an error as a page.
fn page_of(
    look: &Look,
    matched: &Matched<Route>,
    query: Option<&str>,
    headers: &http::HeaderMap,
) -> Option<(Depth, Lang)> {
    let depth = match matched.route? {
        Route::Home | Route::Archive => Depth::Top,
        Route::PollPage => Depth::Poll,
        Route::PollResultsPage => Depth::Results,
        _ => return None,
    };
    pages::wants_html(headers).then(|| (depth, look.lang(query)))
}

async fn route(
    public: &Public,
    matched: &Matched<Route>,
    req: Req,
    client: Client,
) -> Result<Response, ApiError> {
    let Some(route) = matched.route else {
        return Err(ApiError::NotFound);
    };
    let method = req.method().clone();
    if !matched.takes(&method) {
        return refuse_method(matched, &method);
    }
    let (counter, polls) = (&public.counter, &public.polls);
    let id = matched.id.as_deref();
    match route {
        Route::Hits => counter.post_hit(req, client).await,
        Route::Counter => counter.get_counter(&req).await,
        Route::CounterSvg => pages::badge(counter, &req).await,
        Route::Pixel => counter.pixel(&req, client).await,
        Route::Widget => Ok(assets::widget(req.headers(), req.uri().query())),
        Route::Demo => Ok(assets::demo()),
        Route::DemoCss => Ok(assets::demo_css()),
        Route::Favicon => Ok(assets::favicon()),
        Route::PagesCss => Ok(assets::pages_css()),
        Route::OpenApi => Ok(openapi::public()),
        Route::Polls => polls.get_archive(&req).await,
        Route::Poll => polls.get_poll(&req, id).await,
        Route::PollVotes => polls.post_vote(req, client, id).await,
        Route::PollResults => polls.get_results(&req, id).await,
        Route::PollEvents => polls.events(&req, id).await,
        Route::PollChallenge => polls.get_challenge(id).await,
        Route::PollPage if method == Method::POST => pages::post_form(polls, req, client, id).await,
        Route::PollPage => pages::poll_page(polls, &req, client, id).await,
        Route::PollResultsPage => pages::results_page(polls, &req, id).await,
        Route::Home => Ok(pages::home_page(&polls.look, &req)),
        Route::Archive => pages::archive_page(polls, &req).await,
    }
}

/// A method the route does not take: a plain `OPTIONS` (a CORS preflight
/// never gets here) is answered `204` with `Allow`, others `405`.
fn refuse_method(matched: &Matched<Route>, method: &Method) -> Result<Response, ApiError> {
    let allow = matched.allow();
    if method == Method::OPTIONS {
        let mut response = bytes_response(
            http::StatusCode::NO_CONTENT,
            "text/plain; charset=utf-8",
            "no-store",
            "",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return Ok(response);
    }
    Err(ApiError::MethodNotAllowed { allow })
}

/// Headers every public response carries.
fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
}
