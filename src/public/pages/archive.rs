//! `GET /polls`: a page of the polls, open ones first, with their dates
//! and results as far as this visitor may see them, and links to the pages
//! around it.

use std::sync::Arc;

use axum::extract::State;
use http::{StatusCode, Uri};
use maud::{Markup, html};

use super::dates::when;
use super::poll::carry;
use super::results::shown_note;
use super::{Depth, Look, named_site};
use crate::edge::error::ApiError;
use crate::edge::extract::Headers;
use crate::edge::paging::{PagingParams, paging};
use crate::edge::respond::Response;
use crate::edge::schema;
use crate::edge::text::{Lang, text, tr};
use crate::edge::visitor::reader;
use crate::ids::SiteId;
use crate::poll::{PollStatus, Results};
use crate::public::params::{FirstPartyId, Lang as LangParam, PollSite, VisitorCookie};
use crate::public::polls::PollsApi;
use crate::refusals;
use crate::voting::{Listed, Paging, PollView};

fn entry(look: &Look, (lang, site): (Lang, Option<&SiteId>), view: &PollView) -> Markup {
    let t = text(lang);
    let poll = &view.state.poll;
    let results = Results::new(poll, &view.state.votes);
    html! {
        li {
            a href={ "polls/" (poll.id) "?" (carry(lang, site, None)) } { (poll.question) }
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

/// The links to the pages before and after this one, and where it sits:
/// each link keeps the page's language, size and way back to the article.
fn pager(
    (lang, site): (Lang, Option<&SiteId>),
    listed: &Listed<PollView>,
    back: Option<&str>,
) -> Markup {
    let link = |paging: Paging| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("lang", lang.code());
        if let Some(site) = site {
            query.append_pair("site", site.as_str());
        }
        query
            .append_pair("offset", &paging.offset().to_string())
            .append_pair("limit", &paging.limit().to_string());
        if let Some(back) = back {
            query.append_pair("back", back);
        }
        format!("polls?{}", query.finish())
    };
    let number = |n: usize| lang.number(n as u64);
    html! {
        @if listed.previous().is_some() || listed.next().is_some() {
            nav.tally-pager aria-label=(tr(lang, "Các trang", "Pages")) {
                p {
                    @if let Some((first, last)) = listed.range() {
                        (tr(lang, "Cuộc bình chọn", "Polls")) " " (number(first)) "–" (number(last))
                        " " (tr(lang, "trong", "of")) " " (number(listed.total)) ". "
                    } @else {
                        (tr(lang, "Trang này không có cuộc bình chọn nào.", "This page holds no polls.")) " "
                    }
                    @if let Some(previous) = listed.previous() {
                        a href=(link(previous)) rel="prev" { "← " (tr(lang, "Trang trước", "Previous page")) }
                        @if listed.next().is_some() { " · " }
                    }
                    @if let Some(next) = listed.next() {
                        a href=(link(next)) rel="next" { (tr(lang, "Trang sau", "Next page")) " →" }
                    }
                }
            }
        }
    }
}

refusals!(ArchivePageRefusals, pages: [invalid_query(), InvalidVisitor, SiteRequired, SiteNotFound,
    StoreUnavailable]);

/// The archive of polls
///
/// A page of the current and past polls (50 unless `limit` says
/// otherwise), open ones first, with their dates (in the site's time zone)
/// and their results as this visitor may see them (each poll's `results`
/// setting): like a poll archive on a portal. "Trang trước" and "Trang sau"
/// ("Previous page", "Next page") link to the pages around it.
#[utoipa::path(
    get, path = "/polls", tag = "pages", operation_id = "getArchivePage",
    params(PollSite, LangParam, PagingParams, VisitorCookie, FirstPartyId),
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
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let look = &api.look;
    let lang = look.lang(uri.query());
    let t = text(lang);
    let paging = paging(uri.query())?;
    let person = reader(&headers)?;
    let listed = api.named(&uri)?.archive(person.as_ref(), paging).await?;
    let now = api.now();
    let site = named_site(uri.query());
    let here = (lang, site.as_ref());
    let section = |status: PollStatus, title: &str| {
        let group: Vec<&PollView> = listed
            .items
            .iter()
            .filter(|v| v.state.poll.status(now) == status)
            .collect();
        html! {
            @if !group.is_empty() {
                h2 { (title) }
                ul.tally-archive { @for view in group { (entry(look, here, view)) } }
            }
        }
    };
    let back = look.back_link(uri.query(), &headers);
    let body = html! {
        h1 { (t.archive_title) }
        @if listed.total == 0 { p { (t.archive_empty) } }
        (section(PollStatus::Open, t.archive_open))
        (section(PollStatus::NotYetOpen, t.archive_upcoming))
        (section(PollStatus::Closed, t.archive_closed))
        (pager(here, &listed, back.as_deref()))
    };
    let page = look.layout(
        lang,
        here.1,
        Depth::Top,
        t.archive_title,
        back.as_deref(),
        body,
    );
    Ok(look.page(StatusCode::OK, page))
}
