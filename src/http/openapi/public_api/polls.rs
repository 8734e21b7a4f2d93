//! The polls' JSON operations: a poll, a ballot, the results.
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use super::{FirstPartyId, Origin, Poll, VisitorCookie};
use crate::http::api::bodies::{PollBody, ResultsBody, VoteRequest, VotedBody};
use crate::http::openapi::schemas as doc;

/// Read a poll
///
/// The poll, with `voted` for the person asking (their cookie, else their
/// `Tally-Visitor` id) and, when they voted, their `choices`. A visitor
/// known only by address is never told a choice: `voted` is `false`. Sets
/// no cookie.
#[utoipa::path(
    get, path = "/v1/polls/{id}", tag = "polls", operation_id = "getPoll",
    params(Poll, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The poll.", body = PollBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            links(
                ("vote" = (operation_id = "postVote", parameters(("id" = "$response.body#/id")),
                    description = "Vote in this poll.")),
                ("results" = (operation_id = "getResults", parameters(("id" = "$response.body#/id")),
                    description = "This poll's results.")),
                ("page" = (operation_id = "getPollPage", parameters(("id" = "$response.body#/id")),
                    description = "This poll as an HTML form.")),
            )),
    ),
)]
pub(super) fn get_poll() {}

/// Vote
///
/// Casts the visitor's ballot. A ballot is counted exactly once: a person
/// who already voted gets `409 already_voted` with their choices and the
/// results. A visitor known only by address votes under a fresh id, issued
/// as the cookie, so someone else behind the same address never stands in
/// their way. `text/plain` is accepted as well as `application/json` (its
/// content is parsed as the same JSON) so that a browser can send it
/// without a CORS preflight; unknown fields are refused. Every answer from
/// the ballot box may carry `Set-Cookie`.
#[utoipa::path(
    post, path = "/v1/polls/{id}/votes", tag = "polls", operation_id = "postVote",
    params(Poll, VisitorCookie, FirstPartyId, Origin),
    request_body(content(
        (VoteRequest = "application/json", examples(
            ("one" = (summary = "One choice: \"Tốt\"", value = json!({"options": ["tot"]}))),
            ("several" = (summary = "Several choices (a poll with max_choices > 1)",
                value = json!({"options": ["tin-tuc", "dich-vu-cong"]}))),
        )),
        (doc::JsonText = "text/plain", example = json!("{\"options\":[\"tot\"]}")),
    )),
    responses(
        (status = 201, description = "Counted: the results, with this person's choices.",
            body = VotedBody, headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            links(
                ("results" = (operation_id = "getResults", parameters(("id" = "$response.body#/poll")),
                    description = "The results, as they change.")),
                ("poll" = (operation_id = "getPoll", parameters(("id" = "$response.body#/poll")),
                    description = "The poll, now with `voted: true`.")),
            )),
    ),
)]
pub(super) fn post_vote() {}

/// Read a poll's results
#[utoipa::path(
    get, path = "/v1/polls/{id}/results", tag = "polls", operation_id = "getResults",
    params(Poll),
    responses(
        (status = 200, description = "The results.", body = ResultsBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            links(
                ("poll" = (operation_id = "getPoll", parameters(("id" = "$response.body#/poll")),
                    description = "The poll.")),
                ("page" = (operation_id = "getResultsPage", parameters(("id" = "$response.body#/poll")),
                    description = "These results as an HTML page.")),
            )),
    ),
)]
pub(super) fn get_results() {}
