//! The ops listener: metrics, health and the admin API.

use std::time::{Duration, Instant};

use http::{Request, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use super::error::ApiError;
use super::respond::{Response, bytes_response, json_response};
use super::{admin, allow_get};
use crate::app::App;
use crate::metrics::{method_label, status_class};

/// How long `/readyz` waits for the store.
const READY_DEADLINE: Duration = Duration::from_secs(1);

/// Answers one ops request from `peer`.
pub async fn handle(app: &App, req: Request<Incoming>, peer: std::net::SocketAddr) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (template, result) = match path.as_str() {
        "/metrics" => ("/metrics", metrics(app, &method)),
        "/healthz" => ("/healthz", health(&method)),
        "/readyz" => ("/readyz", ready(app, &req).await),
        _ => match path.strip_prefix("/admin/") {
            Some(rest) => {
                let segments: Vec<&str> = rest.split('/').collect();
                let client =
                    super::client::resolve(peer, req.headers(), &app.settings.trusted_proxies);
                ("/admin", admin::handle(app, req, client, &segments).await)
            }
            None => ("unmatched", Err(ApiError::NotFound)),
        },
    };
    let response = result.unwrap_or_else(ApiError::into_response);
    let status = response.status().as_u16();
    app.metrics
        .http_requests
        .with_label_values(&["ops", template, method_label(&method), status_class(status)])
        .inc();
    app.metrics
        .http_duration
        .with_label_values(&["ops", template, method_label(&method)])
        .observe(started.elapsed().as_secs_f64());
    response
}

fn metrics(app: &App, method: &http::Method) -> Result<Response, ApiError> {
    if let Some(options) = allow_get(method)? {
        return Ok(options);
    }
    app.metrics.hit_buffer.set(app.counter.buffered() as i64);
    Ok(bytes_response(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        "no-store",
        app.metrics.render(),
    ))
}

fn health(method: &http::Method) -> Result<Response, ApiError> {
    if let Some(options) = allow_get(method)? {
        return Ok(options);
    }
    Ok(json_response(StatusCode::OK, &json!({ "status": "ok" })))
}

/// Ready when the store answers and the public listener is not starved
/// (requests queueing for a turn, or the connection cap reached, for over
/// a second). `?exclude=store` leaves the store out, as Kubernetes' own
/// `/readyz?exclude=…` does: the readiness probe uses it, so a Redis
/// outage does not take every replica out of rotation at once (hits are
/// buffered meanwhile), while a starved replica is.
async fn ready(app: &App, req: &Request<Incoming>) -> Result<Response, ApiError> {
    if let Some(options) = allow_get(req.method())? {
        return Ok(options);
    }
    let exclude_store = req.uri().query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "exclude" && v == "store")
    });
    let store = if exclude_store {
        "excluded"
    } else {
        match tokio::time::timeout(READY_DEADLINE, app.store.ping()).await {
            Ok(Ok(())) => "ok",
            _ => "unavailable",
        }
    };
    let listener = if app.admission.starved() {
        "queueing"
    } else if app.public_at_cap.starved() {
        "at_connection_cap"
    } else {
        "serving"
    };
    let ready = store != "unavailable" && listener == "serving";
    let body = json!({
        "status": if ready { "ready" } else { "unready" },
        "store": app.store.kind(),
        "checks": { "store": store, "public_listener": listener },
        "waiting_for_a_turn": app.admission.waiting(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok(json_response(status, &body))
}
