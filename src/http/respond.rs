//! Building responses and reading request bodies.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::Serialize;

use super::error::ApiError;

/// An answer's body: whole (almost every answer), or an event stream.
pub enum Body {
    Whole(Full<Bytes>),
    Events(super::stream::EventStream),
}

impl Default for Body {
    /// Empty, as the CORS layer answers a preflight.
    fn default() -> Self {
        Body::Whole(Full::default())
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Body::Whole(full) => std::pin::Pin::new(full).poll_frame(cx),
            Body::Events(events) => std::pin::Pin::new(events).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Whole(full) => full.is_end_stream(),
            Body::Events(_) => false,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Body::Whole(full) => full.size_hint(),
            Body::Events(_) => http_body::SizeHint::default(),
        }
    }
}
pub type Response = http::Response<Body>;
/// A public request whose body has arrived whole.
pub type Req = http::Request<Bytes>;

/// A JSON answer that no cache keeps.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("serializing plain data cannot fail");
    let mut response = http::Response::new(Body::Whole(Full::new(Bytes::from(body))));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A plain answer with a content type and cache policy.
pub fn bytes_response(
    status: StatusCode,
    content_type: &'static str,
    cache_control: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    let mut response = http::Response::new(Body::Whole(Full::new(body.into())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

/// Whether the request's media type (ignoring parameters) is one of `types`.
pub fn media_type_is(headers: &HeaderMap, types: &[&str]) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|media| types.contains(&media.as_str()))
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
pub async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<Bytes, ApiError> {
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
