//! The parameters the admin routes share, as their documentation names
//! them: the poll in the path, `force`, spans of days and months, the
//! form of an answer, how many.
#![allow(
    dead_code,
    reason = "descriptions: the documentation reads these, requests are parsed elsewhere"
)]

use utoipa::IntoParams;

use crate::edge::schema;

/// The poll a route is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Poll {
    /// The poll's id. A malformed id names no poll (`404 poll_not_found`).
    #[param(value_type = schema::PollId)]
    id: String,
}

/// The site whose polls a route is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Site {
    /// The site's id; without it, the primary site (`default` without
    /// `TALLY_SITES_FILE`). A site that is not one is `404
    /// site_not_found`; a token whose role is on another site (not this
    /// one or above it) is `403 forbidden_role`.
    #[param(value_type = Option<schema::SiteId>)]
    site: Option<String>,
}

/// Whether to replace a poll whose dropped options hold ballots.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Force {
    /// `true` (or `1`): delete the ballots of options the new definition
    /// drops, instead of refusing with `409 poll_has_ballots`.
    force: Option<String>,
}

/// A span of days and the form of the answer.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Days {
    /// The first day (`yyyy-mm-dd`, in the portal's zone).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// The last day (`yyyy-mm-dd`); a day after today reads as today.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
    /// `json` (the default); `csv` for a script (`,`, ids, ISO dates,
    /// English column names); `csv-vi` (`;` and a decimal comma, as Excel
    /// under Vietnamese regional settings reads it) or `xlsx` for a person,
    /// the question or period above the table, in the site's language or
    /// `lang`'s.
    #[param(value_type = Option<String>, pattern = "^(json|csv|csv-vi|xlsx)$")]
    format: Option<String>,
}

/// A span of months and the form of the answer.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Months {
    /// The first month (`yyyy-mm`); by default 11 months before this one.
    #[param(value_type = Option<String>, pattern = "^[0-9]{4}-[0-9]{2}$")]
    from: Option<String>,
    /// The last month (`yyyy-mm`); by default this one.
    #[param(value_type = Option<String>, pattern = "^[0-9]{4}-[0-9]{2}$")]
    to: Option<String>,
    /// `json`, `csv`, `csv-vi` or `xlsx` (see the days' `format`).
    #[param(value_type = Option<String>, pattern = "^(json|csv|csv-vi|xlsx)$")]
    format: Option<String>,
}

/// The form of the answer.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Format {
    /// `json` (the default); `csv` for a script (`,`, ids, ISO dates,
    /// English column names); `csv-vi` (`;` and a decimal comma, as Excel
    /// under Vietnamese regional settings reads it) or `xlsx` for a person,
    /// the question or period above the table, in the site's language or
    /// `lang`'s.
    #[param(value_type = Option<String>, pattern = "^(json|csv|csv-vi|xlsx)$")]
    format: Option<String>,
}

/// How many.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    /// At least 1.
    #[param(minimum = 1)]
    limit: Option<u32>,
}
