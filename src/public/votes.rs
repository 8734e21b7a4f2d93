//! Ballots: `POST /v1/polls/{id}/votes`, and the steps a ballot takes that
//! the HTML form shares (where it comes from, who casts it, what became of
//! it).

use std::sync::Arc;

use axum::extract::State;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::bodies::{VoteAccepted, VoteRequest, VotedBody};
use super::params::{FirstPartyId, Origin, Poll, PollSite, VisitorCookie};
use super::polls::{PollPath, PollsApi, option_ids};
use crate::challenge::ChallengeError;
use crate::edge::client::Client;
use crate::edge::error::{AlreadyVotedDetail, ApiError};
use crate::edge::extract::{Body, Headers};
use crate::edge::origin::Naming;
use crate::edge::poll_json::ResultsBody;
use crate::edge::respond::{Response, json_object, json_response, media_type_is};
use crate::edge::schema;
use crate::edge::visitor::{claims, cookie_header, user_agent};
use crate::ids::{BallotId, OptionId, PollId};
use crate::poll::{ChoiceError, Shown, Verdict, Viewer};
use crate::refusals;
use crate::store::{BallotProof, PollState, SpentSolution};
use crate::telemetry::Refusal;
use crate::voting::{Vote, Voter, Voting};

/// What a ballot brings to show it is not a script's.
pub enum Proof<'a> {
    /// A solved challenge, in its compact form.
    Solution(&'a str),
    /// A form post: a page without JavaScript cannot solve a challenge.
    Form,
    None,
}

/// A cast ballot and the cookie to set with the answer.
pub struct Cast {
    pub vote: Vote,
    pub set_cookie: Option<HeaderValue>,
    /// Whether the voter is a person (cookie or first-party id), whom later
    /// requests will know, rather than a visitor known only by address.
    pub by_person: bool,
}

/// A ballot that was not counted, as the error it answers.
fn refusal(choice: ChoiceError) -> ApiError {
    match choice {
        ChoiceError::TooMany { max } => ApiError::TooManyChoices { max },
        other => ApiError::InvalidOption(other.to_string()),
    }
}

