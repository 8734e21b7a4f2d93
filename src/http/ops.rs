//! The ops listener: metrics, health, readiness, its API document and the
//! admin API.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{HeaderValue, Method, Request, StatusCode, header};
use hyper::body::Incoming;
use ipnet::IpNet;
use serde::Serialize;
use utoipa::ToSchema;

use super::admission::{Admission, Saturation};
use super::api::admin::AdminApi;
use super::api::query_param;
use super::client;
use super::console::Console;
use super::error::ApiError;
use super::limit::RateLimits;
use super::openapi;
use super::respond::{Response, bytes_response, json_response};
use super::router::{OPS_TABLE, OpsRoute};
use crate::counter::Counter;
use crate::metrics::{Metrics, method_label, status_class};

/// How long `/readyz` waits for the store.
const READY_DEADLINE: Duration = Duration::from_secs(1);

/// What readiness looks at.
pub struct Health {
    pub counter: Arc<Counter>,
    pub admission: Arc<Admission>,
    pub public_at_cap: Arc<Saturation>,
}

/// Everything the ops listener serves.
pub struct Ops {
    pub admin: AdminApi,
    pub console: Console,
    pub health: Health,
    /// The public listener's rate limiters, whose size the metrics show.
    pub rate_limits: Arc<RateLimits>,
    pub metrics: Arc<Metrics>,
    pub trusted_proxies: Vec<IpNet>,
}

/// Answers one ops request from `peer`.
pub async fn handle(ops: &Ops, req: Request<Incoming>, peer: SocketAddr) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let matched = OPS_TABLE.at(req.uri().path());
    let result = match matched.route {
        None => Err(ApiError::NotFound),
        Some(_) if !matched.takes(&method) => {
            if method == Method::OPTIONS {
                Ok(allow(matched.allow()))
            } else {
                Err(ApiError::MethodNotAllowed {
                    allow: matched.allow(),
                })
            }
        }
        Some(OpsRoute::Metrics) => {
            ops.metrics
                .hit_buffer
                .set(ops.health.counter.buffered() as i64);
            let (lenient, strict) = ops.rate_limits.keys();
            for (limiter, keys) in [("lenient", lenient), ("strict", strict)] {
                ops.metrics
                    .limiter_keys
                    .with_label_values(&[limiter])
                    .set(keys as i64);
            }
            Ok(bytes_response(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                "no-store",
                ops.metrics.render(),
            ))
        }
        Some(OpsRoute::Health) => Ok(json_response(StatusCode::OK, &Liveness { status: "ok" })),
        Some(OpsRoute::Ready) => Ok(ready(&ops.health, req.uri().query()).await),
        Some(OpsRoute::OpenApi) => Ok(openapi::ops()),
        Some(OpsRoute::Console(page)) => {
            let client = client::resolve(peer, req.headers(), &ops.trusted_proxies);
            let id = matched.id.clone();
            Ok(ops.console.handle(page, id.as_deref(), req, client).await)
        }
        Some(route) => {
            let client = client::resolve(peer, req.headers(), &ops.trusted_proxies);
            let id = matched.id.clone();
            ops.admin.handle(route, id.as_deref(), req, client).await
        }
    };
    let response = result.unwrap_or_else(ApiError::into_response);
    let status = response.status().as_u16();
    ops.metrics
        .http_requests
        .with_label_values(&[
            "ops",
            matched.template,
            method_label(&method),
            status_class(status),
        ])
        .inc();
    ops.metrics
        .http_duration
        .with_label_values(&["ops", matched.template, method_label(&method)])
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `204` with `Allow`, for a plain `OPTIONS`.
fn allow(methods: &'static str) -> Response {
    let mut response = bytes_response(
        StatusCode::NO_CONTENT,
        "text/plain; charset=utf-8",
        "no-store",
        "",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(methods));
    response
}

/// `/healthz`'s answer: the process serves.
#[derive(Serialize, ToSchema)]
pub struct Liveness {
    #[schema(value_type = String, pattern = "^ok$")]
    pub status: &'static str,
}

/// `/readyz`'s answer.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: Ready,
    /// The store's kind: `embedded`, `redis` or `redis-cluster`.
    #[schema(value_type = String, example = "redis")]
    pub store: &'static str,
    pub checks: Checks,
    /// Requests waiting for a turn now.
    pub waiting_for_a_turn: usize,
}

/// Whether the replica should get traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ready {
    Ready,
    Unready,
}

/// What readiness looked at.
#[derive(Serialize, ToSchema)]
#[schema(as = ReadinessChecks)]
pub struct Checks {
    pub store: StoreCheck,
    pub public_listener: ListenerCheck,
}

/// Whether the store answered within a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreCheck {
    Ok,
    Unavailable,
    /// Left out by `?exclude=store`.
    Excluded,
}

/// Whether the public listener keeps up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListenerCheck {
    Serving,
    /// Requests have waited for a turn for over a second.
    Queueing,
    /// The connection cap has been reached for over a second.
    AtConnectionCap,
}

/// Ready when the store answers and the public listener is not starved
/// (requests queueing for a turn, or the connection cap reached, for over
/// a second). `?exclude=store` leaves the store out, as Kubernetes' own
/// `/readyz?exclude=…` does: the readiness probe uses it, so a Redis
/// outage does not take every replica out of rotation at once (hits are
/// buffered meanwhile), while a starved replica is.
async fn ready(health: &Health, query: Option<&str>) -> Response {
    let store = if query_param(query, "exclude").is_some_and(|v| v == "store") {
        StoreCheck::Excluded
    } else {
        match tokio::time::timeout(READY_DEADLINE, health.counter.ping()).await {
            Ok(Ok(())) => StoreCheck::Ok,
            _ => StoreCheck::Unavailable,
        }
    };
    let public_listener = if health.admission.starved() {
        ListenerCheck::Queueing
    } else if health.public_at_cap.starved() {
        ListenerCheck::AtConnectionCap
    } else {
        ListenerCheck::Serving
    };
    let ready = store != StoreCheck::Unavailable && public_listener == ListenerCheck::Serving;
    let body = Readiness {
        status: if ready { Ready::Ready } else { Ready::Unready },
        store: health.counter.store_kind(),
        checks: Checks {
            store,
            public_listener,
        },
        waiting_for_a_turn: health.admission.waiting(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, &body)
}
