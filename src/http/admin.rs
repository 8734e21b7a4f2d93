//! The admin API on the ops listener, behind `Authorization: Bearer
//! $TALLY_ADMIN_TOKEN`: create or replace polls, close them, list them, set
//! the counter baseline.

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{AfterFailure, bearer_matches};
use super::client::Client;
use super::error::ApiError;
use super::polls_api::{poll_id, poll_json, results_json};
use super::respond::{Response, json_object, json_response, media_type_is, read_body};
use crate::app::App;
use crate::config::Secret;
use crate::counter::MAX_BASELINE;
use crate::poll::{Poll, PollSpec};
use crate::store::{PollState, PutPoll};

/// Admin bodies carry whole polls: more room than a hit's.
const MAX_ADMIN_BODY: usize = 64 * 1024;

/// Checks the bearer token, throttling an address that keeps guessing.
fn authorize(
    app: &App,
    req: &Request<Incoming>,
    token: &str,
    client: Client,
) -> Result<(), ApiError> {
    let throttle = &app.admin_throttle;
    if let Err(wait) = throttle.check(client.ip) {
        return Err(ApiError::SignInLockedOut {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    if bearer_matches(req.headers(), token) {
        throttle.succeeded(client.ip);
        return Ok(());
    }
    // No token at all is not a guess.
    if !req.headers().contains_key(http::header::AUTHORIZATION) {
        return Err(ApiError::Unauthorized);
    }
    app.metrics.admin_auth_failures.inc();
    let address = app.settings.log_addresses.then_some(client.ip);
    match throttle.failed(client.ip) {
        AfterFailure::Counted { failures } => tracing::warn!(
            failures,
            client = address.map(tracing::field::display),
            "admin token refused"
        ),
        AfterFailure::LockedOut => {
            app.metrics.admin_lockouts.inc();
            tracing::warn!(
                minutes = super::auth::LOCKOUT.as_secs() / 60,
                client = address.map(tracing::field::display),
                "admin token refused too often: address locked out"
            );
        }
    }
    Err(ApiError::Unauthorized)
}

fn with_results(app: &App, state: &PollState) -> Value {
    json!({ "poll": poll_json(app, state), "results": results_json(app, state) })
}

/// Answers `/admin/...`; `rest` is the path after `/admin/`.
pub async fn handle(
    app: &App,
    req: Request<Incoming>,
    client: Client,
    rest: &[&str],
) -> Result<Response, ApiError> {
    let Some(token) = app.settings.admin_token.as_ref().map(Secret::expose) else {
        return Err(ApiError::AdminDisabled);
    };
    authorize(app, &req, token, client)?;
    let method = req.method().clone();
    match (rest, method) {
        (["polls"], Method::GET) => {
            let polls: Vec<Value> = app
                .voting
                .list()
                .await?
                .iter()
                .map(|s| with_results(app, s))
                .collect();
            Ok(json_response(StatusCode::OK, &json!({ "polls": polls })))
        }
        (["polls"], Method::POST) => put_poll(app, req, None).await,
        (["polls"], _) => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
        (["polls", id], Method::GET) => {
            let state = app
                .voting
                .state(&poll_id(id)?, None)
                .await?
                .ok_or(ApiError::PollNotFound)?;
            Ok(json_response(StatusCode::OK, &with_results(app, &state)))
        }
        (["polls", id], Method::PUT) => {
            let id = (*id).to_owned();
            put_poll(app, req, Some(&id)).await
        }
        (["polls", _], _) => Err(ApiError::MethodNotAllowed { allow: "GET, PUT" }),
        (["polls", id, "close"], Method::POST) => {
            let state = app
                .voting
                .close(&poll_id(id)?)
                .await?
                .ok_or(ApiError::PollNotFound)?;
            Ok(json_response(StatusCode::OK, &with_results(app, &state)))
        }
        (["polls", _, "close"], _) => Err(ApiError::MethodNotAllowed { allow: "POST" }),
        (["counter", "baseline"], Method::PUT) => set_baseline(app, req).await,
        (["counter", "baseline"], _) => Err(ApiError::MethodNotAllowed { allow: "PUT" }),
        _ => Err(ApiError::NotFound),
    }
}

async fn json_body(req: Request<Incoming>) -> Result<(Value, Option<String>), ApiError> {
    let query = req.uri().query().map(str::to_owned);
    let (parts, body) = req.into_parts();
    let bytes = read_body(&parts.headers, body, MAX_ADMIN_BODY).await?;
    if !media_type_is(&parts.headers, &["application/json"]) {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    let value: Value = json_object(&bytes)?;
    Ok((value, query))
}

async fn put_poll(
    app: &App,
    req: Request<Incoming>,
    path_id: Option<&str>,
) -> Result<Response, ApiError> {
    let (mut value, query) = json_body(req).await?;
    let force = query.is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "force" && (v == "true" || v == "1"))
    });
    if let Some(path_id) = path_id {
        poll_id(path_id)?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| ApiError::InvalidPoll("the body must be a JSON object".into()))?;
        match object.get("id") {
            None => {
                object.insert("id".into(), json!(path_id));
            }
            Some(id) if id == path_id => {}
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
    let (status, result) = match app.voting.put(&poll, force).await? {
        PutPoll::Created => (StatusCode::CREATED, "created"),
        PutPoll::Replaced => (StatusCode::OK, "replaced"),
        PutPoll::Unchanged => (StatusCode::OK, "unchanged"),
        PutPoll::Conflict(orphans) => {
            let options: Vec<Value> = orphans
                .iter()
                .map(|(id, n)| json!({ "id": id, "votes": n }))
                .collect();
            return Err(ApiError::PollConflict(json!({ "options": options })));
        }
    };
    let state = app
        .voting
        .state(&poll.id, None)
        .await?
        .ok_or(ApiError::PollNotFound)?;
    let mut body = with_results(app, &state);
    body["result"] = json!(result);
    Ok(json_response(status, &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Baseline {
    baseline: u64,
}

async fn set_baseline(app: &App, req: Request<Incoming>) -> Result<Response, ApiError> {
    let (value, _) = json_body(req).await?;
    let bad = || {
        ApiError::InvalidBaseline(format!(
            "baseline must be a whole number from 0 to {MAX_BASELINE}"
        ))
    };
    let Baseline { baseline } = serde_json::from_value(value).map_err(|_| bad())?;
    if baseline > MAX_BASELINE {
        return Err(bad());
    }
    app.store.set_baseline(&app.site, baseline).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "baseline": baseline }),
    ))
}
