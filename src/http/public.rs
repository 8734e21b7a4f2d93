//! The public listener: routing, CORS, security headers and request metrics.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderValue, Method, Request, header};
use hyper::body::Incoming;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::client::{self, Client};
use super::error::ApiError;
use super::i18n::Lang;
use super::limit::{Allowed, Class};
use super::respond::{Req, Response, bytes_response, read_body};
use super::{allow, allow_get, allow_post, assets, counter_api, pages, polls_api};
use crate::app::App;
use crate::metrics::{method_label, status_class};
use crate::telemetry::Refusal;

/// The OpenAPI document of the public API.
const OPENAPI: &str = include_str!("openapi.json");

/// A public route, named by its template for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Hits,
    Counter,
    CounterSvg,
    Pixel,
    Widget,
    Demo,
    DemoCss,
    Favicon,
    Poll,
    PollVotes,
    PollResults,
    PollPage,
    PollResultsPage,
    PagesCss,
    OpenApi,
    Unmatched,
}

impl Route {
    fn of(path: &str) -> Self {
        let mut segments = [""; 4];
        let mut n = 0;
        for segment in path.split('/').skip(1) {
            if n == segments.len() {
                return Route::Unmatched;
            }
            segments[n] = segment;
            n += 1;
        }
        match &segments[..n] {
            ["v1", "hits"] => Route::Hits,
            ["v1", "counter"] => Route::Counter,
            ["v1", "counter.svg"] => Route::CounterSvg,
            ["v1", "pixel.gif"] => Route::Pixel,
            ["widget.js"] => Route::Widget,
            ["demo"] => Route::Demo,
            ["demo.css"] => Route::DemoCss,
            ["favicon.ico"] => Route::Favicon,
            ["v1", "polls", _] => Route::Poll,
            ["v1", "polls", _, "votes"] => Route::PollVotes,
            ["v1", "polls", _, "results"] => Route::PollResults,
            ["polls", _] => Route::PollPage,
            ["polls", _, "results"] => Route::PollResultsPage,
            ["pages.css"] => Route::PagesCss,
            ["openapi.json"] => Route::OpenApi,
            _ => Route::Unmatched,
        }
    }

    pub fn template(self) -> &'static str {
        match self {
            Route::Hits => "/v1/hits",
            Route::Counter => "/v1/counter",
            Route::CounterSvg => "/v1/counter.svg",
            Route::Pixel => "/v1/pixel.gif",
            Route::Widget => "/widget.js",
            Route::Demo => "/demo",
            Route::DemoCss => "/demo.css",
            Route::Favicon => "/favicon.ico",
            Route::Poll => "/v1/polls/{id}",
            Route::PollVotes => "/v1/polls/{id}/votes",
            Route::PollResults => "/v1/polls/{id}/results",
            Route::PollPage => "/polls/{id}",
            Route::PollResultsPage => "/polls/{id}/results",
            Route::PagesCss => "/pages.css",
            Route::OpenApi => "/openapi.json",
            Route::Unmatched => "unmatched",
        }
    }
}

/// CORS for `TALLY_ALLOWED_ORIGINS`: credentials (the visitor cookie) are
/// allowed, for those origins only; preflights are cached for a day.
pub fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static(super::identity::VISITOR_HEADER),
        ])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(86_400))
}

/// The service for one public connection from `peer`. Around the routes,
/// in order: rate limits, CORS (which answers preflights itself), then
/// security headers and metrics around everything.
pub fn service(
    app: Arc<App>,
    peer: SocketAddr,
) -> impl tower::Service<Request<Incoming>, Response = Response, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    let routes = ServiceBuilder::new()
        .layer(app.cors.clone())
        .service(tower::service_fn({
            let app = Arc::clone(&app);
            move |req: Request<Incoming>| {
                let app = Arc::clone(&app);
                // Resolved again rather than carried: it is cheaper than a
                // request extension.
                let client = client::resolve(peer, req.headers(), &app.settings.trusted_proxies);
                async move { Ok::<_, Infallible>(handle(&app, req, client).await) }
            }
        }));
    tower::service_fn(move |req: Request<Incoming>| {
        let app = Arc::clone(&app);
        let routes = routes.clone();
        async move {
            let started = Instant::now();
            let method = req.method().clone();
            let route = Route::of(req.uri().path());
            let client = client::resolve(peer, req.headers(), &app.settings.trusted_proxies);
            let mut response = match limit(&app, route, &req, client) {
                Err(refused) => *refused,
                Ok(allowed) => {
                    // The CORS layer takes every OPTIONS for a preflight;
                    // a plain one goes to the routes, which answer `Allow`.
                    let preflight = req
                        .headers()
                        .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
                    let mut response = if method == Method::OPTIONS && !preflight {
                        handle(&app, req, client).await
                    } else {
                        routes.oneshot(req).await?
                    };
                    let headers = response.headers_mut();
                    headers.insert("ratelimit-limit", HeaderValue::from(allowed.limit));
                    headers.insert("ratelimit-remaining", HeaderValue::from(allowed.remaining));
                    response
                }
            };
            secure(&mut response);
            let status = response.status().as_u16();
            app.metrics
                .http_requests
                .with_label_values(&[
                    "public",
                    route.template(),
                    method_label(&method),
                    status_class(status),
                ])
                .inc();
            app.metrics
                .http_duration
                .with_label_values(&["public", route.template(), method_label(&method)])
                .observe(started.elapsed().as_secs_f64());
            // Addresses reach the logs only when the operator asks.
            let address = app.settings.log_addresses.then_some(client.ip);
            tracing::debug!(
                route = route.template(),
                method = %method,
                status,
                micros = started.elapsed().as_micros() as u64,
                client = address.map(tracing::field::display),
                "request"
            );
            Ok(response)
        }
    })
}

