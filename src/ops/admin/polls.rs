//! The admin API's poll routes: list, create, read, replace, close,
//! reopen, archive and delete a poll, and set the counter's baseline.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;

use super::bodies::{AdminPoll, AdminPolls, Deleted, Put, Reopen};
use super::params::{Force, Poll, Site};
use super::signed::Needs;
use super::{AdminApi, EditPolls, Named, PollPath, Read, Signed, json_body, poll_id};
use crate::edge::error::{ApiError, HeldOption, PollConflictDetail};
use crate::edge::paging::{PagingParams, paging};
use crate::edge::respond::{
    Response, json_object, json_response, media_type_is, query_param, read_body,
};
use crate::edge::schema;
use crate::ids::PollId;
use crate::poll::{Poll as Definition, PollError, PollSpec};
use crate::refusals;
use crate::store::PutPoll;
use crate::voting::Order;

refusals!(ListRefusals: [invalid_query(), SiteNotFound, AdminDisabled, Unauthorized, ForbiddenRole, locked_out(), StoreUnavailable]);
refusals!(PollRefusals: [PollNotFound, SiteNotFound, AdminDisabled, Unauthorized, ForbiddenRole, locked_out(), StoreUnavailable]);
refusals!(ChangeRefusals: [
    PollNotFound, SiteNotFound,
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);
refusals!(CreateRefusals: [
    admin_payload_too_large(),
    invalid_body(),
    unsupported_media_type("application/json"),
    invalid_json(),
    invalid_poll(),
    invalid_character(),
    poll_has_ballots(),
    PublishedWithBallots, SiteNotFound,
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);
refusals!(PutRefusals: [
    admin_payload_too_large(),
    invalid_body(),
    unsupported_media_type("application/json"),
    invalid_json(),
    invalid_poll(),
    invalid_character(),
    poll_has_ballots(),
    PublishedWithBallots,
    PollNotFound, SiteNotFound,
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);
refusals!(ReopenRefusals: [
    admin_payload_too_large(),
    invalid_body(),
    unsupported_media_type("application/json"),
    invalid_json(),
    PollNotFound, SiteNotFound,
    invalid_poll(),
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);
fn ok(api: &AdminApi, state: &crate::store::PollState) -> Response {
    json_response(StatusCode::OK, &api.admin_poll(state, None))
}

/// List the polls
///
/// A page of the polls (50 unless `limit` says otherwise), archived ones
/// too, by id, each with its results; `total`, `offset` and `limit` say
/// where the page sits.
#[utoipa::path(
    get, path = "/admin/polls", tag = "admin", operation_id = "listPolls",
    security(("bearer" = [])),
    params(PagingParams, Site),
    responses((status = 200, description = "A page of the polls.", body = AdminPolls), ListRefusals),
)]
pub async fn list_polls(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<Read, Named>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let paging = paging(uri.query())?;
    let voting = &api.polls_of(&signed.site)?.voting;
    let listed = voting.list(Order::ById, paging, None).await?;
    let body = AdminPolls {
        polls: listed
            .items
            .iter()
            .map(|s| api.admin_poll(s, None))
            .collect(),
        total: listed.total as u64,
        offset: paging.offset() as u64,
        limit: paging.limit() as u64,
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// Create or replace a poll
///
/// The poll named by the body's `id`: created, or replaced by this
/// definition.
#[utoipa::path(
    post, path = "/admin/polls", tag = "admin", operation_id = "createPoll",
    security(("bearer" = [])),
    params(Force, Site),
    request_body(content = schema::PollSpec, content_type = "application/json"),
    responses(
        (status = 201, description = "Created (`result`: `created`).", body = AdminPoll),
        (status = 200, description = "Replaced or unchanged (`result`).", body = AdminPoll), CreateRefusals),
)]
pub async fn create_poll(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<EditPolls, Named>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Result<Response, ApiError> {
    api.put_poll(&signed, &headers, &uri, body, None).await
}

/// Read a poll
#[utoipa::path(
    get, path = "/admin/polls/{id}", tag = "admin", operation_id = "getAdminPoll",
    security(("bearer" = [])),
    params(Poll, Site),
    responses((status = 200, description = "The poll and its results.", body = AdminPoll), PollRefusals),
)]
pub async fn get_poll(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<Read, Named>,
) -> Result<Response, ApiError> {
    Ok(ok(&api, &api.state(&signed.site, &poll_id(path)?).await?))
}

/// Create or replace a poll by id
///
/// Like `POST /admin/polls`, for the poll the path names; the body's `id`
/// may be left out, and must otherwise be the path's.
#[utoipa::path(
    put, path = "/admin/polls/{id}", tag = "admin", operation_id = "putPoll",
    security(("bearer" = [])),
    params(Poll, Force, Site),
    request_body(content = schema::PollSpec, content_type = "application/json"),
    responses(
        (status = 201, description = "Created (`result`: `created`).", body = AdminPoll),
        (status = 200, description = "Replaced or unchanged (`result`).", body = AdminPoll), PutRefusals),
)]
pub async fn put_poll(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<EditPolls, Named>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Result<Response, ApiError> {
    let id = poll_id(path)?;
    api.put_poll(&signed, &headers, &uri, body, Some(id)).await
}

/// Delete a poll
///
/// Deletes the poll and every ballot cast in it, for good. The audit log
/// keeps its definition and counts.
#[utoipa::path(
    delete, path = "/admin/polls/{id}", tag = "admin", operation_id = "deletePoll",
    security(("bearer" = [])),
    params(Poll, Site),
    responses((status = 200, description = "What was deleted.", body = Deleted), ChangeRefusals),
)]
pub async fn delete_poll(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<EditPolls, Named>,
) -> Result<Response, ApiError> {
    let editing = api.polls_of(&signed.site)?;
    let gone = editing.delete(&signed.who, &poll_id(path)?).await?;
    let deleted = Deleted {
        id: gone.poll.id.as_str().to_owned(),
        votes: gone.votes.iter().sum(),
        voters: gone.voters,
    };
    Ok(json_response(StatusCode::OK, &deleted))
}

