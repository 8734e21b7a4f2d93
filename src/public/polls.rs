//! The polls' JSON routes: the archive `GET /v1/polls`, a poll, its
//! results and a challenge for a ballot. Ballots are in [`super::votes`],
//! the live results in [`super::live`].

use std::sync::Arc;

use axum::extract::State;
use http::{HeaderMap, StatusCode, Uri};

use super::bodies::{ArchiveBody, ArchivedPoll};
use super::pages::Look;
use super::params::{FirstPartyId, Poll, PollSite, VisitorCookie};
use crate::edge::client::Client;
use crate::edge::error::ApiError;
use crate::edge::extract::{Headers, param};
use crate::edge::origin::{Origins, claimed_origin, own_origin};
use crate::edge::paging::{PagingParams, paging};
use crate::edge::poll_json::{PollBody, ResultsBody};
use crate::edge::respond::{Response, json_response, query_param};
use crate::edge::schema;
use crate::edge::stream::Streams;
use crate::edge::visitor::reader;
use crate::identity::Visitors;
use crate::ids::{OptionId, PollId};
use crate::poll::Viewer;
use crate::refusals;
use crate::sites::NotCounted;
use crate::store::PollState;
use crate::telemetry::{Refusal, Refusals};
use crate::voting::{Voting, Votings};

/// What the poll routes (JSON and HTML) need.
pub struct PollsApi {
    /// Every site's polls.
    pub votings: Arc<Votings>,
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

/// The poll a path names (`{id}`): a malformed id names no poll.
pub struct PollPath(pub PollId);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PollPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, ApiError> {
        poll_id(&param(parts).ok_or(ApiError::PollNotFound)?).map(PollPath)
    }
}

/// Who `state` was read for: a person who voted, or anyone else.
pub fn viewer_of(state: &PollState) -> Viewer {
    if state.voted.is_some() {
        Viewer::Voter
    } else {
        Viewer::Visitor
    }
}

