//! The ops listener's document: metrics, health, readiness, this document
//! and the admin API. Each route's own answers are declared here; the
//! refusals each can answer are listed in [`refusals`] and added, with
//! `405`, by [`Door`].
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use http::Method;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify};

use super::door;
use super::errors::{Refusal, sample};
use super::schemas as doc;
use crate::http::api::bodies::{AdminPoll, AdminPolls, Baseline, ErrorBody};
use crate::http::error::ApiError;
use crate::http::ops::{Liveness, Readiness};
use crate::http::router::{OPS, OPS_TABLE, OpsRoute};

/// The ops API.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "tally (ops)",
        description = include_str!("ops.md"),
    ),
    servers((url = "/", description = "This service (the ops listener)")),
    tags(
        (name = "operations", description = "Prometheus and Kubernetes."),
        (name = "admin", description = "Polls, the counter's baseline, history, exports, import and the audit log, for editors (bearer token)."),
        (name = "meta", description = "This document."),
    ),
    paths(
        get_metrics, get_health, get_ready, get_openapi,
        list_polls, create_poll, get_poll, put_poll, close_poll, put_baseline,
        history::reopen_poll, history::archive_poll, history::delete_poll,
        history::ballots_per_day, history::poll_results, history::visits_per_day,
        history::visits_per_month, history::pages_per_day, history::top_pages,
        history::import_visits, history::audit_log,
    ),
    components(schemas(ErrorBody, doc::ErrorDetail)),
    modifiers(&Door),
)]
pub struct OpsApi;

mod history;

/// The poll a route is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct Poll {
    /// The poll's id. A malformed id names no poll (`404 poll_not_found`).
    #[param(value_type = doc::PollId)]
    id: String,
}

/// Whether a replacement may drop options that hold ballots.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct Force {
    /// `true` (or `1`): delete the ballots of options the new definition
    /// drops, instead of refusing with `409 poll_has_ballots`.
    force: Option<String>,
}

/// Metrics
///
/// Prometheus text format; every name starts with `tally_`.
#[utoipa::path(
    get, path = "/metrics", tag = "operations", operation_id = "getMetrics",
    responses(
        (status = 200, description = "The metrics.", body = String,
            content_type = "text/plain; version=0.0.4; charset=utf-8"),
    ),
)]
fn get_metrics() {}

/// Liveness
///
/// The process serves.
#[utoipa::path(
    get, path = "/healthz", tag = "operations", operation_id = "getHealth",
    responses((status = 200, description = "Alive.", body = Liveness)),
)]
fn get_health() {}

/// Readiness
///
/// Ready when the store answers within a second and the public listener is
/// not starved (requests queueing for a turn, or the connection cap
/// reached, for over a second). `?exclude=store` leaves the store out, as
/// Kubernetes' own `/readyz?exclude=…` does: a readiness probe that uses it
/// keeps a store outage from taking every replica out of rotation at once
/// (hits are buffered meanwhile), while a starved replica still is.
#[utoipa::path(
    get, path = "/readyz", tag = "operations", operation_id = "getReady",
    params(
        ("exclude" = Option<String>, Query, description = "`store`: leave the store out of the verdict."),
    ),
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 503, description = "Not ready: what failed is in `checks`.", body = Readiness),
    ),
)]
fn get_ready() {}

/// This document
///
/// The OpenAPI document of the ops API.
#[utoipa::path(
    get, path = "/openapi.json", tag = "meta", operation_id = "getOpsOpenApi",
    responses((status = 200, description = "This document.", body = doc::Document)),
)]
fn get_openapi() {}

/// List the polls
///
/// Every poll, with its results.
#[utoipa::path(
    get, path = "/admin/polls", tag = "admin", operation_id = "listPolls",
    security(("bearer" = [])),
    responses((status = 200, description = "The polls.", body = AdminPolls)),
)]
fn list_polls() {}

/// Create or replace a poll
///
/// The poll named by the body's `id`: created, or replaced by this
/// definition.
#[utoipa::path(
    post, path = "/admin/polls", tag = "admin", operation_id = "createPoll",
    security(("bearer" = [])),
    params(Force),
    request_body(content = doc::PollSpec, content_type = "application/json"),
    responses(
        (status = 201, description = "Created (`result`: `created`).", body = AdminPoll),
        (status = 200, description = "Replaced or unchanged (`result`).", body = AdminPoll),
    ),
)]
fn create_poll() {}

/// Read a poll
#[utoipa::path(
    get, path = "/admin/polls/{id}", tag = "admin", operation_id = "getAdminPoll",
    security(("bearer" = [])),
    params(Poll),
    responses((status = 200, description = "The poll and its results.", body = AdminPoll)),
)]
fn get_poll() {}

