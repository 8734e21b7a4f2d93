//! The admin API's history, exports, import and audit log: visits per day
//! and per month, each day's most-read pages, the most-read pages of a
//! span, a poll's results and ballots per day, each as JSON or, with
//! `?format=`, as a spreadsheet (`csv` for scripts; `csv-vi` and `xlsx` for
//! people, in the site's language or `?lang=`'s); a previous counter's
//! history brought in; and who changed what.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, StatusCode, Uri};

use super::bodies::{
    AdminPoll, AuditLog, BallotsPerDay, ImportBody, PagesPerDay, TopPages, VisitsPerDay,
    VisitsPerMonth,
};
use super::params::{Days, Format, Limit, Months, Poll, Site};
use super::{AdminApi, EditPolls, Named, PollPath, Read, Signed, poll_id};
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, json_response, query_param};
use crate::ops::export::Form;
use crate::ops::sheets;
use crate::refusals;

/// Most pages a list of the most-read pages holds.
const MOST_TOP_PAGES: usize = 1_000;
/// Most audit entries one read returns.
const MOST_AUDIT_READ: usize = 10_000;

refusals!(SpanRefusals: [invalid_query(), AdminDisabled, Unauthorized, ForbiddenRole, locked_out(), StoreUnavailable]);
refusals!(SiteSpanRefusals: [invalid_query(), SiteNotFound, AdminDisabled, Unauthorized, ForbiddenRole, locked_out(), StoreUnavailable]);
refusals!(PollSpanRefusals: [
    PollNotFound,
    SiteNotFound,
    invalid_query(),
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);
refusals!(ResultsRefusals: [PollNotFound, SiteNotFound, invalid_query(), AdminDisabled,
    Unauthorized, ForbiddenRole, locked_out(), StoreUnavailable]);
refusals!(ImportRefusals: [
    admin_payload_too_large(),
    invalid_body(),
    unsupported_media_type("text/csv"),
    invalid_import(),
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
    ImportUnsettled,
]);

/// A `yyyy-mm-dd` (or `yyyy-mm`) query parameter, or `default`.
pub(super) fn param<T: std::str::FromStr>(
    query: Option<&str>,
    name: &str,
    default: T,
) -> Result<T, ApiError> {
    match query_param(query, name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| {
            ApiError::InvalidQuery(format!(
                "{name}: {raw:?} is not a date of the form it takes"
            ))
        }),
    }
}

fn limit(query: Option<&str>, default: usize, most: usize) -> Result<usize, ApiError> {
    match query_param(query, "limit") {
        None => Ok(default),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=most).contains(&n) => Ok(n),
            _ => Err(ApiError::InvalidQuery(format!("limit must be 1 to {most}"))),
        },
    }
}

/// A poll's ballots per day
///
/// Per option, from the first ballot (or `from`) to today (or `to`), on
/// the site `site` names.
#[utoipa::path(
    get, path = "/admin/polls/{id}/ballots-per-day", tag = "admin",
    operation_id = "getBallotsPerDay",
    security(("bearer" = [])),
    params(Poll, Days, Site),
    responses(
        (status = 200, description = "Ballots per day. With `format=csv`: date, option, label, votes.", content(
            (BallotsPerDay = "application/json"),
            (String = "text/csv; charset=utf-8"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), PollSpanRefusals),
)]
pub async fn ballots_per_day(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<Read, Named>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = uri.query();
    let form = Form::asked(q)?;
    let today = api.history.today();
    let state = api.state(&signed.site, &poll_id(path)?).await?;
    let from = query_param(q, "from")
        .map(|_| param(q, "from", today))
        .transpose()?;
    let to = query_param(q, "to")
        .map(|_| param(q, "to", today))
        .transpose()?;
    api.ballots(&signed.site, &state.poll, from, to, form, q)
        .await
}

