//! The poll and its results as JSON, as both listeners answer them and as
//! refusals carry them (a voter's `409 already_voted` brings the results).

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema;
use crate::challenge::ChallengeMode;
use crate::ids::{OptionId, PollId};
use crate::poll::{PollStatus, Results, Shown, Viewer, Visibility};
use crate::store::PollState;

/// One answer a visitor can choose.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PollOption)]
pub struct OptionBody {
    #[schema(value_type = schema::OptionId)]
    pub id: OptionId,
    #[schema(example = "Tốt")]
    pub label: String,
}

/// A poll, as a visitor sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Poll)]
pub struct PollBody {
    #[schema(value_type = schema::PollId)]
    pub id: PollId,
    pub question: String,
    #[schema(schema_with = poll_options)]
    pub options: Vec<OptionBody>,
    /// How many options one ballot may choose.
    #[schema(schema_with = schema::max_choices)]
    pub max_choices: u32,
    /// When ballots start being taken (RFC 3339), or `null`. The admin API
    /// gives it with the portal's offset, to the second.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub opens_at: Option<String>,
    /// When ballots stop being taken (RFC 3339), or `null`.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub closes_at: Option<String>,
    #[schema(value_type = schema::PollStatus)]
    pub status: PollStatus,
    /// The portal's time zone (IANA name), in which pages show the poll's
    /// dates.
    pub time_zone: String,
    /// Who may see the results, and when.
    #[schema(value_type = schema::Visibility)]
    pub results_visibility: Visibility,
    /// Whether this visitor may see the results now.
    pub results_visible: bool,
    /// Whether a ballot must carry a solved challenge (`on`, `auto`).
    #[schema(value_type = schema::ChallengeMode)]
    pub challenge: ChallengeMode,
    /// Whether this person has voted: never said of a visitor known only
    /// by address, which may be someone else's.
    pub voted: bool,
    /// What they chose; present only when they have voted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<schema::OptionId>, min_items = 1)]
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
    #[schema(value_type = schema::OptionId)]
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
    #[schema(value_type = schema::PollId)]
    pub poll: PollId,
    pub question: String,
    #[schema(value_type = schema::PollStatus)]
    pub status: PollStatus,
    /// Every option chosen, over all ballots.
    pub total_votes: u64,
    /// People who voted (with several choices per ballot, fewer than
    /// votes).
    pub total_voters: u64,
    pub percent_base: PercentBase,
    #[schema(schema_with = result_options)]
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

/// A poll's options as shown.
fn poll_options() -> utoipa::openapi::schema::ArrayBuilder {
    schema::shown_options("PollOption")
}

/// A poll's options with their shares.
fn result_options() -> utoipa::openapi::schema::ArrayBuilder {
    schema::shown_options("OptionResult")
}
