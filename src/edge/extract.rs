//! What a route takes from its request without copying it: the body the
//! door already read, the headers moved out of the request, the path
//! parameter the door matched and the client it resolved. axum's own
//! `Bytes` extractor reads a body the door has read once more, and its
//! `HeaderMap` extractor copies every header; on the busiest routes each
//! costs more than the route's own work.

use std::cell::Cell;
use std::convert::Infallible;
use std::ops::Range;

use axum::extract::{FromRequest, FromRequestParts, Request};
use bytes::Bytes;
use http::HeaderMap;
use http::request::Parts;

use super::client::Client;
use super::error::ApiError;

/// What the door gives the route it calls, beside the request. It rides
/// a task-local around the route's future ([`answering`]), which costs no
/// allocation, where the request's extensions cost three.
pub(super) struct Given {
    pub client: Client,
    /// Where the route's path parameter lies in the request's path.
    pub param: Option<Range<usize>>,
    /// The body the door read, until the route takes it.
    pub body: Cell<Option<Bytes>>,
}

tokio::task_local! {
    static GIVEN: Given;
}

/// `route`, given `given`.
pub(super) fn answering<F: Future>(given: Given, route: F) -> impl Future<Output = F::Output> {
    GIVEN.scope(given, route)
}

/// The client of the request being answered.
pub(super) fn client() -> Option<Client> {
    GIVEN.try_with(|given| given.client).ok()
}

/// A request's body, whole. On a listener whose door reads every body
/// ([`super::door::Door::read_body`]) it is the body the door read; else
/// it is read here.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if let Ok(Some(bytes)) = GIVEN.try_with(|given| given.body.take()) {
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
pub struct Param(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Param {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Param(param(parts)))
    }
}

/// The path parameter of the request whose `parts` these are (see
/// [`Param`]).
pub fn param(parts: &Parts) -> Option<String> {
    let range = GIVEN.try_with(|given| given.param.clone()).ok().flatten()?;
    decoded(parts.uri.path().get(range)?)
}

/// A path segment percent-decoded, if that is UTF-8.
fn decoded(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_is_percent_decoded_when_it_is_utf8() {
        assert_eq!(decoded("x%20y").as_deref(), Some("x y"));
        assert_eq!(decoded("b%C3%ACnh").as_deref(), Some("bình"));
        assert_eq!(decoded("%FF"), None);
    }
}
