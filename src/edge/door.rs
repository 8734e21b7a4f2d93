//! The door every request to a listener passes, once: its route matched
//! and its client resolved, the rate limit, CORS, its body read under its
//! own deadline, a turn, then the routes; on the way out, refusals rendered
//! the way the request asked (JSON, or a page for a browser on a page),
//! `405` and `OPTIONS` answered with `Allow`, the security headers, and the
//! route's metrics.

use std::cell::Cell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri, header};
use hyper::body::Incoming;
use ipnet::IpNet;
use tower::ServiceExt;
use tower_http::cors::CorsLayer;

use super::admission::Admission;
use super::client::{self, Client};
use super::error::{ApiError, Refused};
use super::extract::{self, Given};
use super::limit::{Allowed, Class, RateLimits};
use super::meters::RouteMeters;
use super::respond::{Response, bytes_response, query_param, read_body};
use super::routes::{Matched, Missed};
pub use super::routes::{Routes, Table};
use crate::config::Limits;
use crate::ids::SiteId;
use crate::metrics::{Metrics, method_label};
use crate::telemetry::{Refusal, Refusals};

/// What a refusal is rendered for: the route and the request's wishes.
#[derive(Clone, Copy)]
pub struct Asked<'a> {
    pub template: &'static str,
    pub uri: &'a Uri,
    /// The request's `Accept`, read only when a refusal is rendered.
    pub accept: Option<&'a HeaderValue>,
}

impl Asked<'_> {
    /// The client would rather read HTML.
    pub fn html(&self) -> bool {
        self.accept
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    }
}