/// Takes the request from its client's bucket; the refusal, answered, when
/// it is over the limit.
fn limit(
    app: &App,
    route: Route,
    req: &Request<Incoming>,
    client: Client,
) -> Result<Allowed, Box<Response>> {
    let ballot =
        route == Route::PollVotes || (route == Route::PollPage && req.method() == Method::POST);
    let class = if ballot {
        Class::Strict
    } else {
        Class::Lenient
    };
    app.limits.check(class, client.ip).map_err(|refused| {
        app.metrics
            .rate_limited
            .with_label_values(&[route.template()])
            .inc();
        app.refusals.note(Refusal::RateLimited, route.template());
        if ballot {
            let id = req
                .uri()
                .path()
                .rsplit('/')
                .find(|s| !s.is_empty() && *s != "votes");
            app.voting.count_refused(id.unwrap_or(""), "rate_limited");
        }
        let error = ApiError::RateLimited {
            retry_after_secs: refused.retry_after.as_secs_f64().ceil().max(1.0) as u64,
            limit: refused.limit,
        };
        let page = matches!(route, Route::PollPage | Route::PollResultsPage);
        Box::new(if page && pages::wants_html(req.headers()) {
            pages::error_page(app, Lang::choose(req.uri().query(), req.headers()), error)
        } else {
            error.into_response()
        })
    })
}

/// Answers one request that is within its limits (CORS aside). Its body
/// is read first, under its own deadline; only then does it wait for a
/// turn, so a client sending slowly holds its connection and nothing else.
async fn handle(app: &App, req: Request<Incoming>, client: Client) -> Response {
    let route = Route::of(req.uri().path());
    let limits = &app.settings.limits;
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
        Err(e) => return e.into_response(),
    };
    let admitted = async {
        let _turn = app.admission.enter().await;
        dispatch(app, route, req, client).await
    };
    tokio::time::timeout(limits.request_timeout, admitted)
        .await
        .unwrap_or(Err(ApiError::RequestTimeout))
        .unwrap_or_else(ApiError::into_response)
}

async fn dispatch(app: &App, route: Route, req: Req, client: Client) -> Result<Response, ApiError> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // The poll id is the third segment of /v1/polls/{id}/… and the second
    // of /polls/{id}/….
    let id_at = match route {
        Route::Poll | Route::PollVotes | Route::PollResults => 3,
        _ => 2,
    };
    let id = path.split('/').nth(id_at).unwrap_or("");
    match route {
        Route::Poll => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => polls_api::get_poll(app, &req, id).await,
        },
        Route::PollVotes => match allow_post(&method)? {
            Some(options) => Ok(options),
            None => polls_api::post_vote(app, req, client, id).await,
        },
        Route::PollResults => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => polls_api::get_results(app, id).await,
        },
        Route::PollPage | Route::PollResultsPage => {
            let lang = Lang::choose(req.uri().query(), req.headers());
            let html = pages::wants_html(req.headers());
            let answer = match (route, method) {
                (Route::PollPage, Method::GET | Method::HEAD) => {
                    pages::poll_page(app, &req, client, id).await
                }
                (Route::PollPage, Method::POST) => pages::post_form(app, req, client, id).await,
                (Route::PollPage, m) => {
                    allow(&m, &[], "GET, HEAD, POST").map(|o| o.expect("OPTIONS only"))
                }
                (_, m) => match allow_get(&m) {
                    Ok(Some(options)) => Ok(options),
                    Ok(None) => pages::results_page(app, &req, id).await,
                    Err(e) => Err(e),
                },
            };
            match answer {
                Err(e) if html => Ok(pages::error_page(app, lang, e)),
                other => other,
            }
        }
        Route::CounterSvg => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => assets::badge(app, &req).await,
        },
        Route::Pixel => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => assets::pixel(app, &req, client).await,
        },
        Route::Widget => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => Ok(assets::widget(req.headers(), req.uri().query())),
        },
        Route::Demo => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => Ok(assets::demo()),
        },
        Route::DemoCss => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => Ok(bytes_response(
                http::StatusCode::OK,
                "text/css; charset=utf-8",
                "public, max-age=3600",
                assets::DEMO_CSS,
            )),
        },
        Route::Favicon => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => Ok(assets::favicon()),
        },
        Route::PagesCss => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => Ok(bytes_response(
                http::StatusCode::OK,
                "text/css; charset=utf-8",
                "public, max-age=3600",
                pages::STYLESHEET,
            )),
        },
        Route::Hits => match allow_post(&method)? {
            Some(options) => Ok(options),
            None => counter_api::post_hit(app, req, client).await,
        },
        Route::Counter => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => counter_api::get_counter(app, req.uri().query()).await,
        },
        Route::OpenApi => match allow_get(&method)? {
            Some(options) => Ok(options),
            None => Ok(bytes_response(
                http::StatusCode::OK,
                "application/json; charset=utf-8",
                "public, max-age=300",
                OPENAPI,
            )),
        },
        Route::Unmatched => Err(ApiError::NotFound),
    }
}

/// Headers every public response carries.
fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    // The CORS layer marks every answer as allowing credentials; that only
    // means something, and is only said, beside an allowed origin.
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
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
