//! The polls' JSON operations: the archive, a poll, a ballot, the
//! results and their live stream.
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use super::{FirstPartyId, Origin, Poll, VisitorCookie};
use crate::http::api::bodies::{ArchiveBody, PollBody, ResultsBody, VoteRequest};
use crate::http::openapi::schemas as doc;

/// The archive of polls
///
/// Every poll, open ones first, each with its results when this visitor may
/// see them (the poll's `results_visibility`); the JSON twin of `/polls`.
#[utoipa::path(
    get, path = "/v1/polls", tag = "polls", operation_id = "getArchive",
    params(VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The polls.", body = ArchiveBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
    ),
)]
pub(super) fn get_archive() {}

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
/// who already voted gets `409 already_voted` with their choices (and the
/// results, where the poll shows them to voters). The browser names the
/// ballot (`ballot`); sent again after a `503` or a lost answer, the same
/// ballot has one fate: `201` again if it was counted, never `409`. A visitor known only by address votes under a fresh id, issued
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
            ("one" = (summary = "One choice: \"Tốt\"", value = json!({"options": ["tot"], "ballot": "3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d"}))),
            ("several" = (summary = "Several choices (a poll with max_choices > 1)",
                value = json!({"options": ["tin-tuc", "dich-vu-cong"]}))),
        )),
        (doc::JsonText = "text/plain", example = json!("{\"options\":[\"tot\"]}")),
    )),
    responses(
        (status = 201, description = "Counted: this person's choices and the ballot's id, with the results where the poll shows them to its voters.",
            body = doc::VoteAccepted, headers(
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
///
/// At most a flush interval old. Where the poll hides its results from
/// this visitor (`after_vote` before they voted, `after_close` while open,
/// `never`), `403 results_hidden` says until when.
#[utoipa::path(
    get, path = "/v1/polls/{id}/results", tag = "polls", operation_id = "getResults",
    params(Poll, VisitorCookie, FirstPartyId),
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

/// Follow a poll's results live
///
/// Server-sent events (`text/event-stream`): a `results` event with the
/// results now, then one whenever ballots change them, at most one per
/// flush interval, and a comment every 2 s to keep the connection open.
/// Each event's data is the JSON of `GET /v1/polls/{id}/results`. A replica keeps at most
/// `TALLY_MAX_STREAMS` open (`503 too_many_streams` beyond it: read
/// `/results` again every few seconds instead); streams end when the
/// replica shuts down, and browsers reconnect by themselves.
#[utoipa::path(
    get, path = "/v1/polls/{id}/events", tag = "polls", operation_id = "getResultEvents",
    params(Poll, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The stream of results.", body = doc::ResultsEvent,
            content_type = "text/event-stream; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("X-Accel-Buffering" = String, description = "`no`: a proxy passes events on as they come."),
            )),
    ),
)]
pub(super) fn get_events() {}

/// A challenge for a ballot
///
/// A proof of work the voter's browser solves before voting in a poll whose
/// `challenge` is `on` or `auto` (and only then needed): find the `number`
/// (0 to `maxnumber`) whose SHA-256 of `salt` followed by the number's
/// decimal digits is `challenge`, then send `<salt><number>.<signature>`
/// as the ballot's `proof` before `expires_at`. Each solution counts one
/// ballot. Nothing is stored when a challenge is issued; the level (1
/// easiest to 5 hardest) follows the poll's traffic in `auto`.
#[utoipa::path(
    get, path = "/v1/polls/{id}/challenge", tag = "polls", operation_id = "getChallenge",
    params(Poll),
    responses(
        (status = 200, description = "A challenge.", body = doc::Challenge, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
    ),
)]
pub(super) fn get_challenge() {}
