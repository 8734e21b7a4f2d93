//! The admin API on the ops listener, behind `Authorization: Bearer
//! <token>` (one of `TALLY_ADMIN_TOKENS`, or `TALLY_ADMIN_TOKEN`): polls
//! created, replaced, listed, closed, reopened, archived and deleted, and
//! the counter baseline. History, exports, import and the audit log are in
//! `admin_history.rs`. Every change goes through [`Editing`], which notes
//! who made it.

use std::sync::Arc;

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::Value;

use super::admin_bodies::{Deleted, Reopen};
use super::bodies::{
    AdminPoll, AdminPolls, Baseline, HeldOption, PollBody, PollConflictDetail, Put, ResultsBody,
};
use super::polls::poll_id;
use super::query_param;
use crate::config::MAX_BASELINE;
use crate::editing::{EditError, Editing};
use crate::history::History;
use crate::http::auth::{Admins, AfterFailure, LOCKOUT, Throttle};
use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::http::respond::{Response, json_object, json_response, media_type_is, read_body};
use crate::http::router::OpsRoute;
use crate::ids::PollId;
use crate::metrics::Metrics;
use crate::poll::{Poll, PollSpec, Viewer};
use crate::store::{PollState, PutPoll};

/// Admin bodies carry whole polls: more room than a hit's.
pub(super) const MAX_ADMIN_BODY: usize = 64 * 1024;

/// What the admin routes need.
pub struct AdminApi {
    pub editing: Arc<Editing>,
    pub history: Arc<History>,
    /// None: the admin API is off.
    pub admins: Admins,
    pub throttle: Arc<Throttle>,
    pub metrics: Arc<Metrics>,
    pub log_addresses: bool,
}

