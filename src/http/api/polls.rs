//! The polls' JSON API: `GET /v1/polls/{id}`, `POST /v1/polls/{id}/votes`,
//! `GET /v1/polls/{id}/results`; and the steps a ballot takes that the
//! HTML form shares.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use super::bodies::{
    AlreadyVotedDetail, ArchiveBody, ArchivedPoll, PollBody, ResultsBody, VoteRequest, VotedBody,
};
use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::http::identity::{Visitors, reader};
use crate::http::origin::{Naming, Origins};
use crate::http::pages::Look;
use crate::http::respond::{Req, Response, json_object, json_response, media_type_is};
use crate::http::stream::Streams;
use crate::ids::{BallotId, OptionId, PollId};
use crate::poll::{ChoiceError, Shown, Verdict, Viewer};
use crate::store::{BallotProof, PollState, SpentSolution};
use crate::telemetry::{Refusal, Refusals};
use crate::voting::{Vote, Voter, Voting};

/// What the poll routes (JSON and HTML) need.
pub struct PollsApi {
    pub voting: Arc<Voting>,
    pub visitors: Arc<Visitors>,
    pub origins: Arc<Origins>,
    pub refusals: Arc<Refusals>,
    /// How the HTML pages look and speak.
    pub look: Arc<Look>,
    /// The live result streams open on this replica.
    pub streams: Arc<Streams>,
    /// How often a live stream looks for changed results.
    pub live_interval: std::time::Duration,
    /// How long a live stream stays open (`TALLY_STREAM_LIFETIME`).
    pub stream_lifetime: std::time::Duration,
    /// Ballots per address and day from a form post on a poll that asks
    /// for a challenge (`TALLY_FORM_VOTES_PER_ADDRESS`).
    pub form_votes_per_address: u32,
}

/// Who `state` was read for: a person who voted, or anyone else.
fn viewer_of(state: &PollState) -> Viewer {
    if state.voted.is_some() {
        Viewer::Voter
    } else {
        Viewer::Visitor
    }
}

