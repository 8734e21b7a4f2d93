//! The admin API's bodies: a poll with its results, the baseline, a poll's
//! reopening and deletion, and the history, export, import and audit
//! routes' answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::edge::poll_json::{PollBody, ResultsBody};
use crate::edge::schema;

/// `POST /admin/polls/{id}/reopen`: until when (or no end).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopen {
    /// When ballots stop being taken again: RFC 3339, or a local date and
    /// time in the portal's zone (`2026-12-31T17:00`); absent or `null`,
    /// the poll has no end.
    #[schema(example = "2026-12-31T17:00:00+07:00")]
    pub closes_at: Option<String>,
}

/// `DELETE /admin/polls/{id}`: what went with the poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    #[schema(value_type = schema::PollId)]
    pub id: String,
    /// Votes deleted with it (one ballot may hold several).
    pub votes: u64,
    /// People whose ballots were deleted.
    pub voters: u64,
}

/// One day's visits.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayVisits {
    #[schema(example = "2026-12-02", format = Date)]
    pub day: String,
    pub visits: u64,
}

/// `GET /admin/history/days`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitsPerDay {
    /// The portal's time zone, in which days begin and end.
    #[schema(example = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
    pub days: Vec<DayVisits>,
    /// The days' sum.
    pub total: u64,
}

/// One month's visits.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthVisits {
    #[schema(example = "2026-12")]
    pub month: String,
    pub visits: u64,
}

/// `GET /admin/history/months`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitsPerMonth {
    #[schema(example = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
    pub months: Vec<MonthVisits>,
    pub total: u64,
}

/// A page and its views.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageCount {
    #[schema(value_type = schema::PageId)]
    pub page: String,
    pub views: u64,
}

/// One day's most-read pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayPages {
    #[schema(example = "2026-12-02", format = Date)]
    pub day: String,
    pub pages: Vec<PageCount>,
}

/// `GET /admin/history/pages`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PagesPerDay {
    /// Most pages a day keeps (`TALLY_HISTORY_TOP_PAGES`).
    pub top_pages: u32,
    /// Days kept (`TALLY_HISTORY_PAGE_DAYS`); earlier days are not listed.
    pub days_kept: u32,
    pub days: Vec<DayPages>,
}

/// `GET /admin/history/top-pages`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopPages {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub pages: Vec<PageCount>,
}

/// One day's ballots in a poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayBallotsBody {
    #[schema(example = "2026-12-02", format = Date)]
    pub day: String,
    /// Votes per option, in the order of `options`.
    pub votes: Vec<u64>,
    /// People who voted that day.
    pub voters: u64,
}

/// `GET /admin/polls/{id}/ballots-per-day`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BallotsPerDay {
    #[schema(value_type = schema::PollId)]
    pub poll: String,
    /// The option ids, in the order of each day's `votes`.
    #[schema(value_type = Vec<schema::OptionId>)]
    pub options: Vec<String>,
    pub days: Vec<DayBallotsBody>,
}

/// `POST /admin/history/import`: what the import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportBody {
    /// Days in the file.
    pub days: u64,
    /// Days new or changed since the last import (0 for the same file
    /// again).
    pub changed: u64,
    /// What the total of visits changed by.
    pub added: i64,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    /// When (RFC 3339, the portal's offset).
    #[schema(example = "2026-12-02T17:37:47+07:00", format = DateTime)]
    pub at: String,
    /// The name of the admin token used.
    #[schema(example = "lan")]
    pub who: String,
    #[schema(example = "close_poll")]
    pub action: String,
    /// A poll's id, or `counter`.
    pub target: String,
    /// The poll before (definition and counts), where there was one.
    #[schema(value_type = Object)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[schema(value_type = Object)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// `GET /admin/audit`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntryBody>,
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
    /// A draft: seen only here and in the console, no public page or
    /// answer (`404 poll_not_found`), no ballots, until it is published
    /// (`POST /admin/polls/{id}/publish`).
    pub draft: bool,
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

/// `GET /admin/polls`: a page of the polls, by id.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPolls {
    pub polls: Vec<AdminPoll>,
    /// Polls in all (archived ones too).
    pub total: u64,
    /// Polls before this page: the next page, while `offset + limit` is
    /// less than `total`, is at `?offset=` that sum.
    pub offset: u64,
    /// Most polls on this page, as asked.
    #[schema(minimum = 1, maximum = 200)]
    pub limit: u64,
}

/// `PUT /admin/counter/baseline`: the visits counted before this service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[schema(maximum = 1_000_000_000_000_u64, example = 7_582_803)]
    pub baseline: u64,
}
