//! The admin API's sites: the province's sites as configured, and each
//! site's visits per day over a span (JSON, or a spreadsheet for the
//! ministry's figures), its own and with the sites below it.

use std::sync::Arc;

use axum::extract::State;
use http::{StatusCode, Uri};
use serde::Serialize;
use utoipa::ToSchema;

use super::history::param;
use super::params::Days;
use super::{AdminApi, Read, ReadSites, Signed};
use crate::calendar::Day;
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, json_response};
use crate::ops::export::Form;
use crate::ops::sheets;
use crate::refusals;
use crate::retention::Retention;
use crate::sites::SiteDef;

/// Most days one export of every site's visits spans.
const MOST_SITE_DAYS: u32 = 366;
/// Most rows (a site's day) one export holds: a spreadsheet holds a
/// million.
const MOST_ROWS: usize = 1_000_000;

refusals!(ListRefusals: [AdminDisabled, Unauthorized, locked_out()]);
refusals!(RemovedRefusals: [AdminDisabled, Unauthorized, ForbiddenRole, locked_out(), StoreUnavailable]);
refusals!(SpanRefusals: [invalid_query(), AdminDisabled, Unauthorized, locked_out(), StoreUnavailable]);

/// One site, as configured.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteBody {
    #[schema(example = "so-y-te")]
    pub id: String,
    #[schema(example = "Sở Y tế")]
    pub name: String,
    /// The site whose figures include this one's.
    #[schema(example = "tinh")]
    pub parent: Option<String>,
    /// The pages that may count for it.
    pub origins: Vec<String>,
    #[schema(example = "vi")]
    pub lang: String,
    #[schema(example = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
    /// Ids it was known by (renamed, or merged into it): requests naming
    /// one count into it.
    #[schema(example = json!(["xa-an-phu"]))]
    pub aliases: Vec<String>,
    /// Whether it was created through the admin API or the console (and
    /// is changed there); else it is the sites file's.
    pub defined: bool,
}

/// `GET /admin/sites`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SitesBody {
    /// Whether the sites come from a sites file; else the one site is
    /// `default`.
    pub configured: bool,
    /// Every site, in id order.
    pub sites: Vec<SiteBody>,
}

/// A site the sites file no longer names, whose data is kept until it
/// is purged.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemovedSiteBody {
    #[schema(example = "xa-an-phu")]
    pub id: String,
    /// When a running tally last found it in the sites file.
    #[schema(example = "2026-12-01T02:00:00Z")]
    pub last_listed: String,
    /// From when its data may be deleted (30 days after), unless the file
    /// names it again before.
    #[schema(example = "2026-12-31T02:00:00Z")]
    pub purged_from: String,
}

/// `GET /admin/sites/removed`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemovedSitesBody {
    /// In id order.
    pub sites: Vec<RemovedSiteBody>,
}

/// One site's day.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDayBody {
    #[schema(example = "2026-12-01")]
    pub day: String,
    /// Its figure: its own visits and those of the sites below it.
    pub visits: u64,
    /// Its own pages' visits.
    pub own: u64,
}

/// One site's days.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDaysBody {
    #[schema(example = "so-y-te")]
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    pub days: Vec<SiteDayBody>,
    /// The days' sum, with the sites below it.
    pub total: u64,
    /// The days' sum of its own visits.
    pub own_total: u64,
}

/// `GET /admin/sites/days`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SitesDaysBody {
    #[schema(example = "2026-11-01")]
    pub from: String,
    #[schema(example = "2026-11-30")]
    pub to: String,
    pub sites: Vec<SiteDaysBody>,
}

pub(super) fn site_body(def: &SiteDef, defined: bool) -> SiteBody {
    SiteBody {
        id: def.id.to_string(),
        name: def.name.clone(),
        parent: def.parent.as_ref().map(ToString::to_string),
        origins: def.origins.clone(),
        lang: def.lang.code().to_owned(),
        time_zone: def.timezone.iana_name().unwrap_or("UTC").to_owned(),
        aliases: def.aliases.iter().map(ToString::to_string).collect(),
        defined,
    }
}