/// A poll id from the path; a malformed one names no poll.
pub fn poll_id(raw: Option<&str>) -> Result<PollId, ApiError> {
    raw.and_then(|id| PollId::parse(id).ok())
        .ok_or(ApiError::PollNotFound)
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

/// A ballot that was not counted, as the error it answers.
fn refusal(choice: ChoiceError) -> ApiError {
    match choice {
        ChoiceError::TooMany { max } => ApiError::TooManyChoices { max },
        other => ApiError::InvalidOption(other.to_string()),
    }
}

/// A ballot, checked for where it comes from and what it is.
pub struct BallotRequest {
    pub parts: http::request::Parts,
    pub poll: PollId,
    pub body: Bytes,
}

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

impl PollsApi {
    pub fn now(&self) -> jiff::Timestamp {
        self.voting.now()
    }

    pub fn results_body(&self, state: &PollState) -> ResultsBody {
        ResultsBody::new(state, self.now())
    }

    /// The results a voter is shown with their ballot, when the poll shows
    /// its results to voters.
    fn voter_results(&self, state: &PollState) -> Option<ResultsBody> {
        let now = self.now();
        (state.poll.results_shown(Viewer::Voter, now) == Shown::Now)
            .then(|| ResultsBody::new(state, now))
    }

    /// A poll and what this person chose. Only a person (cookie or
    /// first-party id) is told: an address hash may be someone else's.
    pub async fn poll_for(&self, id: &PollId, req: &Req) -> Result<PollState, ApiError> {
        let visitor = reader(req.headers())?;
        self.voting
            .state(id, visitor.as_ref())
            .await?
            .ok_or(ApiError::PollNotFound)
    }

    pub async fn get_poll(&self, req: &Req, id: Option<&str>) -> Result<Response, ApiError> {
        let state = self.poll_for(&poll_id(id)?, req).await?;
        Ok(json_response(
            StatusCode::OK,
            &PollBody::new(
                &state,
                self.now(),
                viewer_of(&state),
                self.voting.zone_name(),
            ),
        ))
    }

    /// `GET /v1/polls/{id}/challenge`: a challenge for a ballot in the
    /// poll, at the level its setting says. Nothing is stored.
    pub async fn get_challenge(&self, id: Option<&str>) -> Result<Response, ApiError> {
        let challenge = self
            .voting
            .challenge(&poll_id(id)?)
            .await?
            .ok_or(ApiError::PollNotFound)?;
        Ok(json_response(StatusCode::OK, &challenge))
    }

    /// `GET /v1/polls`: every poll, with its results as this visitor may
    /// see them.
    pub async fn get_archive(&self, req: &Req) -> Result<Response, ApiError> {
        let person = reader(req.headers())?;
        let now = self.now();
        let polls = self
            .voting
            .archive(person.as_ref())
            .await?
            .into_iter()
            .map(|view| ArchivedPoll {
                poll: PollBody::new(
                    &view.state,
                    now,
                    viewer_of(&view.state),
                    self.voting.zone_name(),
                ),
                results: view.visible().then(|| ResultsBody::new(&view.state, now)),
            })
            .collect();
        Ok(json_response(StatusCode::OK, &ArchiveBody { polls }))
    }

    /// `GET /v1/polls/{id}/results`: at most a flush interval old, to
    /// those the poll shows them to (`403 results_hidden` otherwise).
    pub async fn get_results(&self, req: &Req, id: Option<&str>) -> Result<Response, ApiError> {
        let person = reader(req.headers())?;
        let view = self
            .voting
            .results_view(&poll_id(id)?, person.as_ref())
            .await?
            .ok_or(ApiError::PollNotFound)?;
        if !view.visible() {
            return Err(ApiError::ResultsHidden(view.shown));
        }
        Ok(json_response(
            StatusCode::OK,
            &self.results_body(&view.state),
        ))
    }

    /// A ballot request's head, poll and body, once its origin and media
    /// type (the first of `media` is named in a refusal) are acceptable.
    pub fn ballot_request(
        &self,
        req: Req,
        client: &Client,
        id: Option<&str>,
        media: &[&'static str],
        naming: Naming,
    ) -> Result<BallotRequest, ApiError> {
        let (parts, body) = req.into_parts();
        self.origins
            .check(&parts.headers, &parts.uri, client, naming)
            .inspect_err(|_| self.refusals.note(Refusal::OriginNotAllowed, "ballot"))?;
        let poll = poll_id(id)?;
        if !media_type_is(&parts.headers, media) {
            return Err(ApiError::UnsupportedMediaType { expected: media[0] });
        }
        Ok(BallotRequest { parts, poll, body })
    }

    /// Casts a ballot. A person votes as themselves; a visitor known only
    /// by address votes under the fresh id issued with this answer, so
    /// someone else behind the same address never stands in their way
    /// (the per-address cap bounds how often that works).
    pub async fn cast(
        &self,
        headers: &http::HeaderMap,
        client: &Client,
        poll: &PollId,
        choices: Vec<OptionId>,
        ballot: Option<&str>,
        proof: Proof<'_>,
    ) -> Result<Cast, ApiError> {
        let proof = match proof {
            Proof::Solution(solution) => BallotProof::Solved(SpentSolution::of(
                self.voting
                    .check_solution(poll, solution)
                    .await?
                    .map_err(|e| {
                        self.refusals.note(Refusal::Challenge, "ballot");
                        ApiError::ChallengeFailed(e)
                    })?,
                self.now(),
            )),
            Proof::Form => BallotProof::Form {
                cap: self.form_votes_per_address,
            },
            Proof::None => BallotProof::Missing,
        };
        let ballot = match ballot {
            Some(id) => BallotId::parse(id).map_err(|_| {
                ApiError::InvalidBody("ballot must be 16 to 64 lowercase hex digits".into())
            })?,
            None => BallotId::fresh(),
        };
        let identity = self.visitors.identify(headers, client).await?;
        let address = self.visitors.address(client).await?;
        let visitor = identity
            .person()
            .or(identity.issued.as_ref())
            .cloned()
            .ok_or(ApiError::Internal)?;
        let vote = self
            .voting
            .vote(
                poll,
                Voter {
                    visitor,
                    address,
                    fresh: identity.person().is_none(),
                    client: client.ip,
                },
                choices,
                ballot,
                proof,
            )
            .await?
            .ok_or(ApiError::PollNotFound)?;
        Ok(Cast {
            vote,
            by_person: identity.person().is_some(),
            set_cookie: identity.set_cookie,
        })
    }

    /// A ballot that was not counted, as the error it answers; `Ok` for a
    /// counted one.
    pub fn verdict(&self, vote: &Vote, route: &'static str) -> Result<(), ApiError> {
        match vote.verdict {
            Verdict::Accepted => Ok(()),
            Verdict::AlreadyVoted => Err(ApiError::AlreadyVoted(Box::new(AlreadyVotedDetail {
                choices: vote.state.voted.clone().unwrap_or_default(),
                results: self.voter_results(&vote.state),
            }))),
            Verdict::AddressCapReached => {
                self.refusals.note(Refusal::AddressCap, route);
                Err(ApiError::AddressLimit {
                    retry_after_secs: self.voting.seconds_until_tomorrow(),
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

    /// `POST /v1/polls/{id}/votes`: `201` with the results when counted.
    pub async fn post_vote(
        &self,
        req: Req,
        client: Client,
        id: Option<&str>,
    ) -> Result<Response, ApiError> {
        let ballot = self.ballot_request(
            req,
            &client,
            id,
            &["application/json", "text/plain"],
            Naming::Optional,
        )?;
        let body: VoteRequest = json_object(&ballot.body)?;
        let choices = option_ids(body.options.iter().map(String::as_str))?;
        let cast = self
            .cast(
                &ballot.parts.headers,
                &client,
                &ballot.poll,
                choices,
                body.ballot.as_deref(),
                body.proof.as_deref().map_or(Proof::None, Proof::Solution),
            )
            .await?;
        let mut response = match self.verdict(&cast.vote, "/v1/polls/{id}/votes") {
            Ok(()) => json_response(
                StatusCode::CREATED,
                &VotedBody {
                    results: self.voter_results(&cast.vote.state),
                    voted: true,
                    choices: cast.vote.state.voted.clone().unwrap_or_default(),
                    ballot: cast.vote.ballot.clone(),
                },
            ),
            Err(refused) => refused.into_json(self.look.lang(ballot.parts.uri.query())),
        };
        if let Some(cookie) = cast.set_cookie {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        Ok(response)
    }
}
