//! Every JSON body the API reads or writes, as a type. The OpenAPI
//! documents are generated from these, so the document and the answers
//! cannot drift apart. Domain types in a body (ids, the poll status,
//! timestamps) are described by their schemas in [`doc`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::challenge::ChallengeMode;
use crate::counter::CounterView;
use crate::http::openapi::schemas as doc;
use crate::ids::{BallotId, OptionId, PageId, PollId};
use crate::poll::{PollStatus, Results, Shown, Viewer, Visibility};
use crate::store::PollState;

/// `POST /v1/hits`: the page this load counts (optional). Fields other
/// than `page` are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HitRequest {
    /// The page loaded; absent or `null` for the site counter only.
    #[serde(default)]
    #[schema(value_type = Option<doc::PageId>)]
    pub page: Option<String>,
}

/// The counter.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Counter)]
pub struct CounterBody {
    /// The baseline plus every visit (*Số lượt truy cập*).
    pub total: u64,
    /// Visits today, in the site's time zone.
    pub today: u64,
    pub yesterday: u64,
    /// Monday to Sunday, in the site's time zone.
    pub this_week: u64,
    pub this_month: u64,
    /// Visitors seen in the last five minutes.
    pub online: u64,
    /// The store could not be reached: the last known numbers plus this
    /// replica's own hits.
    pub stale: bool,
    /// Present when a page was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub page: Option<PageViews>,
}

/// One page's views.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageViews {
    #[schema(value_type = doc::PageId)]
    pub id: PageId,
    /// The page's views (*Lượt xem*).
    pub views: u64,
}

impl From<&CounterView> for CounterBody {
    fn from(view: &CounterView) -> Self {
        let t = &view.totals;
        Self {
            total: t.total,
            today: t.today,
            yesterday: t.yesterday,
            this_week: t.this_week,
            this_month: t.this_month,
            online: t.online,
            stale: view.stale,
            page: view.page.clone().map(|id| PageViews {
                id,
                views: t.page_views,
            }),
        }
    }
}

/// One answer a visitor can choose.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PollOption)]
pub struct OptionBody {
    #[schema(value_type = doc::OptionId)]
    pub id: OptionId,
    #[schema(example = "Tốt")]
    pub label: String,
}

/// A poll, as a visitor sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Poll)]
pub struct PollBody {
    #[schema(value_type = doc::PollId)]
    pub id: PollId,
    pub question: String,
    #[schema(min_items = 2, max_items = 20)]
    pub options: Vec<OptionBody>,
    /// How many options one ballot may choose.
    #[schema(minimum = 1, maximum = 20)]
    pub max_choices: u32,
    /// When ballots start being taken (RFC 3339), or `null`. The admin API
    /// gives it with the portal's offset, to the second.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub opens_at: Option<String>,
    /// When ballots stop being taken (RFC 3339), or `null`.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub closes_at: Option<String>,
    #[schema(value_type = doc::PollStatus)]
    pub status: PollStatus,
    /// The portal's time zone (IANA name), in which pages show the poll's
    /// dates.
    pub time_zone: String,
    /// Who may see the results, and when.
    #[schema(value_type = doc::Visibility)]
    pub results_visibility: Visibility,
    /// Whether this visitor may see the results now.
    pub results_visible: bool,
    /// Whether a ballot must carry a solved challenge (`on`, `auto`).
    #[schema(value_type = doc::ChallengeMode)]
    pub challenge: ChallengeMode,
    /// Whether this person has voted: never said of a visitor known only
    /// by address, which may be someone else's.
    pub voted: bool,
    /// What they chose; present only when they have voted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<doc::OptionId>, min_items = 1)]
    pub choices: Option<Vec<OptionId>>,
}

impl PollBody {
    /// The poll as `viewer` sees it at `now`.
    pub fn new(state: &PollState, now: Timestamp, viewer: Viewer, zone: &str) -> Self {
        let poll = &state.poll;
        Self {
            id: poll.id.clone(),
            question: poll.question.clone(),
            options: poll
                .options
                .iter()
                .map(|o| OptionBody {
                    id: o.id.clone(),
                    label: o.label.clone(),
                })
                .collect(),
            max_choices: poll.max_choices,
            opens_at: poll.opens_at.map(|t| t.to_string()),
            closes_at: poll.closes_at.map(|t| t.to_string()),
            status: poll.status(now),
            time_zone: zone.to_owned(),
            challenge: poll.challenge,
            results_visibility: poll.results,
            results_visible: poll.results_shown(viewer, now) == Shown::Now,
            voted: state.voted.is_some(),
            choices: state.voted.clone(),
        }
    }
}

/// One option's share.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OptionResult)]
pub struct OptionResultBody {
    #[schema(value_type = doc::OptionId)]
    pub id: OptionId,
    pub label: String,
    pub votes: u64,
    /// One decimal; the percents add up to exactly 100.0 when there are
    /// votes.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: f64,
}

/// What the percents are shares of.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PercentBase {
    /// All votes (with several choices per ballot, more than voters).
    Votes,
}