/// A poll's results, for export
#[utoipa::path(
    get, path = "/admin/polls/{id}/results", tag = "admin", operation_id = "getPollResults",
    security(("bearer" = [])),
    params(Poll, Format, Site),
    responses(
        (status = 200, description = "The poll and its results. With `format=csv`: option, label, votes, percent.", content(
            (AdminPoll = "application/json"),
            (String = "text/csv; charset=utf-8"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), ResultsRefusals),
)]
pub async fn poll_results(
    State(api): State<Arc<AdminApi>>,
    path: PollPath,
    signed: Signed<Read, Named>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let form = Form::asked(uri.query())?;
    let state = api.state(&signed.site, &poll_id(path)?).await?;
    let Some(form) = form else {
        return Ok(json_response(StatusCode::OK, &api.admin_poll(&state, None)));
    };
    let at = api.history.calendar().local(api.editing.voting.now());
    let reader = api.reader(form, uri.query());
    let sheet = sheets::results(&state.poll, &state.votes, state.voters, &at, reader);
    Ok(sheet.response(form))
}

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
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), SpanRefusals),
)]
pub async fn visits_per_day(
    State(api): State<Arc<AdminApi>>,
    _: Signed<Read>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = uri.query();
    let form = Form::asked(q)?;
    let to = param(q, "to", api.history.today())?;
    let from = param(q, "from", to.days_before(29))?;
    api.days(from, to, form, q).await
}

/// Visits per month
#[utoipa::path(
    get, path = "/admin/history/months", tag = "admin", operation_id = "getVisitsPerMonth",
    security(("bearer" = [])),
    params(Months),
    responses(
        (status = 200, description = "Visits per month. With `format=csv`: month, visits.", content(
            (VisitsPerMonth = "application/json"),
            (String = "text/csv; charset=utf-8"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), SpanRefusals),
)]
pub async fn visits_per_month(
    State(api): State<Arc<AdminApi>>,
    _: Signed<Read>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = uri.query();
    let form = Form::asked(q)?;
    let today = api.history.today();
    let to = param(q, "to", today.month())?;
    let from = param(q, "from", today.days_before(334).month())?;
    api.months(from, to, form, q).await
}

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
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), SpanRefusals),
)]
pub async fn pages_per_day(
    State(api): State<Arc<AdminApi>>,
    _: Signed<Read>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = uri.query();
    let form = Form::asked(q)?;
    let to = param(q, "to", api.history.today())?;
    let from = param(q, "from", to)?;
    api.pages(from, to, form, q).await
}

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
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), SpanRefusals),
)]
pub async fn top_pages(
    State(api): State<Arc<AdminApi>>,
    _: Signed<Read>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = uri.query();
    let form = Form::asked(q)?;
    let to = param(q, "to", api.history.today())?;
    let from = param(q, "from", to.days_before(6))?;
    let limit = limit(q, 10, MOST_TOP_PAGES)?;
    api.top_pages(from, to, limit, form, q).await
}

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
    responses((status = 200, description = "What the import did.", body = ImportBody), ImportRefusals),
)]
pub async fn import_visits(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<EditPolls>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let who = signed.who;
    api.import(&headers, body, &who).await
}

/// The audit log
///
/// Every change editors made to the site `site` names (its polls, its
/// baseline; the primary site's also the history's imports), newest first.
#[utoipa::path(
    get, path = "/admin/audit", tag = "admin", operation_id = "getAudit",
    security(("bearer" = [])),
    params(Limit, Format, Site),
    responses(
        (status = 200, description = "The newest entries. With `format=csv`: at, who, action, target, before, after.", content(
            (AuditLog = "application/json"),
            (String = "text/csv; charset=utf-8"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), SiteSpanRefusals),
)]
pub async fn audit_log(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<Read, Named>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = uri.query();
    let form = Form::asked(q)?;
    let limit = limit(q, 100, MOST_AUDIT_READ)?;
    api.audit_log(&signed.site, limit, form, q).await
}