impl AdminApi {
    /// Whose bearer token the request carries, throttling an address that
    /// keeps guessing.
    fn authorize(&self, req: &Request<Incoming>, client: Client) -> Result<String, ApiError> {
        if self.admins.is_empty() {
            return Err(ApiError::AdminDisabled);
        }
        if let Err(wait) = self.throttle.check(client.ip) {
            return Err(ApiError::SignInLockedOut {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        if let Some(who) = self.admins.bearer(req.headers()) {
            self.throttle.succeeded(client.ip);
            return Ok(who.to_owned());
        }
        // No token at all is not a guess.
        if !req.headers().contains_key(http::header::AUTHORIZATION) {
            return Err(ApiError::Unauthorized);
        }
        self.metrics.admin_auth_failures.inc();
        let address = self.log_addresses.then_some(client.ip);
        match self.throttle.failed(client.ip) {
            AfterFailure::Counted { failures } => tracing::warn!(
                failures,
                client = address.map(tracing::field::display),
                "admin token refused"
            ),
            AfterFailure::LockedOut => {
                self.metrics.admin_lockouts.inc();
                tracing::warn!(
                    minutes = LOCKOUT.as_secs() / 60,
                    client = address.map(tracing::field::display),
                    "admin token refused too often: address locked out"
                );
            }
        }
        Err(ApiError::Unauthorized)
    }

    /// A poll as editors read it: times with the portal's offset, to the
    /// second.
    pub(super) fn admin_poll(&self, state: &PollState, result: Option<Put>) -> AdminPoll {
        let now = self.editing.voting.now();
        let calendar = self.history.calendar();
        let mut poll = PollBody::new(state, now, Viewer::Editor, calendar.zone_name());
        poll.opens_at = state.poll.opens_at.map(|t| calendar.local(t));
        poll.closes_at = state.poll.closes_at.map(|t| calendar.local(t));
        AdminPoll {
            poll,
            results: ResultsBody::new(state, now),
            archived_at: state.poll.archived_at.map(|t| calendar.local(t)),
            result,
        }
    }

    pub(super) async fn state(&self, id: &PollId) -> Result<PollState, ApiError> {
        self.editing
            .voting
            .state(id, None)
            .await?
            .ok_or(ApiError::PollNotFound)
    }

    /// Answers an admin route (its method already checked).
    pub async fn handle(
        &self,
        route: OpsRoute,
        id: Option<&str>,
        req: Request<Incoming>,
        client: Client,
    ) -> Result<Response, ApiError> {
        let who = self.authorize(&req, client)?;
        let ok =
            |state: &PollState| Ok(json_response(StatusCode::OK, &self.admin_poll(state, None)));
        match (route, req.method().clone()) {
            (OpsRoute::AdminPolls, Method::POST) => self.put_poll(&who, req, None).await,
            (OpsRoute::AdminPolls, _) => {
                let polls = self
                    .editing
                    .voting
                    .list()
                    .await?
                    .iter()
                    .map(|s| self.admin_poll(s, None))
                    .collect();
                Ok(json_response(StatusCode::OK, &AdminPolls { polls }))
            }
            (OpsRoute::AdminPoll, Method::PUT) => {
                self.put_poll(&who, req, Some(poll_id(id)?)).await
            }
            (OpsRoute::AdminPoll, Method::DELETE) => {
                let gone = self.editing.delete(&who, &poll_id(id)?).await?;
                let deleted = Deleted {
                    id: gone.poll.id.as_str().to_owned(),
                    votes: gone.votes.iter().sum(),
                    voters: gone.voters,
                };
                Ok(json_response(StatusCode::OK, &deleted))
            }
            (OpsRoute::AdminPoll, _) => ok(&self.state(&poll_id(id)?).await?),
            (OpsRoute::AdminPollClose, _) => ok(&self.editing.close(&who, &poll_id(id)?).await?),
            (OpsRoute::AdminPollArchive, _) => {
                ok(&self.editing.archive(&who, &poll_id(id)?).await?)
            }
            (OpsRoute::AdminPollReopen, _) => {
                let id = poll_id(id)?;
                let closes_at = self.reopen_until(req).await?;
                ok(&self.editing.reopen(&who, &id, closes_at).await?)
            }
            (OpsRoute::AdminBaseline, _) => self.set_baseline(&who, req).await,
            (route, _) => self.handle_history(route, id, req, &who).await,
        }
    }

    /// A reopening's new closing time, from an optional JSON body.
    async fn reopen_until(
        &self,
        req: Request<Incoming>,
    ) -> Result<Option<jiff::Timestamp>, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_body(&parts.headers, body, MAX_ADMIN_BODY).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !media_type_is(&parts.headers, &["application/json"]) {
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

    async fn put_poll(
        &self,
        who: &str,
        req: Request<Incoming>,
        path_id: Option<PollId>,
    ) -> Result<Response, ApiError> {
        let force =
            query_param(req.uri().query(), "force").is_some_and(|v| v == "true" || v == "1");
        let mut value = json_body(req).await?;
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
        let poll = Poll::new(spec).map_err(|e| ApiError::InvalidPoll(e.to_string()))?;
        let (status, result) = match self.editing.put(who, &poll, force).await? {
            PutPoll::Created => (StatusCode::CREATED, Put::Created),
            PutPoll::Replaced => (StatusCode::OK, Put::Replaced),
            PutPoll::Unchanged => (StatusCode::OK, Put::Unchanged),
            PutPoll::Conflict(orphans) => {
                return Err(ApiError::PollConflict(PollConflictDetail {
                    options: orphans
                        .into_iter()
                        .map(|(id, votes)| HeldOption { id, votes })
                        .collect(),
                }));
            }
        };
        let state = self.state(&poll.id).await?;
        Ok(json_response(
            status,
            &self.admin_poll(&state, Some(result)),
        ))
    }

    async fn set_baseline(&self, who: &str, req: Request<Incoming>) -> Result<Response, ApiError> {
        let value = json_body(req).await?;
        let bad = || {
            ApiError::InvalidBaseline(format!(
                "baseline must be a whole number from 0 to {MAX_BASELINE}"
            ))
        };
        let Baseline { baseline } = serde_json::from_value(value).map_err(|_| bad())?;
        if baseline > MAX_BASELINE {
            return Err(bad());
        }
        self.editing.set_baseline(who, baseline).await?;
        Ok(json_response(StatusCode::OK, &Baseline { baseline }))
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound => ApiError::PollNotFound,
            EditError::ClosesInThePast => ApiError::InvalidPoll(e.to_string()),
            EditError::Store(e) => e.into(),
        }
    }
}

/// An admin request's JSON object body.
async fn json_body(req: Request<Incoming>) -> Result<Value, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(&parts.headers, body, MAX_ADMIN_BODY).await?;
    if !media_type_is(&parts.headers, &["application/json"]) {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    json_object(&bytes)
}
