//! The console's pages, each at its address with the methods it takes;
//! one handler answers them all ([`Console::handle`]), told which page.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Path, Request, State};
use axum::routing::{MethodRouter, get, post};

use super::{Console, Page};
use crate::edge::client::Client;
use crate::edge::respond::Response;

/// Which methods a page takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Get,
    Post,
    GetPost,
}

/// Every page of the console: its address, the page, its methods.
pub const PAGES: &[(&str, Page, Takes)] = &[
    ("/admin/", Page::Dashboard, Takes::Get),
    ("/admin/console.css", Page::Stylesheet, Takes::Get),
    ("/admin/console.js", Page::Script, Takes::Get),
    ("/admin/sign-in", Page::SignIn, Takes::GetPost),
    ("/admin/sign-out", Page::SignOut, Takes::Post),
    ("/admin/console/polls", Page::Polls, Takes::GetPost),
    ("/admin/console/new-poll", Page::NewPoll, Takes::Get),
    ("/admin/console/polls/{id}", Page::Poll, Takes::Get),
    (
        "/admin/console/polls/{id}/edit",
        Page::EditPoll,
        Takes::GetPost,
    ),
    (
        "/admin/console/polls/{id}/close",
        Page::ClosePoll,
        Takes::Post,
    ),
    (
        "/admin/console/polls/{id}/reopen",
        Page::ReopenPoll,
        Takes::Post,
    ),
    (
        "/admin/console/polls/{id}/open",
        Page::OpenPoll,
        Takes::Post,
    ),
    (
        "/admin/console/polls/{id}/publish",
        Page::PublishPoll,
        Takes::Post,
    ),
    (
        "/admin/console/polls/{id}/archive",
        Page::ArchivePoll,
        Takes::GetPost,
    ),
    (
        "/admin/console/polls/{id}/delete",
        Page::DeletePoll,
        Takes::GetPost,
    ),
    (
        "/admin/console/polls/{id}/results.csv",
        Page::PollResults { xlsx: false },
        Takes::Get,
    ),
    (
        "/admin/console/polls/{id}/results.xlsx",
        Page::PollResults { xlsx: true },
        Takes::Get,
    ),
    ("/admin/console/history", Page::History, Takes::Get),
    (
        "/admin/console/history/days.csv",
        Page::HistorySheet {
            months: false,
            xlsx: false,
        },
        Takes::Get,
    ),
    (
        "/admin/console/history/days.xlsx",
        Page::HistorySheet {
            months: false,
            xlsx: true,
        },
        Takes::Get,
    ),
    (
        "/admin/console/history/months.csv",
        Page::HistorySheet {
            months: true,
            xlsx: false,
        },
        Takes::Get,
    ),
    (
        "/admin/console/history/months.xlsx",
        Page::HistorySheet {
            months: true,
            xlsx: true,
        },
        Takes::Get,
    ),
    ("/admin/console/audit", Page::Audit, Takes::Get),
    ("/admin/console/import", Page::Import, Takes::GetPost),
];

/// The route of `page`, taking `takes`.
pub fn route<S>(page: Page, takes: Takes) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Console>: FromRef<S>,
{
    let handler = move |State(console): State<Arc<Console>>, client: Client, req: Request| async move {
        answer(&console, page, client, req).await
    };
    match takes {
        Takes::Get => get(handler),
        Takes::Post => post(handler),
        Takes::GetPost => get(handler).post(handler),
    }
}

async fn answer(console: &Console, page: Page, client: Client, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let id = Path::<String>::from_request_parts(&mut parts, &())
        .await
        .ok()
        .map(|Path(id)| id);
    let req = Request::from_parts(parts, body);
    console.handle(page, id.as_deref(), req, client).await
}