/// The sites
///
/// Every site this deployment serves that the token reaches (a token on a
/// site: that site and the sites below it), with its parent: without a
/// sites file, the one site `default`.
#[utoipa::path(
    get, path = "/admin/sites", tag = "admin", operation_id = "listSites",
    security(("bearer" = [])),
    responses((status = 200, description = "The sites, in id order.", body = SitesBody), ListRefusals),
)]
pub async fn list_sites(State(api): State<Arc<AdminApi>>, signed: Signed<ReadSites>) -> Response {
    let sites = api.counters.sites();
    json_response(
        StatusCode::OK,
        &SitesBody {
            configured: sites.configured(),
            sites: sites
                .all()
                .into_iter()
                .filter(|def| sites.reaches(&signed.grant, &def.id))
                .map(|def| site_body(def, sites.is_defined(&def.id)))
                .collect(),
        },
    )
}

/// Visits per day, site by site
///
/// Each site's visits on each day of the span (by default the last 30
/// days, at most 366), for the ministry's figures: its figure (its own and
/// the sites' below it, as its counter shows) and its own pages' visits.
#[utoipa::path(
    get, path = "/admin/sites/days", tag = "admin", operation_id = "getSitesVisitsPerDay",
    security(("bearer" = [])),
    params(Days),
    responses(
        (status = 200, description = "Each site's visits per day. With `format=csv`: site, name, parent, date, visits, own.", content(
            (SitesDaysBody = "application/json"),
            (String = "text/csv; charset=utf-8"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), SpanRefusals),
)]
pub async fn sites_visits_per_day(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<ReadSites>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let q = uri.query();
    let form = Form::asked(q)?;
    let to = param(q, "to", api.history.today())?;
    let from = param(q, "from", to.days_before(29))?;
    let (from, to) = api.history.span(from, to)?;
    let days: Vec<Day> = if from <= to {
        from.through(to).collect()
    } else {
        Vec::new()
    };
    let sites = api.counters.sites();
    if days.len() > MOST_SITE_DAYS as usize || days.len() * sites.len() > MOST_ROWS {
        return Err(ApiError::InvalidQuery(format!(
            "a span of at most {} days for {} sites",
            (MOST_ROWS / sites.len()).min(MOST_SITE_DAYS as usize),
            sites.len()
        )));
    }
    let mut rows = api.counters.visits_per_day(from, to).await?;
    rows.retain(|row| sites.reaches(&signed.grant, &row.site.id));
    if let Some(form) = form {
        let reader = api.reader(form, q);
        return Ok(sheets::site_days(&rows, &days, from, to, reader).response(form));
    }
    let body = SitesDaysBody {
        from: from.to_string(),
        to: to.to_string(),
        sites: rows
            .iter()
            .map(|row| SiteDaysBody {
                id: row.site.id.to_string(),
                name: row.site.name.clone(),
                parent: row.site.parent.as_ref().map(ToString::to_string),
                days: days
                    .iter()
                    .zip(row.visits.iter().zip(&row.own))
                    .map(|(day, (visits, own))| SiteDayBody {
                        day: day.to_string(),
                        visits: *visits,
                        own: *own,
                    })
                    .collect(),
                total: row.visits.iter().sum(),
                own_total: row.own.iter().sum(),
            })
            .collect(),
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// The removed sites
///
/// The sites whose data the store keeps though the sites file no longer
/// names them, each with when its data goes: putting a site back in the
/// file before then brings every count back. A removed site has no place
/// in the tree, so the list takes a grant reaching every site.
#[utoipa::path(
    get, path = "/admin/sites/removed", tag = "admin", operation_id = "listRemovedSites",
    security(("bearer" = [])),
    responses((status = 200, description = "The removed sites, in id order.", body = RemovedSitesBody), RemovedRefusals),
)]
pub async fn removed_sites(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<Read>,
) -> Result<Response, ApiError> {
    if !api.counters.sites().reaches_all(&signed.grant) {
        return Err(ApiError::ForbiddenRole);
    }
    let removed = api.retention.removed().await?;
    let body = RemovedSitesBody {
        sites: removed
            .into_iter()
            .map(|(id, listed)| RemovedSiteBody {
                id,
                last_listed: listed.to_string(),
                purged_from: Retention::purged_at(listed).to_string(),
            })
            .collect(),
    };
    Ok(json_response(StatusCode::OK, &body))
}
