//! `GET /polls`: every poll, open ones first, with its dates and its
//! results as far as this visitor may see them.

use http::StatusCode;
use maud::{Markup, html};

use super::dates::when;
use super::results::shown_note;
use super::{Depth, Look};
use crate::http::api::polls::PollsApi;
use crate::http::error::ApiError;
use crate::http::i18n::{Lang, text};
use crate::http::identity::reader;
use crate::http::respond::{Req, Response};
use crate::poll::{PollStatus, Results};
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

/// `GET /polls`.
pub async fn archive_page(api: &PollsApi, req: &Req) -> Result<Response, ApiError> {
    let look = &api.look;
    let lang = look.lang(req.uri().query());
    let t = text(lang);
    let person = reader(req.headers())?;
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
    let back = look.back_link(req.uri().query(), req.headers());
    let page = look.layout(lang, Depth::Top, t.archive_title, back.as_deref(), body);
    Ok(look.page(StatusCode::OK, page))
}