/// Close a poll
///
/// Ends the poll's window now; ballots are refused from then on.
#[utoipa::path(
    post, path = "/admin/polls/{id}/close", tag = "admin", operation_id = "closePoll",
    security(("bearer" = [])),
    params(Poll, Site),
    responses((status = 200, description = "The closed poll and its results.", body = AdminPoll), ChangeRefusals),
)]
pub async fn close_poll(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<EditPolls, Named>,
) -> Result<Response, ApiError> {
    let editing = api.polls_of(&signed.site)?;
    Ok(ok(
        &api,
        &editing.close(&signed.who, &poll_id(path)?).await?,
    ))
}

/// Reopen a poll
///
/// Takes ballots again: until `closes_at` if the body gives one, else until
/// the end the poll had when it was closed if that is still ahead, else
/// with no end; a poll closed before its planned opening waits for it
/// again. An archived poll comes back to the lists. Its ballots stay.
#[utoipa::path(
    post, path = "/admin/polls/{id}/reopen", tag = "admin", operation_id = "reopenPoll",
    security(("bearer" = [])),
    params(Poll, Site),
    request_body(content = Option<Reopen>, content_type = "application/json"),
    responses((status = 200, description = "The reopened poll.", body = AdminPoll), ReopenRefusals),
)]
pub async fn reopen_poll(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<EditPolls, Named>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = poll_id(path)?;
    let closes_at = api.reopen_until(&headers, body).await?;
    let editing = api.polls_of(&signed.site)?;
    Ok(ok(
        &api,
        &editing.reopen(&signed.who, &id, closes_at).await?,
    ))
}

/// Archive a poll
///
/// Closes it (if open) and leaves it out of the public lists; its results
/// are kept and stay readable by its address.
#[utoipa::path(
    post, path = "/admin/polls/{id}/archive", tag = "admin", operation_id = "archivePoll",
    security(("bearer" = [])),
    params(Poll, Site),
    responses((status = 200, description = "The archived poll.", body = AdminPoll), ChangeRefusals),
)]
pub async fn archive_poll(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<EditPolls, Named>,
) -> Result<Response, ApiError> {
    let editing = api.polls_of(&signed.site)?;
    Ok(ok(
        &api,
        &editing.archive(&signed.who, &poll_id(path)?).await?,
    ))
}

impl AdminApi {
    /// A reopening's new closing time, from an optional JSON body.
    async fn reopen_until(
        &self,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Option<jiff::Timestamp>, ApiError> {
        let bytes = read_body(headers, body, super::MAX_ADMIN_BODY).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !media_type_is(headers, &["application/json"]) {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        let reopen: Reopen = json_object(&bytes)?;
        let Some(raw) = reopen.closes_at else {
            return Ok(None);
        };
        let at = raw
            .parse::<jiff::Timestamp>()
            .ok()
            .or_else(|| self.history.calendar().instant(&raw))
            .ok_or_else(|| {
                ApiError::InvalidPoll(
                    "closes_at must be RFC 3339 or a local date and time (2026-12-31T17:00)".into(),
                )
            })?;
        Ok(Some(at))
    }

    async fn put_poll<N: Needs>(
        &self,
        signed: &Signed<N, Named>,
        headers: &HeaderMap,
        uri: &Uri,
        body: Body,
        path_id: Option<PollId>,
    ) -> Result<Response, ApiError> {
        let force = query_param(uri.query(), "force").is_some_and(|v| v == "true" || v == "1");
        let mut value = json_body(headers, body).await?;
        if let Some(path_id) = path_id {
            let object = value
                .as_object_mut()
                .ok_or_else(|| ApiError::InvalidPoll("the body must be a JSON object".into()))?;
            match object.get("id") {
                None => {
                    object.insert("id".into(), Value::from(path_id.as_str()));
                }
                Some(id) if id == path_id.as_str() => {}
                Some(_) => {
                    return Err(ApiError::InvalidPoll(
                        "the id in the body differs from the path".into(),
                    ));
                }
            }
        }
        let spec: PollSpec =
            serde_json::from_value(value).map_err(|e| ApiError::InvalidPoll(e.to_string()))?;
        let poll = Definition::new(spec).map_err(|e| match e {
            PollError::Character(bad) => ApiError::InvalidCharacter(bad),
            other => ApiError::InvalidPoll(other.to_string()),
        })?;
        let editing = self.polls_of(&signed.site)?;
        let (status, result) = match editing.put(&signed.who, &poll, force).await? {
            PutPoll::Created => (StatusCode::CREATED, Put::Created),
            PutPoll::Replaced => (StatusCode::OK, Put::Replaced),
            PutPoll::Unchanged => (StatusCode::OK, Put::Unchanged),
            PutPoll::DraftWithBallots => return Err(ApiError::PublishedWithBallots),
            PutPoll::Conflict(orphans) => {
                return Err(ApiError::PollConflict(PollConflictDetail {
                    options: orphans
                        .into_iter()
                        .map(|(id, votes)| HeldOption { id, votes })
                        .collect(),
                }));
            }
        };
        let state = self.state(&signed.site, &poll.id).await?;
        Ok(json_response(
            status,
            &self.admin_poll(&state, Some(result)),
        ))
    }
}