/// Renders a refusal for a request.
pub type Render = Box<dyn Fn(&ApiError, &Asked<'_>) -> Response + Send + Sync>;

/// A listener's rate limits, and the routes (method, template) that fall
/// under the strict one.
pub type Limited = (Arc<RateLimits>, Vec<(Method, &'static str)>);

/// How a listener's door behaves.
pub struct Door {
    /// `public` or `ops`, as metrics and logs name the listener.
    pub listener: &'static str,
    pub table: Table,
    pub meters: RouteMeters,
    pub trusted_proxies: Vec<IpNet>,
    pub limits: Limits,
    /// Routes that may take longer than `TALLY_REQUEST_TIMEOUT`, each with
    /// its own bound (an import of history).
    pub slow_routes: Vec<(&'static str, Duration)>,
    /// Per-client rate limits, with the routes under the strict one.
    pub rate_limits: Option<Limited>,
    /// Turns of request handling; the body is read before one is taken.
    pub admission: Option<Arc<Admission>>,
    /// Reads every body whole (within `TALLY_MAX_BODY_BYTES`) before the
    /// routes; else each route reads its own.
    pub read_body: bool,
    pub cors: Option<CorsLayer>,
    pub render: Render,
    /// The headers every answer carries.
    pub secure: fn(&mut Response),
    pub metrics: Arc<Metrics>,
    pub refusals: Arc<Refusals>,
    /// Client addresses in the per-request debug lines.
    pub log_addresses: bool,
}

/// The service for one connection from `peer`: the door, then its routes.
pub fn service(
    door: Arc<Door>,
    peer: SocketAddr,
) -> impl tower::Service<Request<Incoming>, Response = Response, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    // What this closure holds is cloned for every request, so it holds
    // no more than an `Arc` and an address.
    tower::service_fn(move |req: Request<Incoming>| {
        let door = Arc::clone(&door);
        async move { Ok(door.answer(req, peer).await) }
    })
}

impl Door {
    async fn answer(&self, req: Request<Incoming>, peer: SocketAddr) -> Response {
        let started = Instant::now();
        let method = req.method().clone();
        let route = self.table.at(req.uri().path());
        let (template, index) = (route.template, route.index);
        let client = client::resolve(peer, req.headers(), &self.trusted_proxies);
        let uri = req.uri().clone();
        let accept = req.headers().get(header::ACCEPT).cloned();
        let asked = Asked {
            template,
            uri: &uri,
            accept: accept.as_ref(),
        };
        let mut response = match self.limit(template, &method, client, &asked) {
            Err(refused) => self.with_cors(req, |_| async { *refused }).await,
            Ok(allowed) => {
                // The CORS layer takes every OPTIONS for a preflight; a
                // plain one goes to the routes, which answer `Allow`.
                let preflight = req
                    .headers()
                    .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
                let mut response = if method == Method::OPTIONS && !preflight {
                    self.handle(route, req, client, &asked).await
                } else {
                    let asked = &asked;
                    self.with_cors(req, |req| self.handle(route, req, client, asked))
                        .await
                };
                if let Some(allowed) = allowed {
                    let headers = response.headers_mut();
                    headers.insert(RATELIMIT_LIMIT, number(allowed.limit));
                    headers.insert(RATELIMIT_REMAINING, number(allowed.remaining));
                }
                response
            }
        };
        (self.secure)(&mut response);
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        self.meters
            .record(&self.metrics, index, &method, status, elapsed.as_secs_f64());
        // Addresses reach the logs only when the operator asks.
        let address = self.log_addresses.then_some(client.ip);
        tracing::debug!(
            listener = self.listener,
            route = template,
            method = method_label(&method),
            status,
            micros = elapsed.as_micros() as u64,
            client = address.map(tracing::field::display),
            "request"
        );
        response
    }

    /// Takes the request from its client's bucket (`None`: no limits on
    /// this listener); the refusal, answered, when it is over the limit.
    fn limit(
        &self,
        template: &'static str,
        method: &Method,
        client: Client,
        asked: &Asked<'_>,
    ) -> Result<Option<Allowed>, Box<Response>> {
        let Some((limits, strict)) = &self.rate_limits else {
            return Ok(None);
        };
        let class = if strict.iter().any(|(m, t)| m == method && *t == template) {
            Class::Strict
        } else {
            Class::Lenient
        };
        // A site's own ceiling first: a flood of one site's requests is
        // refused before it takes the replica's from the others.
        let site = limits
            .by_site()
            .then(|| query_param(asked.uri.query(), "site"))
            .flatten()
            .and_then(|name| SiteId::parse(&name).ok());
        let checked = match &site {
            Some(site) => limits.check_site(site),
            None => Ok(()),
        };
        match checked.and_then(|()| limits.check(class, client.ip)) {
            Ok(allowed) => Ok(Some(allowed)),
            Err(refused) => {
                self.metrics
                    .rate_limited
                    .with_label_values(&[template])
                    .inc();
                self.refusals.note(Refusal::RateLimited, template);
                let error = ApiError::RateLimited {
                    retry_after_secs: refused.retry_after.as_secs_f64().ceil().max(1.0) as u64,
                    limit: refused.limit,
                };
                Err(Box::new((self.render)(&error, asked)))
            }
        }
    }

    /// `inner`, behind the listener's CORS rules when it has some, so that
    /// the widget on the portal's origin can read even a refusal.
    async fn with_cors<F, Fut>(&self, req: Request<Incoming>, inner: F) -> Response
    where
        F: FnOnce(Request<Incoming>) -> Fut,
        Fut: Future<Output = Response>,
    {
        let Some(cors) = &self.cors else {
            return inner(req).await;
        };
        let mut inner = Some(inner);
        let service = tower::service_fn(move |req: Request<Incoming>| {
            let inner = inner.take();
            async move {
                match inner {
                    Some(inner) => Ok::<_, Infallible>(inner(req).await),
                    None => Ok(ApiError::Internal.to_json(crate::lang::Lang::En)),
                }
            }
        });
        match tower::Layer::layer(cors, service).oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// Answers one request within its limits. Its body is read first,
    /// under its own deadline; only then does it wait for a turn, so a
    /// client sending slowly holds its connection and nothing else.
    async fn handle(
        &self,
        route: Matched,
        req: Request<Incoming>,
        client: Client,
        asked: &Asked<'_>,
    ) -> Response {
        let limits = &self.limits;
        let (parts, body) = req.into_parts();
        let given = Given {
            client,
            param: route.param,
            body: Cell::new(None),
        };
        let body = if !self.read_body {
            Body::new(body)
        } else if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Body::empty()
        } else {
            let read = read_body(&parts.headers, body, limits.max_body_bytes);
            match tokio::time::timeout(limits.body_timeout, read).await {
                // Kept whole for the route's [`Body`](super::extract::Body):
                // a body given on would be read once more.
                Ok(Ok(bytes)) => {
                    given.body.set(Some(bytes));
                    Body::empty()
                }
                Ok(Err(e)) => return self.json(&e, asked),
                Err(_) => return self.json(&ApiError::RequestTimeout, asked),
            }
        };
        let method = parts.method.clone();
        let reply = match self
            .table
            .call(route.index, Request::from_parts(parts, body))
        {
            Ok(reply) => reply,
            Err(Missed::NotFound) => return (self.render)(&ApiError::NotFound, asked),
            Err(Missed::NotAllowed(allow)) => return self.not_allowed(allow, &method, asked),
        };
        // The handler's future is on the heap already: this one is small.
        let admitted = async {
            let _turn = match &self.admission {
                Some(admission) => Some(admission.enter().await),
                None => None,
            };
            extract::answering(given, reply).await
        };
        let response = match tokio::time::timeout(self.deadline(asked.template), admitted).await {
            Ok(response) => response,
            Err(_) => return self.json(&ApiError::RequestTimeout, asked),
        };
        self.finish(response, asked)
    }

    /// How long a request to `template` may take.
    fn deadline(&self, template: &str) -> Duration {
        let request = self.limits.request_timeout;
        match self.slow_routes.iter().find(|(slow, _)| *slow == template) {
            Some((_, bound)) => request.max(*bound),
            None => request,
        }
    }

    /// Renders a refusal the routes answered.
    fn finish(&self, response: Response, asked: &Asked<'_>) -> Response {
        if let Some(Refused(error)) = response.extensions().get::<Refused>() {
            let error = Arc::clone(error);
            let mut rendered = (self.render)(&error, asked);
            // What the handler set beside its refusal (a cookie) stays.
            for (name, value) in response.headers() {
                let framing = name == header::CONTENT_LENGTH || name == header::CONTENT_TYPE;
                if !framing && !rendered.headers().contains_key(name) {
                    rendered.headers_mut().insert(name.clone(), value.clone());
                }
            }
            return rendered;
        }
        response
    }

    /// A method the route does not answer: `OPTIONS` is told which it
    /// does, with `204`; anything else is refused `405`.
    fn not_allowed(&self, allow: String, method: &Method, asked: &Asked<'_>) -> Response {
        if *method == Method::OPTIONS {
            let mut answer = bytes_response(
                StatusCode::NO_CONTENT,
                "text/plain; charset=utf-8",
                "no-store",
                "",
            );
            if let Ok(value) = HeaderValue::from_str(&allow) {
                answer.headers_mut().insert(header::ALLOW, value);
            }
            return answer;
        }
        (self.render)(&ApiError::MethodNotAllowed { allow }, asked)
    }

    /// A refusal read before a route is chosen: always JSON.
    fn json(&self, error: &ApiError, asked: &Asked<'_>) -> Response {
        (self.render)(
            error,
            &Asked {
                accept: None,
                ..*asked
            },
        )
    }
}

/// The rate limit's headers, named once: a name given as a string is
/// copied into a new allocation on every insert.
const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");

/// Numbers below this are answered from [`SMALL_NUMBERS`].
const SMALL: u32 = 1024;

/// The header values of the numbers below [`SMALL`], made once: a rate
/// limit and what remains of it are nearly always small, and a value
/// cloned from here allocates nothing.
static SMALL_NUMBERS: std::sync::LazyLock<Vec<HeaderValue>> =
    std::sync::LazyLock::new(|| (0..SMALL).map(HeaderValue::from).collect());

/// A number as a header value.
fn number(n: u32) -> HeaderValue {
    match SMALL_NUMBERS.get(n as usize) {
        Some(value) => value.clone(),
        None => HeaderValue::from(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_from_writes_them() {
        for n in [0, 7, 10, 59, 100, 1023, 1024, 4_294_967_295] {
            assert_eq!(number(n), HeaderValue::from(n));
        }
    }
}