/// A poll's results.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Results)]
pub struct ResultsBody {
    #[schema(value_type = doc::PollId)]
    pub poll: PollId,
    pub question: String,
    #[schema(value_type = doc::PollStatus)]
    pub status: PollStatus,
    /// Every option chosen, over all ballots.
    pub total_votes: u64,
    /// People who voted (with several choices per ballot, fewer than
    /// votes).
    pub total_voters: u64,
    pub percent_base: PercentBase,
    #[schema(min_items = 2, max_items = 20)]
    pub options: Vec<OptionResultBody>,
}

impl ResultsBody {
    pub fn new(state: &PollState, now: Timestamp) -> Self {
        let results = Results::new(&state.poll, &state.votes);
        Self {
            poll: state.poll.id.clone(),
            question: state.poll.question.clone(),
            status: state.poll.status(now),
            total_votes: results.total_votes,
            total_voters: state.voters,
            percent_base: PercentBase::Votes,
            options: results
                .options
                .into_iter()
                .map(|o| OptionResultBody {
                    id: o.id,
                    label: o.label,
                    votes: o.votes,
                    percent: o.percent,
                })
                .collect(),
        }
    }
}

/// `POST /v1/polls/{id}/votes`: the chosen option ids.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// The chosen option ids: at least one, at most the poll's
    /// `max_choices`, each once.
    #[schema(schema_with = doc::choices)]
    pub options: Vec<String>,
    /// The ballot's id (16 to 64 lowercase hex digits), chosen by the
    /// voter's browser; sent again with a retry, the same ballot has one
    /// fate. Without it, the server picks one.
    #[serde(default)]
    #[schema(value_type = Option<doc::BallotId>)]
    pub ballot: Option<String>,
    /// A solved challenge (`GET /v1/polls/{id}/challenge`), in its compact
    /// form `<salt><number>.<signature>`: required by a poll whose
    /// `challenge` is `on` or `auto`.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 512)]
    pub proof: Option<String>,
}

/// A counted ballot: the choice recorded, the ballot's id, and the results
/// when the poll shows them to its voters.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VoteRecord)]
pub struct VotedBody {
    /// Described with the answer (`VoteAccepted`): the results' fields
    /// beside these, or none.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub results: Option<ResultsBody>,
    pub voted: bool,
    /// This person's choices.
    #[schema(value_type = Vec<doc::OptionId>, min_items = 1)]
    pub choices: Vec<OptionId>,
    /// The ballot's id: the one sent, or the one picked for it.
    #[schema(value_type = doc::BallotId)]
    pub ballot: BallotId,
}

/// What `409 already_voted` adds to the error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlreadyVoted)]
pub struct AlreadyVotedDetail {
    /// The choices recorded for this person.
    #[schema(value_type = Vec<doc::OptionId>)]
    pub choices: Vec<OptionId>,
    /// When the poll shows its results to its voters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsBody>,
}

/// What `403 results_hidden` adds to the error: when the results can be
/// seen.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResultsHidden)]
pub struct HiddenDetail {
    #[schema(value_type = doc::Visibility)]
    pub results_visibility: Visibility,
    /// When the poll closes, if it is set (for `after_close`).
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub closes_at: Option<Timestamp>,
}

impl HiddenDetail {
    pub fn of(shown: Shown) -> Self {
        let (results_visibility, closes_at) = match shown {
            Shown::AfterVote => (Visibility::AfterVote, None),
            Shown::AfterClose(at) => (Visibility::AfterClose, at),
            Shown::Never => (Visibility::Never, None),
            Shown::Now => (Visibility::Always, None),
        };
        Self {
            results_visibility,
            closes_at,
        }
    }
}

/// `GET /v1/polls`: every poll, open ones first, with its results when
/// this visitor may see them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Archive)]
pub struct ArchiveBody {
    pub polls: Vec<ArchivedPoll>,
}

/// A poll in the archive.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArchivedPoll {
    pub poll: PollBody,
    /// Present only when this visitor may see the results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsBody>,
}

/// An option that holds ballots, which a replacement would drop.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldOption {
    #[schema(value_type = doc::OptionId)]
    pub id: OptionId,
    pub votes: u64,
}

/// What `409 poll_has_ballots` adds to the error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PollConflict)]
pub struct PollConflictDetail {
    pub options: Vec<HeldOption>,
}

/// Every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    #[schema(value_type = doc::ErrorDetail)]
    pub error: ErrorDetail<'a>,
}

/// An error's code and message, and what some errors add.
#[derive(Debug, Serialize)]
pub struct ErrorDetail<'a> {
    /// Stable, `snake_case`.
    pub code: &'static str,
    /// A sentence for a person.
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub already_voted: Option<&'a AlreadyVotedDetail>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<&'a PollConflictDetail>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<HiddenDetail>,
}

/// A poll and its results, as the admin API answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPoll {
    pub poll: PollBody,
    pub results: ResultsBody,
    /// When an editor archived the poll (RFC 3339, the portal's offset):
    /// closed and left out of the public lists. Absent if it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = DateTime)]
    pub archived_at: Option<String>,
    /// What a create-or-replace did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Put)]
    pub result: Option<Put>,
}

/// What a create-or-replace did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Put {
    Created,
    Replaced,
    Unchanged,
}

/// `GET /admin/polls`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPolls {
    pub polls: Vec<AdminPoll>,
}

/// `PUT /admin/counter/baseline`: the visits counted before this service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[schema(maximum = 1_000_000_000_000_u64, example = 7_582_803)]
    pub baseline: u64,
}
