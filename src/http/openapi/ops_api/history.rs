//! The ops document's entries for a poll's lifecycle beyond create and
//! close (reopen, archive, delete), the history and its exports, the
//! import and the audit log.

use utoipa::IntoParams;

use super::Poll;
use crate::http::api::admin_bodies::{
    AuditLog, BallotsPerDay, Deleted, ImportBody, PagesPerDay, Reopen, TopPages, VisitsPerDay,
    VisitsPerMonth,
};
use crate::http::api::bodies::AdminPoll;

/// A span of days and the form of the answer.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Days {
    /// The first day (`yyyy-mm-dd`, in the portal's zone).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// The last day (`yyyy-mm-dd`); a day after today reads as today.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
    /// `json` (the default) or `csv`: a spreadsheet, UTF-8 with a BOM.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// A span of months and the form of the answer.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Months {
    /// The first month (`yyyy-mm`); by default 11 months before this one.
    #[param(value_type = Option<String>, pattern = "^[0-9]{4}-[0-9]{2}$")]
    from: Option<String>,
    /// The last month (`yyyy-mm`); by default this one.
    #[param(value_type = Option<String>, pattern = "^[0-9]{4}-[0-9]{2}$")]
    to: Option<String>,
    /// `json` or `csv`.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// The form of the answer.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Format {
    /// `json` (the default) or `csv`: a spreadsheet, UTF-8 with a BOM.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// How many.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Limit {
    /// At least 1.
    #[param(minimum = 1)]
    limit: Option<u32>,
}

/// Reopen a poll
///
/// Takes ballots again from now, until `closes_at` or with no end; an
/// archived poll comes back to the lists. Its ballots stay.
#[utoipa::path(
    post, path = "/admin/polls/{id}/reopen", tag = "admin", operation_id = "reopenPoll",
    security(("bearer" = [])),
    params(Poll),
    request_body(content = Option<Reopen>, content_type = "application/json"),
    responses((status = 200, description = "The reopened poll.", body = AdminPoll)),
)]
fn reopen_poll() {}

/// Archive a poll
///
/// Closes it (if open) and leaves it out of the public lists; its results
/// are kept and stay readable by its address.
#[utoipa::path(
    post, path = "/admin/polls/{id}/archive", tag = "admin", operation_id = "archivePoll",
    security(("bearer" = [])),
    params(Poll),
    responses((status = 200, description = "The archived poll.", body = AdminPoll)),
)]
fn archive_poll() {}

/// Delete a poll
///
/// Deletes the poll and every ballot cast in it, for good. The audit log
/// keeps its definition and counts.
#[utoipa::path(
    delete, path = "/admin/polls/{id}", tag = "admin", operation_id = "deletePoll",
    security(("bearer" = [])),
    params(Poll),
    responses((status = 200, description = "What was deleted.", body = Deleted)),
)]
fn delete_poll() {}

/// A poll's ballots per day
///
/// Per option, from the first ballot (or `from`) to today (or `to`).
#[utoipa::path(
    get, path = "/admin/polls/{id}/ballots-per-day", tag = "admin",
    operation_id = "getBallotsPerDay",
    security(("bearer" = [])),
    params(Poll, Days),
    responses(
        (status = 200, description = "Ballots per day. With `format=csv`: date, option, label, votes.", content(
            (BallotsPerDay = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
    ),
)]
fn ballots_per_day() {}

/// A poll's results, for export
#[utoipa::path(
    get, path = "/admin/polls/{id}/results", tag = "admin", operation_id = "getPollResults",
    security(("bearer" = [])),
    params(Poll, Format),
    responses(
        (status = 200, description = "The poll and its results. With `format=csv`: option, label, votes, percent.", content(
            (AdminPoll = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
    ),
)]
fn poll_results() {}

/// Visits per day
///
/// Each day of the span (by default the last 30 days), imported history
/// included.
#[utoipa::path(
    get, path = "/admin/history/days", tag = "admin", operation_id = "getVisitsPerDay",
    security(("bearer" = [])),
    params(Days),
    responses(
        (status = 200, description = "Visits per day. With `format=csv`: date, visits.", content(
            (VisitsPerDay = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
    ),
)]
fn visits_per_day() {}

/// Visits per month
#[utoipa::path(
    get, path = "/admin/history/months", tag = "admin", operation_id = "getVisitsPerMonth",
    security(("bearer" = [])),
    params(Months),
    responses(
        (status = 200, description = "Visits per month. With `format=csv`: month, visits.", content(
            (VisitsPerMonth = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
    ),
)]
fn visits_per_month() {}

/// Each day's most-read pages
///
/// For the days of the span still kept (by default today).
#[utoipa::path(
    get, path = "/admin/history/pages", tag = "admin", operation_id = "getPagesPerDay",
    security(("bearer" = [])),
    params(Days),
    responses(
        (status = 200, description = "Each day's most-read pages. With `format=csv`: date, page, views.", content(
            (PagesPerDay = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
    ),
)]
fn pages_per_day() {}

/// The most-read pages of a span
///
/// By default the last 7 days' ten most-read pages.
#[utoipa::path(
    get, path = "/admin/history/top-pages", tag = "admin", operation_id = "getTopPages",
    security(("bearer" = [])),
    params(Days, Limit),
    responses(
        (status = 200, description = "The most-read pages. With `format=csv`: page, views.", content(
            (TopPages = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
    ),
)]
fn top_pages() {}

/// Import a previous counter's history
///
/// CSV lines `date,visits` (`,`, `;` or a tab between; dates `yyyy-mm-dd`
/// or `dd/mm/yyyy`; one heading line allowed). Each day's visits join the
/// history and the total; a day imported again replaces its earlier
/// import, so the same file twice changes nothing.
#[utoipa::path(
    post, path = "/admin/history/import", tag = "admin", operation_id = "importVisits",
    security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        example = "date,visits\n2024-03-01,7582\n2024-03-02,6930\n"),
    responses((status = 200, description = "What the import did.", body = ImportBody)),
)]
fn import_visits() {}

/// The audit log
///
/// Every change editors made, newest first.
#[utoipa::path(
    get, path = "/admin/audit", tag = "admin", operation_id = "getAudit",
    security(("bearer" = [])),
    params(Limit, ("format" = Option<String>, Query, description = "`json` or `csv`.")),
    responses(
        (status = 200, description = "The newest entries. With `format=csv`: at, who, action, target, before, after.", content(
            (AuditLog = "application/json"),
            (String = "text/csv; charset=utf-8"),
        )),
    ),
)]
fn audit_log() {}
