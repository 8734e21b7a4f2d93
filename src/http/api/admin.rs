//! The admin API on the ops listener, behind `Authorization: Bearer
//! $TALLY_ADMIN_TOKEN`: create or replace polls, close them, list them, set
//! the counter baseline.

use std::sync::Arc;

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde_json::Value;

use super::bodies::{
    AdminPoll, AdminPolls, Baseline, HeldOption, PollBody, PollConflictDetail, Put, ResultsBody,
};
use super::polls::poll_id;
use super::query_param;
use crate::config::MAX_BASELINE;
use crate::config::Secret;
use crate::counter::Counter;
use crate::http::auth::{AfterFailure, LOCKOUT, Throttle, bearer_matches};
use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::http::respond::{Response, json_object, json_response, media_type_is, read_body};
use crate::http::router::OpsRoute;
use crate::ids::PollId;
use crate::metrics::Metrics;
use crate::poll::{Poll, PollSpec, Viewer};
use crate::store::{PollState, PutPoll};
use crate::voting::Voting;

/// Admin bodies carry whole polls: more room than a hit's.
const MAX_ADMIN_BODY: usize = 64 * 1024;

/// What the admin routes need.
pub struct AdminApi {
    pub voting: Arc<Voting>,
    pub counter: Arc<Counter>,
    /// `None`: the admin API is off.
    pub token: Option<Secret>,
    pub throttle: Throttle,
    pub metrics: Arc<Metrics>,
    pub log_addresses: bool,
}

impl AdminApi {
    /// Checks the bearer token, throttling an address that keeps guessing.
    fn authorize(&self, req: &Request<Incoming>, client: Client) -> Result<(), ApiError> {
        let Some(token) = self.token.as_ref().map(Secret::expose) else {
            return Err(ApiError::AdminDisabled);
        };
        if let Err(wait) = self.throttle.check(client.ip) {
            return Err(ApiError::SignInLockedOut {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        if bearer_matches(req.headers(), token) {
            self.throttle.succeeded(client.ip);
            return Ok(());
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

    fn admin_poll(&self, state: &PollState, result: Option<Put>) -> AdminPoll {
        let now = self.voting.now();
        AdminPoll {
            poll: PollBody::new(state, now, Viewer::Editor, self.voting.zone_name()),
            results: ResultsBody::new(state, now),
            result,
        }
    }

    async fn state(&self, id: &PollId) -> Result<PollState, ApiError> {
        self.voting
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
        self.authorize(&req, client)?;
        match (route, req.method().clone()) {
            (OpsRoute::AdminPolls, Method::POST) => self.put_poll(req, None).await,
            (OpsRoute::AdminPolls, _) => {
                let polls = self
                    .voting
                    .list()
                    .await?
                    .iter()
                    .map(|s| self.admin_poll(s, None))
                    .collect();
                Ok(json_response(StatusCode::OK, &AdminPolls { polls }))
            }
            (OpsRoute::AdminPoll, Method::PUT) => self.put_poll(req, Some(poll_id(id)?)).await,
            (OpsRoute::AdminPoll, _) => {
                let state = self.state(&poll_id(id)?).await?;
                Ok(json_response(
                    StatusCode::OK,
                    &self.admin_poll(&state, None),
                ))
            }
            (OpsRoute::AdminPollClose, _) => {
                let state = self
                    .voting
                    .close(&poll_id(id)?)
                    .await?
                    .ok_or(ApiError::PollNotFound)?;
                Ok(json_response(
                    StatusCode::OK,
                    &self.admin_poll(&state, None),
                ))
            }
            (OpsRoute::AdminBaseline, _) => self.set_baseline(req).await,
            _ => Err(ApiError::NotFound),
        }
    }

    async fn put_poll(
        &self,
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
        let (status, result) = match self.voting.put(&poll, force).await? {
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

    async fn set_baseline(&self, req: Request<Incoming>) -> Result<Response, ApiError> {
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
        self.counter.set_baseline(baseline).await?;
        Ok(json_response(StatusCode::OK, &Baseline { baseline }))
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
