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

/// Answers one ops request.
pub async fn handle(app: &App, req: Request<Incoming>) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (template, result) = match path.as_str() {
        "/metrics" => ("/metrics", metrics(app, &method)),
        "/healthz" => ("/healthz", health(&method)),
        "/readyz" => ("/readyz", ready(app, &method).await),
        _ => match path.strip_prefix("/admin/") {
            Some(rest) => {
                let segments: Vec<&str> = rest.split('/').collect();
                ("/admin", admin::handle(app, req, &segments).await)
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

async fn ready(app: &App, method: &http::Method) -> Result<Response, ApiError> {
    if let Some(options) = allow_get(method)? {
        return Ok(options);
    }
    let answered = tokio::time::timeout(READY_DEADLINE, app.store.ping()).await;
    match answered {
        Ok(Ok(())) => Ok(json_response(
            StatusCode::OK,
            &json!({ "status": "ready", "store": app.store.kind() }),
        )),
        _ => Err(ApiError::StoreUnavailable),
    }
}