/// Create or replace a poll by id
///
/// Like `POST /admin/polls`, for the poll the path names; the body's `id`
/// may be left out, and must otherwise be the path's.
#[utoipa::path(
    put, path = "/admin/polls/{id}", tag = "admin", operation_id = "putPoll",
    security(("bearer" = [])),
    params(Poll, Force),
    request_body(content = doc::PollSpec, content_type = "application/json"),
    responses(
        (status = 201, description = "Created (`result`: `created`).", body = AdminPoll),
        (status = 200, description = "Replaced or unchanged (`result`).", body = AdminPoll),
    ),
)]
fn put_poll() {}

/// Close a poll
///
/// Ends the poll's window now; ballots are refused from then on.
#[utoipa::path(
    post, path = "/admin/polls/{id}/close", tag = "admin", operation_id = "closePoll",
    security(("bearer" = [])),
    params(Poll),
    responses((status = 200, description = "The closed poll and its results.", body = AdminPoll)),
)]
fn close_poll() {}

/// Set the counter baseline
///
/// The visits counted before this service (e.g. `7582803`): `total` is the
/// baseline plus every visit.
#[utoipa::path(
    put, path = "/admin/counter/baseline", tag = "admin", operation_id = "putBaseline",
    security(("bearer" = [])),
    request_body(content = Baseline, content_type = "application/json"),
    responses((status = 200, description = "The baseline set.", body = Baseline)),
)]
fn put_baseline() {}

/// What each route can refuse, beyond `405`. Exhaustive: a new route does
/// not compile until it says.
fn refusals(route: OpsRoute, method: &Method) -> Vec<ApiError> {
    use ApiError::*;
    let signed_in = [AdminDisabled, Unauthorized, sample::locked_out()];
    let body = [
        sample::admin_payload_too_large(),
        sample::invalid_body(),
        sample::unsupported_media_type("application/json"),
        sample::invalid_json(),
    ];
    let mut refusals: Vec<ApiError> = match route {
        OpsRoute::Metrics
        | OpsRoute::Health
        | OpsRoute::Ready
        | OpsRoute::OpenApi
        | OpsRoute::Console(_) => {
            return vec![];
        }
        OpsRoute::AdminPolls | OpsRoute::AdminPoll
            if [Method::POST, Method::PUT].contains(method) =>
        {
            let mut r: Vec<ApiError> = body.into_iter().collect();
            r.extend([sample::invalid_poll(), sample::poll_has_ballots()]);
            if route == OpsRoute::AdminPoll {
                r.push(PollNotFound);
            }
            r
        }
        OpsRoute::AdminPolls => vec![],
        OpsRoute::AdminPoll | OpsRoute::AdminPollClose | OpsRoute::AdminPollArchive => {
            vec![PollNotFound]
        }
        OpsRoute::AdminPollReopen => {
            let mut r: Vec<ApiError> = body.into_iter().collect();
            r.extend([PollNotFound, sample::invalid_poll()]);
            r
        }
        OpsRoute::AdminPollBallots | OpsRoute::AdminPollResults => {
            vec![PollNotFound, sample::invalid_query()]
        }
        OpsRoute::AdminDays
        | OpsRoute::AdminMonths
        | OpsRoute::AdminPages
        | OpsRoute::AdminTopPages
        | OpsRoute::AdminAudit => vec![sample::invalid_query()],
        OpsRoute::AdminImport => vec![
            sample::admin_payload_too_large(),
            sample::invalid_body(),
            sample::unsupported_media_type("text/csv"),
            sample::invalid_import(),
        ],
        OpsRoute::AdminBaseline => {
            let mut r: Vec<ApiError> = body.into_iter().collect();
            r.push(sample::invalid_baseline());
            r
        }
    };
    refusals.extend(signed_in);
    refusals.push(StoreUnavailable);
    refusals
}

/// Adds to every operation what the ops door does, and the bearer scheme.
struct Door;

impl Modify for Door {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        door::absent_is_not_null(api);
        for (template, route, methods) in OPS.iter().filter(|(_, r, _)| !r.is_console()) {
            let matched = OPS_TABLE.at(&template.replace("{id}", "x"));
            for method in methods.iter().filter(|m| **m != Method::HEAD) {
                let mut all: Vec<Refusal> = refusals(*route, method)
                    .into_iter()
                    .map(|error| Refusal {
                        error,
                        as_page: false,
                    })
                    .collect();
                all.push(Refusal {
                    error: sample::method_not_allowed(matched.allow()),
                    as_page: false,
                });
                door::refuse(api, template, method, &all);
            }
        }
    }
}
