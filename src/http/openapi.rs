//! The OpenAPI documents of both listeners.

use http::StatusCode;

use super::respond::{Response, bytes_response};

const PUBLIC: &str = include_str!("openapi-public.json");

/// `GET /openapi.json` on the public listener.
pub fn public() -> Response {
    bytes_response(
        StatusCode::OK,
        "application/json; charset=utf-8",
        "public, max-age=300",
        PUBLIC,
    )
}

/// `GET /openapi.json` on the ops listener.
pub fn ops() -> Response {
    bytes_response(
        StatusCode::OK,
        "application/json; charset=utf-8",
        "no-store",
        "{}",
    )
}
