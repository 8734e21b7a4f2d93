//! The poll's JSON API: `GET /v1/polls/{id}`, `POST /v1/polls/{id}/votes`,
//! `GET /v1/polls/{id}/results`.

use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::Client;
use super::error::ApiError;
use super::identity::{Identity, identify, reader};
use super::origin::{self, Naming};
use super::respond::{Req, Response, json_object, json_response, media_type_is};
use crate::app::App;
use crate::ids::{OptionId, PollId};
use crate::poll::{ChoiceError, Results};
use crate::store::PollState;
use crate::telemetry::Refusal;
use crate::voting::{VoteOutcome, Voter};

/// A poll id from the path; a malformed one names no poll.
pub fn poll_id(raw: &str) -> Result<PollId, ApiError> {
    PollId::parse(raw).map_err(|_| ApiError::PollNotFound)
}

/// The poll as JSON, with whether this visitor voted.
pub fn poll_json(app: &App, state: &PollState) -> Value {
    let poll = &state.poll;
    let mut body = json!({
        "id": poll.id,
        "question": poll.question,
        "options": poll.options,
        "max_choices": poll.max_choices,
        "opens_at": poll.opens_at,
        "closes_at": poll.closes_at,
        "status": poll.status(app.voting.now()),
        "voted": state.voted.is_some(),
    });
    if let Some(choices) = &state.voted {
        body["choices"] = json!(choices);
    }
    body
}

/// The poll's results as JSON.
pub fn results_json(app: &App, state: &PollState) -> Value {
    let results = Results::new(&state.poll, &state.votes);
    json!({
        "poll": state.poll.id,
        "question": state.poll.question,
        "status": state.poll.status(app.voting.now()),
        "total_votes": results.total_votes,
        "total_voters": state.voters,
        "percent_base": "votes",
        "options": results.options,
    })
}

pub async fn get_poll(app: &App, req: &Req, id: &str) -> Result<Response, ApiError> {
    let id = poll_id(id)?;
    // Only a person is told what they chose: an address hash may be
    // someone else's.
    let visitor = reader(req.headers())?;
    let state = app
        .voting
        .state(&id, visitor.as_ref())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    Ok(json_response(StatusCode::OK, &poll_json(app, &state)))
}

pub async fn get_results(app: &App, id: &str) -> Result<Response, ApiError> {
    let id = poll_id(id)?;
    let state = app
        .voting
        .results(&id)
        .await?
        .ok_or(ApiError::PollNotFound)?;
    Ok(json_response(StatusCode::OK, &results_json(app, &state)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    options: Vec<String>,
}

/// Parses option ids; a malformed one is an invalid option.
pub fn option_ids<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<OptionId>, ApiError> {
    raw.into_iter()
        .map(|o| {
            OptionId::parse(o).map_err(|_| {
                ApiError::InvalidOption(format!("'{o}' is not an option of this poll"))
            })
        })
        .collect()
}

/// Who votes, and the address the per-address cap counts. A person votes
/// as themselves; a visitor known only by address votes under the fresh id
/// issued with this answer, so someone else behind the same address never
/// stands in their way (the per-address cap bounds how often that works).
pub async fn voter(
    app: &App,
    headers: &HeaderMap,
    client: &Client,
) -> Result<(Voter, Identity), ApiError> {
    let identity = identify(&app.privacy, headers, client).await?;
    let address = app.privacy.address(client.ip).await?;
    let visitor = identity
        .person()
        .or(identity.issued.as_ref())
        .cloned()
        .ok_or(ApiError::Internal)?;
    Ok((Voter { visitor, address }, identity))
}

/// Maps a ballot's outcome to the answer; `Ok` only when it was counted.
pub fn outcome_response(app: &App, outcome: VoteOutcome) -> Result<Response, ApiError> {
    match outcome {
        VoteOutcome::Accepted(state) => {
            let mut body = results_json(app, &state);
            body["voted"] = json!(true);
            body["choices"] = json!(state.voted);
            Ok(json_response(StatusCode::CREATED, &body))
        }
        VoteOutcome::AlreadyVoted(state) => Err(ApiError::AlreadyVoted(json!({
            "choices": state.voted,
            "results": results_json(app, &state),
        }))),
        VoteOutcome::AddressLimit(_) => {
            app.refusals
                .note(Refusal::AddressCap, "/v1/polls/{id}/votes");
            Err(ApiError::AddressLimit {
                retry_after_secs: app.seconds_until_tomorrow(),
            })
        }
        VoteOutcome::NotYetOpen(_) => Err(ApiError::PollClosed { not_yet_open: true }),
        VoteOutcome::Closed(_) => Err(ApiError::PollClosed {
            not_yet_open: false,
        }),
        VoteOutcome::Invalid(why, _) => Err(choice_error(why)),
        VoteOutcome::NotFound => Err(ApiError::PollNotFound),
    }
}

pub fn choice_error(why: ChoiceError) -> ApiError {
    match why {
        ChoiceError::TooMany { max } => ApiError::TooManyChoices { max },
        other => ApiError::InvalidOption(other.to_string()),
    }
}

/// A ballot request's head, poll and body, once its origin, size and media
/// type (the first of `media` is named in the refusal) are acceptable.
pub async fn ballot_request(
    app: &App,
    req: Req,
    client: &Client,
    id: &str,
    media: &[&'static str],
    naming: Naming,
) -> Result<(http::request::Parts, PollId, bytes::Bytes), ApiError> {
    let (parts, bytes) = req.into_parts();
    origin::check(
        &parts.headers,
        &parts.uri,
        client,
        &app.settings.allowed_origins,
        naming,
    )
    .inspect_err(|_| app.refusals.note(Refusal::OriginNotAllowed, "ballot"))?;
    let id = poll_id(id)?;
    if !media_type_is(&parts.headers, media) {
        return Err(ApiError::UnsupportedMediaType { expected: media[0] });
    }
    Ok((parts, id, bytes))
}

pub async fn post_vote(
    app: &App,
    req: Req,
    client: Client,
    id: &str,
) -> Result<Response, ApiError> {
    let (parts, id, bytes) = ballot_request(
        app,
        req,
        &client,
        id,
        &["application/json", "text/plain"],
        Naming::Optional,
    )
    .await?;
    let body: VoteBody = json_object(&bytes)?;
    let choices = option_ids(body.options.iter().map(String::as_str))?;
    let (voter, identity) = voter(app, &parts.headers, &client).await?;
    let outcome = app.voting.vote(&id, voter, choices).await?;
    let mut response = outcome_response(app, outcome).unwrap_or_else(ApiError::into_response);
    if let Some(cookie) = identity.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
