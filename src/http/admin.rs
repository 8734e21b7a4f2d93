//! The admin API on the ops listener, behind `Authorization: Bearer
//! $TALLY_ADMIN_TOKEN`: create or replace polls, close them, list them, set
//! the counter baseline.

use http::{HeaderMap, Method, Request, StatusCode, header};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::polls_api::{poll_id, poll_json, results_json};
use super::respond::{Response, json_object, json_response, media_type_is, read_body};
use crate::app::App;
use crate::poll::{Poll, PollSpec};
use crate::store::{PollState, PutPoll};

/// Admin bodies carry whole polls: more room than a hit's.
const MAX_ADMIN_BODY: usize = 64 * 1024;

/// Whether the request carries the admin token. Both sides are hashed
/// first, so the comparison takes the same time whatever the lengths.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let given = blake3::hash(given.trim().as_bytes());
    let expected = blake3::hash(token.as_bytes());
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

fn with_results(app: &App, state: &PollState) -> Value {
    json!({ "poll": poll_json(app, state), "results": results_json(app, state) })
}

/// Answers `/admin/...`; `rest` is the path after `/admin/`.
pub async fn handle(
    app: &App,
    req: Request<Incoming>,
    rest: &[&str],
) -> Result<Response, ApiError> {
    let Some(token) = app.settings.admin_token.as_deref() else {
        return Err(ApiError::AdminDisabled);
    };
    if !authorized(req.headers(), token) {
        return Err(ApiError::Unauthorized);
    }
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
    let Baseline { baseline } =
        serde_json::from_value(value).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    app.store.set_baseline(&app.site, baseline).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "baseline": baseline }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn only_the_exact_token_is_accepted() {
        let token = "s3cret-token-of-length";
        assert!(authorized(&bearer("Bearer s3cret-token-of-length"), token));
        assert!(!authorized(&bearer("Bearer s3cret-token-of-lengt"), token));
        assert!(!authorized(&bearer("bearer s3cret-token-of-length"), token));
        assert!(!authorized(&bearer("Basic s3cret-token-of-length"), token));
        assert!(!authorized(&HeaderMap::new(), token));
    }
}
