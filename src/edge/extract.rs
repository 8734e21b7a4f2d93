//! What a route takes from its request without copying it: the body the
//! door already read, the headers moved out of the request, and the path
//! parameter the door matched. axum's own
//! `Bytes` extractor reads a body the door has read once more, and its
//! `HeaderMap` extractor copies every header; on the busiest routes each
//! costs more than the route's own work.

use std::convert::Infallible;

use axum::extract::{FromRequest, FromRequestParts, Request};
use bytes::Bytes;
use http::HeaderMap;
use http::request::Parts;

use super::error::ApiError;

/// A request's body, whole. On a listener whose door reads every body
/// ([`super::door::Door::read_body`]) it is the body the door read; else
/// it is read here.
pub struct Body(pub Bytes);

/// The body the door read, kept in the request's extensions.
#[derive(Clone)]
pub(super) struct Read(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, ApiError> {
        if let Some(Read(bytes)) = req.extensions_mut().remove::<Read>() {
            return Ok(Body(bytes));
        }
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|e| ApiError::InvalidBody(format!("the body could not be read: {e}")))
    }
}

/// The request's headers, moved out of it. Extractors run in the order of
/// the route's arguments, so this one goes after every other that reads a
/// header (none of tally's own does: they read the extensions).
pub struct Headers(pub HeaderMap);

impl<S: Send + Sync> FromRequestParts<S> for Headers {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Headers(std::mem::take(&mut parts.headers)))
    }
}

/// The route's path parameter (the `{id}` of `/v1/polls/{id}`) as the
/// door matched it, percent-decoded: `None` when the route has none or
/// the path's is not UTF-8.
#[derive(Clone)]
pub struct Param(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Param {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts.extensions.remove::<Param>().unwrap_or(Param(None)))
    }
}
