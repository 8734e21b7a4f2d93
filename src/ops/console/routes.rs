//! The console's pages, each at its address with the methods it takes and
//! what each method needs of the signed-in editor's role; one handler
//! answers them all ([`Console::handle`]), told which page and its need,
//! and refuses a role that may not.

use std::sync::Arc;

use axum::extract::{FromRef, Request, State};
use axum::handler::Handler;
use http::Method;

use super::layout::see_other;
use super::{Console, Page};
use crate::edge::client::Client;
use crate::edge::extract::param;
use crate::edge::respond::{Response, query_param};
use crate::edge::routes::Reply;
use crate::roles::Need;
use crate::roles::Need::{EditPolls, Open, Read};

/// Which methods a page takes, each with what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Get(Need),
    Post(Need),
    GetPost(Need, Need),
}

impl Takes {
    /// The methods the page answers (`HEAD` as `GET`).
    pub fn methods(self) -> &'static [Method] {
        match self {
            Takes::Get(_) => &[Method::GET],
            Takes::Post(_) => &[Method::POST],
            Takes::GetPost(..) => &[Method::GET, Method::POST],
        }
    }

    /// What `method` needs here; `None` if the page does not take it.
    pub fn need(self, method: &http::Method) -> Option<Need> {
        match (self, method.as_str()) {
            (Takes::Get(need) | Takes::GetPost(need, _), "GET" | "HEAD") => Some(need),
            (Takes::Post(need) | Takes::GetPost(_, need), "POST") => Some(need),
            _ => None,
        }
    }
}

/// Every page of the console: its address, the page, its methods and
/// what each needs. A page that changes something needs `EditPolls` for
/// its form as well as for its post.
pub const PAGES: &[(&str, Page, Takes)] = &[
    ("/admin/", Page::Dashboard, Takes::Get(Read)),
    ("/admin/console.css", Page::Stylesheet, Takes::Get(Open)),
    ("/admin/console.js", Page::Script, Takes::Get(Open)),
    ("/admin/sign-in", Page::SignIn, Takes::GetPost(Open, Open)),
    ("/admin/sign-out", Page::SignOut, Takes::Post(Read)),
    (
        "/admin/console/polls",
        Page::Polls,
        Takes::GetPost(Read, EditPolls),
    ),
    (
        "/admin/console/new-poll",
        Page::NewPoll,
        Takes::Get(EditPolls),
    ),
    ("/admin/console/polls/{id}", Page::Poll, Takes::Get(Read)),
    (
        "/admin/console/polls/{id}/edit",
        Page::EditPoll,
        Takes::GetPost(EditPolls, EditPolls),
    ),
    (
        "/admin/console/polls/{id}/close",
        Page::ClosePoll,
        Takes::Post(EditPolls),
    ),
    (
        "/admin/console/polls/{id}/reopen",
        Page::ReopenPoll,
        Takes::Post(EditPolls),
    ),
    (
        "/admin/console/polls/{id}/open",
        Page::OpenPoll,
        Takes::Post(EditPolls),
    ),
    (
        "/admin/console/polls/{id}/publish",
        Page::PublishPoll,
        Takes::Post(EditPolls),
    ),
    (
        "/admin/console/polls/{id}/archive",
        Page::ArchivePoll,
        Takes::GetPost(EditPolls, EditPolls),
    ),
    (
        "/admin/console/polls/{id}/delete",
        Page::DeletePoll,
        Takes::GetPost(EditPolls, EditPolls),
    ),
    (
        "/admin/console/polls/{id}/results.csv",
        Page::PollResults { xlsx: false },
        Takes::Get(Read),
    ),
    (
        "/admin/console/polls/{id}/results.xlsx",
        Page::PollResults { xlsx: true },
        Takes::Get(Read),
    ),
    ("/admin/console/history", Page::History, Takes::Get(Read)),
    (
        "/admin/console/history/days.csv",
        Page::HistorySheet {
            months: false,
            xlsx: false,
        },
        Takes::Get(Read),
    ),
    (
        "/admin/console/history/days.xlsx",
        Page::HistorySheet {
            months: false,
            xlsx: true,
        },
        Takes::Get(Read),
    ),
    (
        "/admin/console/history/months.csv",
        Page::HistorySheet {
            months: true,
            xlsx: false,
        },
        Takes::Get(Read),
    ),
    (
        "/admin/console/history/months.xlsx",
        Page::HistorySheet {
            months: true,
            xlsx: true,
        },
        Takes::Get(Read),
    ),
    ("/admin/console/audit", Page::Audit, Takes::Get(Read)),
    (
        "/admin/console/sites",
        Page::Sites,
        Takes::GetPost(Read, EditPolls),
    ),
    (
        "/admin/console/sites/days.csv",
        Page::SitesSheet { xlsx: false },
        Takes::Get(Read),
    ),
    (
        "/admin/console/sites/days.xlsx",
        Page::SitesSheet { xlsx: true },
        Takes::Get(Read),
    ),
    (
        "/admin/console/import",
        Page::Import,
        Takes::GetPost(EditPolls, EditPolls),
    ),
];

/// The console's page for an admin API address a browser asked for
/// (`/admin/polls/{id}` → the poll's page), a poll's `?site=` and `?lang=`
/// kept: a 303 there.
pub fn send_to_console(uri: &http::Uri) -> Response {
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let page = match segments.as_slice() {
        ["admin", "polls"] => "/admin/console/polls".to_owned(),
        ["admin", "polls", id, ..] if crate::ids::PollId::parse(id).is_ok() => {
            format!("/admin/console/polls/{id}")
        }
        ["admin", "history", ..] => "/admin/console/history".to_owned(),
        ["admin", "audit"] => "/admin/console/audit".to_owned(),
        _ => "/admin/".to_owned(),
    };
    // A poll's site goes with it, as the admin API names it.
    let site = query_param(uri.query(), "site").and_then(|s| crate::ids::SiteId::parse(&s).ok());
    let page = match site {
        Some(site) if page.starts_with("/admin/console/polls") => format!("{page}?site={site}"),
        _ => page,
    };
    let sep = if page.contains('?') { '&' } else { '?' };
    let page = match query_param(uri.query(), "lang").as_deref() {
        Some(lang @ ("vi" | "en")) => format!("{page}{sep}lang={lang}"),
        _ => page,
    };
    see_other(&page)
}

/// The handler of `page`, for the methods `takes` names.
pub fn route<S>(page: Page, takes: Takes) -> impl Fn(Request, S) -> Reply + Send + Sync + 'static
where
    S: Clone + Send + Sync + 'static,
    Arc<Console>: FromRef<S>,
{
    let handler = move |State(console): State<Arc<Console>>, client: Client, req: Request| async move {
        // The table sends only the methods `takes` names (HEAD as GET);
        // anything else needs the most.
        let need = takes.need(req.method()).unwrap_or(Need::Operate);
        answer(&console, page, need, client, req).await
    };
    move |req, state| Handler::call(handler, req, state)
}

async fn answer(
    console: &Console,
    page: Page,
    need: Need,
    client: Client,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let id = param(&parts);
    let req = Request::from_parts(parts, body);
    console.handle(page, need, id.as_deref(), req, client).await
}
