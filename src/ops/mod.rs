//! The ops listener: Prometheus metrics, health and readiness, this
//! listener's API document, the admin API, and the editors' console. Each
//! documented route is declared once, beside its handler, with what it
//! refuses; [`routes`] lists them, and the console's pages after them.

pub mod admin;
pub mod console;
pub mod export;
pub mod health;
pub mod sheets;

use std::sync::Arc;

use axum::extract::FromRef;
use http::header;

use crate::edge::doc::Document;
use crate::edge::door::{Asked, Render, Routes};
use crate::edge::respond::{self, Response};
use crate::edge::routes::endpoints;
use crate::lang::Lang;
use admin::AdminApi;
use console::Console;
use health::Health;

/// What the routes need, each route taking its part, behind one `Arc`:
/// the router clones its state for every request, and one count to
/// raise and lower costs less than one per part.
#[derive(Clone)]
pub struct Ops(Arc<OpsParts>);

impl Ops {
    pub fn new(parts: OpsParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for Ops {
    type Target = OpsParts;

    fn deref(&self) -> &OpsParts {
        &self.0
    }
}

/// The parts of [`Ops`].
pub struct OpsParts {
    pub health: Arc<Health>,
    pub admin: Arc<AdminApi>,
    pub console: Arc<Console>,
    pub document: Arc<Document>,
}

impl FromRef<Ops> for Arc<Health> {
    fn from_ref(ops: &Ops) -> Self {
        Arc::clone(&ops.health)
    }
}

impl FromRef<Ops> for Arc<AdminApi> {
    fn from_ref(ops: &Ops) -> Self {
        Arc::clone(&ops.admin)
    }
}

impl FromRef<Ops> for Arc<Console> {
    fn from_ref(ops: &Ops) -> Self {
        Arc::clone(&ops.console)
    }
}

impl FromRef<Ops> for Arc<Document> {
    fn from_ref(ops: &Ops) -> Self {
        Arc::clone(&ops.document)
    }
}

/// Every ops route. Adding one: its handler (with `#[utoipa::path]` and
/// its refusals) beside the others of its area, and its line here.
pub fn routes() -> Routes<Ops> {
    use admin::history::*;
    use admin::polls::*;
    use health::*;
    let documented = Routes::default()
        .api(endpoints!(get_metrics))
        .api(endpoints!(get_health))
        .api(endpoints!(get_ready))
        .api(endpoints!(health::get_openapi))
        .api(endpoints!(list_polls, create_poll))
        .api(endpoints!(get_poll, put_poll, delete_poll))
        .api(endpoints!(close_poll))
        .api(endpoints!(reopen_poll))
        .api(endpoints!(archive_poll))
        .api(endpoints!(admin::drafts::publish_poll))
        .api(endpoints!(ballots_per_day))
        .api(endpoints!(poll_results))
        .api(endpoints!(admin::baseline::put_baseline))
        .api(endpoints!(visits_per_day))
        .api(endpoints!(visits_per_month))
        .api(endpoints!(pages_per_day))
        .api(endpoints!(top_pages))
        .api(endpoints!(import_visits))
        .api(endpoints!(audit_log))
        .api(endpoints!(
            admin::sites::list_sites,
            admin::define::create_site
        ))
        .api(endpoints!(
            admin::define::put_site,
            admin::define::delete_site
        ))
        .api(endpoints!(admin::sites::sites_visits_per_day))
        .api(endpoints!(admin::sites::removed_sites))
        .api(endpoints!(admin::backup::get_backup));
    console::PAGES
        .iter()
        .fold(documented, |routes, (template, page, takes)| {
            routes.page(template, takes.methods(), console::route(*page, *takes))
        })
}

/// How a refusal is answered on this listener: JSON, in English (the
/// console answers its own pages) — except that a browser asking for an
/// admin API address without a token (an editor who typed `/admin/polls`)
/// is sent to the console's page for it.
pub fn render() -> Render {
    Box::new(|error, asked: &Asked<'_>| {
        if asked.html() && matches!(error, crate::edge::error::ApiError::Unauthorized) {
            return console::send_to_console(asked.uri);
        }
        error.to_json(Lang::En)
    })
}

/// Headers every ops answer carries.
pub fn secure(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::X_CONTENT_TYPE_OPTIONS, respond::NOSNIFF);
}
