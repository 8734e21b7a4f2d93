//! The admin API's route for the counter's baseline, the visits counted
//! before tally (the primary site's, as its history import is).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, StatusCode};

use super::bodies::Baseline;
use super::{AdminApi, EditPolls, Signed, json_body};
use crate::config::MAX_BASELINE;
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, json_response};
use crate::refusals;

refusals!(BaselineRefusals: [
    admin_payload_too_large(),
    invalid_body(),
    unsupported_media_type("application/json"),
    invalid_json(),
    invalid_baseline(),
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);

/// Set the counter baseline
///
/// The visits counted before this service (e.g. `7582803`): `total` is the
/// baseline plus every visit.
#[utoipa::path(
    put, path = "/admin/counter/baseline", tag = "admin", operation_id = "putBaseline",
    security(("bearer" = [])),
    request_body(content = Baseline, content_type = "application/json"),
    responses((status = 200, description = "The baseline set.", body = Baseline), BaselineRefusals),
)]
pub async fn put_baseline(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<EditPolls>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let who = signed.who;
    let value = json_body(&headers, body).await?;
    let bad = || {
        ApiError::InvalidBaseline(format!(
            "baseline must be a whole number from 0 to {MAX_BASELINE}"
        ))
    };
    let Baseline { baseline } = serde_json::from_value(value).map_err(|_| bad())?;
    if baseline > MAX_BASELINE {
        return Err(bad());
    }
    api.editing.set_baseline(&who, baseline).await?;
    Ok(json_response(StatusCode::OK, &Baseline { baseline }))
}
