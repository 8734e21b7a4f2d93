//! The JSON API, by area: the counter, the polls, and the editors' admin
//! API. Each area holds only the domain service it serves.

pub mod admin;
pub mod admin_bodies;
mod admin_history;
pub mod bodies;
pub mod counter;
mod live;
pub mod polls;

use super::error::ApiError;
use crate::ids::PageId;

/// A query parameter, decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A page id from wherever a request names it.
pub fn page_id(raw: &str) -> Result<PageId, ApiError> {
    PageId::parse(raw).map_err(|e| ApiError::InvalidPage(e.to_string()))
}

/// The `page` query parameter, if present.
pub fn page_param(query: Option<&str>) -> Result<Option<PageId>, ApiError> {
    query_param(query, "page").map(|p| page_id(&p)).transpose()
}
