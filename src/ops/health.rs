//! The ops listener's own routes: Prometheus metrics, liveness,
//! readiness, and this listener's API document.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use http::{StatusCode, Uri};
use serde::Serialize;
use utoipa::ToSchema;

use crate::counter::Counter;
use crate::edge::admission::{Admission, Saturation};
use crate::edge::doc::Document;
use crate::edge::limit::RateLimits;
use crate::edge::respond::{self, Response, bytes_response, json_response, query_param};
use crate::edge::schema;
use crate::metrics::Metrics;

/// How long `/readyz` waits for the store.
const READY_DEADLINE: Duration = Duration::from_secs(1);

/// What health, readiness and the metrics look at.
pub struct Health {
    pub counter: Arc<Counter>,
    pub admission: Arc<Admission>,
    pub public_at_cap: Arc<Saturation>,
    /// The public listener's rate limiters, whose size the metrics show.
    pub rate_limits: Arc<RateLimits>,
    pub metrics: Arc<Metrics>,
}

/// Metrics
///
/// Prometheus text format; every name starts with `tally_`.
#[utoipa::path(
    get, path = "/metrics", tag = "operations", operation_id = "getMetrics",
    responses(
        (status = 200, description = "The metrics.", body = String,
            content_type = "text/plain; version=0.0.4; charset=utf-8"),
    ),
)]
pub async fn get_metrics(State(health): State<Arc<Health>>) -> Response {
    let metrics = &health.metrics;
    metrics.hit_buffer.set(health.counter.buffered() as i64);
    let disk = health.counter.store_disk();
    metrics.store_writable.set(i64::from(disk.writable));
    let counted = metrics.store_write_failures.get();
    metrics
        .store_write_failures
        .inc_by(disk.refused.saturating_sub(counted));
    let (lenient, strict) = health.rate_limits.keys();
    for (limiter, keys) in [("lenient", lenient), ("strict", strict)] {
        metrics
            .limiter_keys
            .with_label_values(&[limiter])
            .set(keys as i64);
    }
    bytes_response(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        "no-store",
        metrics.render(),
    )
}

/// Liveness
///
/// The process serves.
#[utoipa::path(
    get, path = "/healthz", tag = "operations", operation_id = "getHealth",
    responses((status = 200, description = "Alive.", body = Liveness)),
)]
pub async fn get_health() -> Response {
    // What `json_response` makes of `Liveness { status: "ok" }`: the body
    // and its headers are all static, so the answer allocates only its
    // header map and body handle (hyper writes the length).
    respond::answer(
        StatusCode::OK,
        respond::JSON,
        respond::NO_STORE,
        axum::body::Body::from(LIVE),
    )
}

/// `/healthz`'s body.
const LIVE: &str = r#"{"status":"ok"}"#;

/// This document
///
/// The OpenAPI document of the ops API.
#[utoipa::path(
    get, path = "/openapi.json", tag = "meta", operation_id = "getOpsOpenApi",
    responses((status = 200, description = "This document.", body = schema::Document)),
)]
pub async fn get_openapi(State(document): State<Arc<Document>>) -> Response {
    document.answer()
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
    /// Why the store check failed, as the store said (absent when it
    /// passed): e.g. the embedded store's disk refusing writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "embedded store: writes fail (I/O error: No space left on device (os error 28)), for 12s; reopening the database"
    )]
    pub store_error: Option<String>,
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

/// Readiness
///
/// Ready when the store answers within a second and the public listener is
/// not starved (requests queueing for a turn, or the connection cap
/// reached, for over a second). `?exclude=store` leaves the store out, as
/// Kubernetes' own `/readyz?exclude=…` does: a readiness probe that uses it
/// keeps a store outage from taking every replica out of rotation at once
/// (hits are buffered meanwhile), while a starved replica still is.
#[utoipa::path(
    get, path = "/readyz", tag = "operations", operation_id = "getReady",
    params(
        ("exclude" = Option<String>, Query, description = "`store`: leave the store out of the verdict."),
    ),
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 503, description = "Not ready: what failed is in `checks`.", body = Readiness),
    ),
)]
pub async fn get_ready(State(health): State<Arc<Health>>, uri: Uri) -> Response {
    let query = uri.query();
    let (store, store_error) = if query_param(query, "exclude").is_some_and(|v| v == "store") {
        (StoreCheck::Excluded, None)
    } else {
        match tokio::time::timeout(READY_DEADLINE, health.counter.ping()).await {
            Ok(Ok(())) => (StoreCheck::Ok, None),
            Ok(Err(e)) => (StoreCheck::Unavailable, Some(e.to_string())),
            Err(_) => (
                StoreCheck::Unavailable,
                Some(format!("no answer within {READY_DEADLINE:?}")),
            ),
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
        store_error,
        waiting_for_a_turn: health.admission.waiting(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn liveness_is_the_json_answer() {
        let made = json_response(StatusCode::OK, &Liveness { status: "ok" });
        let given = get_health().await;
        assert_eq!(given.status(), made.status());
        for name in ["content-type", "cache-control"] {
            assert_eq!(given.headers().get(name), made.headers().get(name));
        }
        let body = serde_json::to_string(&Liveness { status: "ok" }).unwrap();
        assert_eq!(LIVE, body);
        let length = http_body::Body::size_hint(given.body()).exact();
        assert_eq!(length, Some(body.len() as u64));
    }
}
