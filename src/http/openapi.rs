//! The OpenAPI documents of both listeners, generated from the code: the
//! body types derive their schemas ([`super::api::bodies`], [`schemas`]),
//! each route's own answers are declared beside its document
//! ([`public_api`], [`ops_api`]), and the refusals are built from the one
//! error table ([`errors`]). Each document is serialized once.

mod door;
mod errors;
mod ops_api;
mod public_api;
pub mod schemas;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use bytes::Bytes;
use http::StatusCode;
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

use super::respond::{Response, bytes_response};

/// The public listener's document.
pub fn public_document() -> OpenApi {
    public_api::PublicApi::openapi()
}

/// The ops listener's document.
pub fn ops_document() -> OpenApi {
    ops_api::OpsApi::openapi()
}

static PUBLIC: LazyLock<String> = LazyLock::new(|| serialize(&public_document()));
static OPS: LazyLock<String> = LazyLock::new(|| serialize(&ops_document()));

fn serialize(document: &OpenApi) -> String {
    serde_json::to_string(document).expect("an OpenAPI document serializes")
}

fn document(cache_control: &'static str, json: &'static str) -> Response {
    bytes_response(
        StatusCode::OK,
        "application/json; charset=utf-8",
        cache_control,
        Bytes::from_static(json.as_bytes()),
    )
}

/// `GET /openapi.json` on the public listener.
pub fn public() -> Response {
    document("public, max-age=300", PUBLIC.as_str())
}

/// `GET /openapi.json` on the ops listener.
pub fn ops() -> Response {
    document("no-store", OPS.as_str())
}
