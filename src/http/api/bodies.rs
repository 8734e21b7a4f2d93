//! Every JSON body the API reads or writes, as a type. The OpenAPI
//! documents are generated from these, so the document and the answers
//! cannot drift apart.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::counter::CounterView;
use crate::ids::{BallotId, OptionId, PageId, PollId};
use crate::poll::{PollStatus, Results, Shown, Viewer, Visibility};
use crate::store::PollState;

/// `POST /v1/hits`: the page this load counts (optional).
#[derive(Debug, Deserialize)]
pub struct HitRequest {
    #[serde(default)]
    pub page: Option<String>,
}

/// The counter.
#[derive(Debug, Serialize)]
pub struct CounterBody {
    /// The baseline plus every visit.
    pub total: u64,
    pub today: u64,
    pub yesterday: u64,
    /// Monday to Sunday, in the site's time zone.
    pub this_week: u64,
    pub this_month: u64,
    /// Visits seen in the last five minutes.
    pub online: u64,
    /// The store could not be reached: the last known numbers plus this
    /// replica's own hits.
    pub stale: bool,
    /// Present when a page was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageViews>,
}

/// One page's views.
#[derive(Debug, Serialize)]
pub struct PageViews {
    pub id: PageId,
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
#[derive(Debug, Serialize)]
pub struct OptionBody {
    pub id: OptionId,
    pub label: String,
}

/// A poll, as a visitor sees it.
#[derive(Debug, Serialize)]
pub struct PollBody {
    pub id: PollId,
    pub question: String,
    pub options: Vec<OptionBody>,
    pub max_choices: u32,
    pub opens_at: Option<Timestamp>,
    pub closes_at: Option<Timestamp>,
    pub status: PollStatus,
    /// The portal's time zone (IANA name), in which pages show the poll's
    /// dates.
    pub time_zone: String,
    /// Who may see the results, and when.
    pub results_visibility: Visibility,
    /// Whether this visitor may see the results now.
    pub results_visible: bool,
    /// Whether this person has voted (never said of a visitor known only
    /// by address).
    pub voted: bool,
    /// What they chose, when they have voted.
    #[serde(skip_serializing_if = "Option::is_none")]
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
            opens_at: poll.opens_at,
            closes_at: poll.closes_at,
            status: poll.status(now),
            time_zone: zone.to_owned(),
            results_visibility: poll.results,
            results_visible: poll.results_shown(viewer, now) == Shown::Now,
            voted: state.voted.is_some(),
            choices: state.voted.clone(),
        }
    }
}

/// One option's share.
#[derive(Debug, Serialize)]
pub struct OptionResultBody {
    pub id: OptionId,
    pub label: String,
    pub votes: u64,
    /// One decimal; the percents add up to exactly 100.0 when there are
    /// votes.
    pub percent: f64,
}

/// What the percents are shares of.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PercentBase {
    /// All votes (with several choices per ballot, more than voters).
    Votes,
}

/// A poll's results.
#[derive(Debug, Serialize)]
pub struct ResultsBody {
    pub poll: PollId,
    pub question: String,
    pub status: PollStatus,
    pub total_votes: u64,
    /// People who voted.
    pub total_voters: u64,
    pub percent_base: PercentBase,
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    pub options: Vec<String>,
    /// The ballot's id (16 to 64 lowercase hex digits), chosen by the
    /// voter's browser; sent again with a retry, the same ballot has one
    /// fate. Without it, the server picks one.
    #[serde(default)]
    pub ballot: Option<String>,
}

/// A counted ballot: the choice recorded, and the results when the poll
/// shows them to its voters.
#[derive(Debug, Serialize)]
pub struct VotedBody {
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsBody>,
    pub voted: bool,
    pub choices: Vec<OptionId>,
    /// The ballot's id: the one sent, or the one picked for it.
    pub ballot: BallotId,
}

/// What `409 already_voted` adds to the error.
#[derive(Debug, Serialize)]
pub struct AlreadyVotedDetail {
    pub choices: Vec<OptionId>,
    /// When the poll shows its results to its voters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsBody>,
}

/// What `403 results_hidden` adds to the error: when the results can be
/// seen.
#[derive(Debug, Serialize)]
pub struct HiddenDetail {
    pub results_visibility: Visibility,
    /// When the poll closes, if it is set (for `after_close`).
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
#[derive(Debug, Serialize)]
pub struct ArchiveBody {
    pub polls: Vec<ArchivedPoll>,
}

#[derive(Debug, Serialize)]
pub struct ArchivedPoll {
    pub poll: PollBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsBody>,
}

/// An option that holds ballots, which a replacement would drop.
#[derive(Debug, Serialize)]
pub struct HeldOption {
    pub id: OptionId,
    pub votes: u64,
}

/// What `409 poll_has_ballots` adds to the error.
#[derive(Debug, Serialize)]
pub struct PollConflictDetail {
    pub options: Vec<HeldOption>,
}

/// Every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

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
#[derive(Debug, Serialize)]
pub struct AdminPoll {
    pub poll: PollBody,
    pub results: ResultsBody,
    /// What a create-or-replace did: `created`, `replaced`, `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
}

/// `GET /admin/polls`.
#[derive(Debug, Serialize)]
pub struct AdminPolls {
    pub polls: Vec<AdminPoll>,
}

/// `PUT /admin/counter/baseline`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub baseline: u64,
}