refusals!(VoteRefusals: [
    OriginNotAllowed,
    ForeignOrigin,
    SiteRequired,
    SiteNotFound,
    PollNotFound,
    unsupported_media_type("application/json"),
    invalid_json(),
    invalid_option(),
    too_many_choices(),
    InvalidVisitor,
    invalid_body(),
    closed(),
    not_yet_open(),
    already_voted(),
    address_limit(),
    ChallengeRequired,
    ChallengeReplayed,
    ChallengeFailed(ChallengeError::Malformed),
    ChallengeFailed(ChallengeError::Invalid),
    ChallengeFailed(ChallengeError::Expired),
    ChallengeFailed(ChallengeError::OtherPoll),
    ChallengeFailed(ChallengeError::TooEasy),
    StoreUnavailable,
]);

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
    params(Poll, PollSite, VisitorCookie, FirstPartyId, Origin),
    request_body(content(
        (VoteRequest = "application/json", examples(
            ("one" = (summary = "One choice: \"Tốt\"", value = json!({"options": ["tot"], "ballot": "3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d"}))),
            ("several" = (summary = "Several choices (a poll with max_choices > 1)",
                value = json!({"options": ["tin-tuc", "dich-vu-cong"]}))),
        )),
        (schema::JsonText = "text/plain", example = json!("{\"options\":[\"tot\"]}")),
    )),
    responses(
        (status = 201, description = "Counted: this person's choices and the ballot's id, with the results where the poll shows them to its voters.",
            body = VoteAccepted, headers(
                ("Set-Cookie" = inline(schema::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            ),
            links(
                ("results" = (operation_id = "getResults", parameters(("id" = "$response.body#/poll")),
                    description = "The results, as they change.")),
                ("poll" = (operation_id = "getPoll", parameters(("id" = "$response.body#/poll")),
                    description = "The poll, now with `voted: true`.")),
            )),
        VoteRefusals,
    ),
)]
pub async fn post_vote(
    State(api): State<Arc<PollsApi>>,
    PollPath(poll): PollPath,
    client: Client,
    Headers(headers): Headers,
    uri: http::Uri,
    Body(body): Body,
) -> Result<Response, ApiError> {
    api.ballot_from(&headers, &uri, &client, Naming::Optional)?;
    let voting = &api.ballot_site(&headers, &uri, &client)?;
    if !media_type_is(&headers, &["application/json", "text/plain"]) {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    let body: VoteRequest = json_object(&body)?;
    let choices = option_ids(body.options.iter().map(String::as_str))?;
    let proof = body.proof.as_deref().map_or(Proof::None, Proof::Solution);
    let cast = api
        .cast(
            (voting, &poll),
            &headers,
            &client,
            choices,
            body.ballot.as_deref(),
            proof,
        )
        .await?;
    let mut response = match api.verdict(voting, &cast.vote, "/v1/polls/{id}/votes") {
        Ok(()) => json_response(
            StatusCode::CREATED,
            &VotedBody {
                results: api.voter_results(&cast.vote.state),
                voted: true,
                choices: cast.vote.state.voted.clone().unwrap_or_default(),
                ballot: cast.vote.ballot.clone(),
            },
        ),
        Err(refused) => axum::response::IntoResponse::into_response(refused),
    };
    if let Some(cookie) = cast.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

impl PollsApi {
    /// The results a voter is shown with their ballot, when the poll shows
    /// its results to voters.
    pub fn voter_results(&self, state: &PollState) -> Option<ResultsBody> {
        let now = self.now();
        (state.poll.results_shown(Viewer::Voter, now) == Shown::Now)
            .then(|| ResultsBody::new(state, now))
    }

    /// Refuses a ballot from a page whose origin may not vote.
    pub fn ballot_from(
        &self,
        headers: &HeaderMap,
        uri: &http::Uri,
        client: &Client,
        naming: Naming,
    ) -> Result<(), ApiError> {
        self.origins
            .check(headers, uri, client, naming)
            .inspect_err(|_| self.refusals.note(Refusal::OriginNotAllowed, "ballot"))
    }

    /// Casts a ballot in `poll` of `voting`'s site, under the identity
    /// the domain decides for that site ([`Voter`]).
    pub async fn cast(
        &self,
        (voting, poll): (&Voting, &PollId),
        headers: &HeaderMap,
        client: &Client,
        choices: Vec<OptionId>,
        ballot: Option<&str>,
        proof: Proof<'_>,
    ) -> Result<Cast, ApiError> {
        let proof = match proof {
            Proof::Solution(solution) => BallotProof::Solved(SpentSolution::of(
                voting
                    .check_solution(poll, solution, client.ip)
                    .await?
                    .ok_or(ApiError::PollNotFound)?
                    .map_err(|e| {
                        self.refusals
                            .note(Refusal::Challenge, "/v1/polls/{id}/votes");
                        ApiError::ChallengeFailed(e)
                    })?,
                self.now(),
            )),
            Proof::Form => {
                if voting.form_paused(poll, client.ip).await? {
                    self.refusals.note(Refusal::Challenge, "/polls/{id}");
                    return Err(ApiError::FormPaused);
                }
                BallotProof::Form {
                    cap: self.form_votes_per_address,
                }
            }
            Proof::None => BallotProof::Missing,
        };
        let ballot = match ballot {
            Some(id) => BallotId::parse(id).map_err(|_| {
                ApiError::InvalidBody("ballot must be 16 to 64 lowercase hex digits".into())
            })?,
            None => BallotId::fresh(),
        };
        let agent = user_agent(headers).unwrap_or_default();
        let identity = self
            .visitors
            .identify(voting.site(), claims(headers)?, client.ip, agent)
            .await;
        let address = self.visitors.address(client.ip).await?;
        let networks = self.visitors.networks(client.ip).await?;
        let visitor = identity.voter().cloned().ok_or(ApiError::Internal)?;
        let voter = Voter {
            visitor,
            address,
            networks,
            fresh: identity.is_fresh(),
            client: client.ip,
        };
        let vote = voting
            .vote(poll, voter, choices, ballot, proof)
            .await?
            .ok_or(ApiError::PollNotFound)?;
        Ok(Cast {
            vote,
            by_person: identity.person().is_some(),
            set_cookie: identity
                .cookie
                .as_deref()
                .and_then(|value| cookie_header(value, client)),
        })
    }

    /// A ballot that was not counted, as the error it answers; `Ok` for a
    /// counted one.
    pub fn verdict(
        &self,
        voting: &Voting,
        vote: &Vote,
        route: &'static str,
    ) -> Result<(), ApiError> {
        match vote.verdict {
            Verdict::Accepted => Ok(()),
            Verdict::AlreadyVoted => Err(ApiError::AlreadyVoted(Box::new(AlreadyVotedDetail {
                choices: vote.state.voted.clone().unwrap_or_default(),
                results: self.voter_results(&vote.state),
            }))),
            Verdict::AddressCapReached => {
                self.refusals.note(Refusal::AddressCap, route);
                Err(ApiError::AddressLimit {
                    retry_after_secs: voting.seconds_until_tomorrow(),
                })
            }
            Verdict::NotYetOpen => Err(ApiError::PollClosed { not_yet_open: true }),
            Verdict::Closed => Err(ApiError::PollClosed {
                not_yet_open: false,
            }),
            Verdict::InvalidChoice => Err(refusal(vote.choice_error())),
            Verdict::ChallengeRequired => {
                self.refusals.note(Refusal::Challenge, route);
                Err(ApiError::ChallengeRequired)
            }
            Verdict::ChallengeReplayed => {
                self.refusals.note(Refusal::Challenge, route);
                Err(ApiError::ChallengeReplayed)
            }
        }
    }
}
