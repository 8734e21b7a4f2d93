//! The admin API's draft route: publishing a poll saved as a draft (a
//! poll is saved as a draft, or taken back to draft, by creating or
//! replacing it with `draft: true`).

use std::sync::Arc;

use axum::extract::State;
use http::StatusCode;

use super::bodies::AdminPoll;
use super::params::{Poll, Site};
use super::{AdminApi, EditPolls, Named, PollPath, Signed, poll_id};
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, json_response};
use crate::refusals;

refusals!(PublishRefusals: [PollNotFound, SiteNotFound, AdminDisabled, Unauthorized,
    ForbiddenRole, locked_out(), StoreUnavailable]);

/// Publish a draft
///
/// Makes a draft public: from now on it follows its dates (one whose
/// `opens_at` is ahead is scheduled, not open). A published poll is
/// answered as it is.
#[utoipa::path(
    post, path = "/admin/polls/{id}/publish", tag = "admin", operation_id = "publishPoll",
    security(("bearer" = [])),
    params(Poll, Site),
    responses((status = 200, description = "The published poll.", body = AdminPoll), PublishRefusals),
)]
pub async fn publish_poll(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<EditPolls, Named>,
) -> Result<Response, ApiError> {
    let editing = api.polls_of(&signed.site)?;
    let state = editing.publish(&signed.who, &poll_id(path)?).await?;
    Ok(json_response(StatusCode::OK, &api.admin_poll(&state, None)))
}
