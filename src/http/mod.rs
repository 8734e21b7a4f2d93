//! The edge: routing, client address and identity, CORS, limits, and
//! rendering answers as JSON or HTML.

mod admin;
pub mod admission;
mod assets;
pub mod auth;
pub mod client;
mod counter_api;
pub mod error;
pub mod i18n;
pub mod identity;
pub mod limit;
mod ops;
mod origin;
mod pages;
mod polls_api;
mod public;
pub mod respond;
pub mod server;

pub use ops::handle as handle_ops;
pub use public::{cors_layer, service as public_service};

use http::{HeaderValue, Method};

use error::ApiError;
use respond::Response;

/// Refuses methods other than GET and HEAD; answers OPTIONS with `Allow`.
fn allow_get(method: &Method) -> Result<Option<Response>, ApiError> {
    allow(method, &[Method::GET, Method::HEAD], "GET, HEAD")
}

/// Refuses methods other than POST; answers OPTIONS with `Allow`.
fn allow_post(method: &Method) -> Result<Option<Response>, ApiError> {
    allow(method, &[Method::POST], "POST")
}

/// Checks `method` against `allowed`. A plain OPTIONS request (not a CORS
/// preflight, which the CORS layer answers) gets `204` with `Allow`.
fn allow(
    method: &Method,
    allowed: &[Method],
    allow: &'static str,
) -> Result<Option<Response>, ApiError> {
    if allowed.contains(method) {
        return Ok(None);
    }
    if method == Method::OPTIONS {
        let mut response = respond::bytes_response(
            http::StatusCode::NO_CONTENT,
            "text/plain; charset=utf-8",
            "no-store",
            "",
        );
        response
            .headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static(allow));
        return Ok(Some(response));
    }
    Err(ApiError::MethodNotAllowed { allow })
}