/// A poll id from the path; a malformed one names no poll.
pub fn poll_id(raw: &str) -> Result<PollId, ApiError> {
    PollId::parse(raw).map_err(|_| ApiError::PollNotFound)
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

impl PollsApi {
    pub fn now(&self) -> jiff::Timestamp {
        self.votings.primary().now()
    }

    pub fn results_body(&self, state: &PollState) -> ResultsBody {
        ResultsBody::new(state, self.now())
    }

    /// The polls of the site a request names (`site`), as the counter's
    /// routes find it: the one site when none are configured and it names
    /// none; `400 site_required` when sites are configured and it names
    /// none; `404 site_not_found` for one that is not a site.
    pub fn named(&self, uri: &Uri) -> Result<Arc<Voting>, ApiError> {
        self.site_of(uri, None, || None)
    }

    /// The polls of the site a ballot names, which it must come from (one
    /// of the site's origins, or tally's own pages): a ballot from another
    /// page is refused `403 foreign_origin`, never silently dropped.
    /// Without sites, the origin was checked already
    /// ([`PollsApi::ballot_from`]), as before.
    pub fn ballot_site(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        client: &Client,
    ) -> Result<Arc<Voting>, ApiError> {
        if !self.votings.sites().configured() {
            return self.named(uri);
        }
        let origin = claimed_origin(headers);
        let own = || own_origin(headers, uri, client);
        self.site_of(uri, origin.as_deref(), own)
    }

    fn site_of(
        &self,
        uri: &Uri,
        origin: Option<&str>,
        own: impl FnOnce() -> Option<String>,
    ) -> Result<Arc<Voting>, ApiError> {
        let named = query_param(uri.query(), "site");
        let sites = self.votings.sites();
        let def = sites
            .resolve(named.as_deref(), origin, own)
            .map_err(|why| match why {
                NotCounted::NoSite => ApiError::SiteRequired,
                NotCounted::UnknownSite => ApiError::SiteNotFound,
                NotCounted::ForeignOrigin => {
                    self.refusals.note(Refusal::OriginNotAllowed, "ballot");
                    ApiError::ForeignOrigin
                }
            })?;
        self.votings.get(&def.id).ok_or(ApiError::SiteNotFound)
    }

    /// A poll of `voting`'s site and what this person chose. Only a
    /// person (cookie or first-party id) is told: an address hash may be
    /// someone else's.
    pub async fn poll_for(
        &self,
        voting: &Voting,
        id: &PollId,
        headers: &HeaderMap,
    ) -> Result<PollState, ApiError> {
        let visitor = reader(headers)?;
        voting
            .public_state(id, visitor.as_ref())
            .await?
            .ok_or(ApiError::PollNotFound)
    }
}

refusals!(ArchiveRefusals: [invalid_query(), InvalidVisitor, SiteRequired, SiteNotFound, StoreUnavailable]);
refusals!(PollRefusals: [PollNotFound, InvalidVisitor, SiteRequired, SiteNotFound, StoreUnavailable]);
refusals!(ResultsRefusals: [PollNotFound, InvalidVisitor, results_hidden(), SiteRequired, SiteNotFound,
    StoreUnavailable]);
refusals!(ChallengeRefusals: [PollNotFound, SiteRequired, SiteNotFound, StoreUnavailable]);

/// The archive of polls
///
/// A page of the polls (50 unless `limit` says otherwise), open ones first
/// (soonest to close first), then those coming up, then the closed ones
/// (latest first), each with its results when this visitor may see them
/// (the poll's `results_visibility`); `total`, `offset` and `limit` say
/// where the page sits. The JSON twin of `/polls`.
#[utoipa::path(
    get, path = "/v1/polls", tag = "polls", operation_id = "getArchive",
    params(PollSite, PagingParams, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "A page of the polls.", body = ArchiveBody, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        ArchiveRefusals,
    ),
)]
pub async fn get_archive(
    State(api): State<Arc<PollsApi>>,
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let paging = paging(uri.query())?;
    let person = reader(&headers)?;
    let now = api.now();
    let voting = &api.named(&uri)?;
    let listed = voting.archive(person.as_ref(), paging).await?;
    let polls = listed
        .items
        .into_iter()
        .map(|view| ArchivedPoll {
            poll: PollBody::new(&view.state, now, viewer_of(&view.state), voting.zone_name()),
            results: view.visible().then(|| ResultsBody::new(&view.state, now)),
        })
        .collect();
    let body = ArchiveBody {
        polls,
        total: listed.total as u64,
        offset: paging.offset() as u64,
        limit: paging.limit() as u64,
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// Read a poll
///
/// The poll, with `voted` for the person asking (their cookie, else their
/// `Tally-Visitor` id) and, when they voted, their `choices`. A visitor
/// known only by address is never told a choice: `voted` is `false`. Sets
/// no cookie.
#[utoipa::path(
    get, path = "/v1/polls/{id}", tag = "polls", operation_id = "getPoll",
    params(Poll, PollSite, VisitorCookie, FirstPartyId),
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
        PollRefusals,
    ),
)]
pub async fn get_poll(
    State(api): State<Arc<PollsApi>>,
    PollPath(id): PollPath,
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let voting = &api.named(&uri)?;
    let state = api.poll_for(voting, &id, &headers).await?;
    Ok(json_response(
        StatusCode::OK,
        &PollBody::new(&state, api.now(), viewer_of(&state), voting.zone_name()),
    ))
}

/// Read a poll's results
///
/// At most a flush interval old. Where the poll hides its results from
/// this visitor (`after_vote` before they voted, `after_close` while open,
/// `never`), `403 results_hidden` says until when.
#[utoipa::path(
    get, path = "/v1/polls/{id}/results", tag = "polls", operation_id = "getResults",
    params(Poll, PollSite, VisitorCookie, FirstPartyId),
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
        ResultsRefusals,
    ),
)]
pub async fn get_results(
    State(api): State<Arc<PollsApi>>,
    PollPath(id): PollPath,
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let person = reader(&headers)?;
    let view = api
        .named(&uri)?
        .results_view(&id, person.as_ref())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    if !view.visible() {
        return Err(ApiError::ResultsHidden(view.shown));
    }
    Ok(json_response(
        StatusCode::OK,
        &api.results_body(&view.state),
    ))
}

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
    params(Poll, PollSite),
    responses(
        (status = 200, description = "A challenge.", body = schema::Challenge, headers(
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        ChallengeRefusals,
    ),
)]
pub async fn get_challenge(
    State(api): State<Arc<PollsApi>>,
    PollPath(id): PollPath,
    client: Client,
    uri: Uri,
) -> Result<Response, ApiError> {
    let challenge = api
        .named(&uri)?
        .challenge(&id, client.ip)
        .await?
        .ok_or(ApiError::PollNotFound)?;
    Ok(json_response(StatusCode::OK, &challenge))
}
