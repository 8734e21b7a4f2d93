//! `GET /polls`: every poll, open ones first, with its dates and its
//! results as far as this visitor may see them.

use std::sync::Arc;

use axum::extract::State;
use http::{HeaderMap, StatusCode, Uri};
use maud::{Markup, html};

use super::dates::when;
use super::results::shown_note;
use super::{Depth, Look};
use crate::edge::error::ApiError;
use crate::edge::respond::Response;
use crate::edge::schema;
use crate::edge::text::{Lang, text};
use crate::edge::visitor::reader;
use crate::poll::{PollStatus, Results};
use crate::public::params::{FirstPartyId, Lang as LangParam, VisitorCookie};
use crate::public::polls::PollsApi;
use crate::refusals;
use crate::voting::PollView;

fn entry(look: &Look, lang: Lang, view: &PollView) -> Markup {
    let t = text(lang);
    let poll = &view.state.poll;
    let results = Results::new(poll, &view.state.votes);
    html! {
        li {
            a href={ "polls/" (poll.id) "?lang=" (lang.code()) } { (poll.question) }
            p.tally-hint {
                @if let Some(opens) = poll.opens_at { (t.opens_at) " " (when(opens, &look.tz, lang)) ". " }
                @if let Some(closes) = poll.closes_at { (t.closes_at) " " (when(closes, &look.tz, lang)) "." }
            }
            @if view.visible() {
                p {
                    @for (i, option) in results.options.iter().enumerate() {
                        @if i > 0 { " · " }
                        (option.label) " " (lang.percent(option.tenths))
                    }
                    " — " (t.total_votes) ": " (lang.number(results.total_votes))
                }
            } @else {
                p.tally-hint { (shown_note(look, lang, view)) }
            }
        }
    }
}

refusals!(ArchivePageRefusals, pages: [InvalidVisitor, StoreUnavailable]);

/// The archive of polls
///
/// Current and past polls, open ones first, with their dates (in the site's
/// time zone) and their results as this visitor may see them (each poll's
/// `results` setting): like a poll archive on a portal.
#[utoipa::path(
    get, path = "/polls", tag = "pages", operation_id = "getArchivePage",
    params(LangParam, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The page.", body = schema::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(schema::PageCsp), description = "No script, no inline style; the portal's stylesheet and logo when set; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`."),
            )),
        ArchivePageRefusals,
    ),
)]
pub async fn get_archive_page(
    State(api): State<Arc<PollsApi>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let look = &api.look;
    let lang = look.lang(uri.query());
    let t = text(lang);
    let person = reader(&headers)?;
    let views = api.voting.archive(person.as_ref()).await?;
    let now = api.now();
    let section = |status: PollStatus, title: &str| {
        let group: Vec<&PollView> = views
            .iter()
            .filter(|v| v.state.poll.status(now) == status)
            .collect();
        html! {
            @if !group.is_empty() {
                h2 { (title) }
                ul.tally-archive { @for view in group { (entry(look, lang, view)) } }
            }
        }
    };
    let body = html! {
        h1 { (t.archive_title) }
        @if views.is_empty() { p { (t.archive_empty) } }
        (section(PollStatus::Open, t.archive_open))
        (section(PollStatus::NotYetOpen, t.archive_upcoming))
        (section(PollStatus::Closed, t.archive_closed))
    };
    let back = look.back_link(uri.query(), &headers);
    let page = look.layout(lang, Depth::Top, t.archive_title, back.as_deref(), body);
    Ok(look.page(StatusCode::OK, page))
}
