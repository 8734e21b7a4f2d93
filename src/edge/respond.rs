//! Building answers and reading requests: JSON and plain answers, request
//! bodies read within a limit, media types, and query parameters.

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use serde::Serialize;

use super::error::ApiError;

/// Every answer.
pub type Response = axum::response::Response;

/// The header values of the busiest answers, checked once when compiled:
/// `HeaderValue::from_static` called at run time checks every byte again.
pub const JSON: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
pub const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
pub const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

/// A JSON answer that no cache keeps.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("serializing plain data cannot fail");
    answer(status, JSON, NO_STORE, Body::from(body))
}

/// A plain answer with a content type and cache policy.
pub fn bytes_response(
    status: StatusCode,
    content_type: &'static str,
    cache_control: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    let (content_type, cache_control) = (
        HeaderValue::from_static(content_type),
        HeaderValue::from_static(cache_control),
    );
    answer(status, content_type, cache_control, Body::from(body.into()))
}

/// An answer with a content type and cache policy.
pub fn answer(
    status: StatusCode,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    body: Body,
) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, cache_control);
    response
}

/// Whether the request's media type (ignoring parameters) is one of `types`.
pub fn media_type_is(headers: &HeaderMap, types: &[&str]) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .is_some_and(|media| types.iter().any(|t| t.eq_ignore_ascii_case(media)))
}

/// Parses a JSON object into `T`. Other JSON values are refused even where
/// serde would read a struct from them (an array, by position).
pub fn json_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::InvalidJson("expected a JSON object".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))
}

/// Reads the whole body, refusing more than `limit` bytes before reading
/// them where Content-Length says so, and as they arrive otherwise.
pub async fn read_body<B>(headers: &HeaderMap, body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(ApiError::PayloadTooLarge { limit })
        }
        Err(e) => Err(ApiError::InvalidBody(format!(
            "the body could not be read: {e}"
        ))),
    }
}

/// A query parameter, decoded (the first of its name).
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
