//! `GET /polls/{id}/results`: the results with bars, for those the poll
//! lets see them; what this person chose; when the poll closed or opens.

use std::sync::Arc;

use axum::extract::State;
use http::{StatusCode, Uri};
use maud::{Markup, html};

use super::dates::when;
use super::poll::carry;
use super::{Depth, Look, named_site};
use crate::edge::error::ApiError;
use crate::edge::extract::Headers;
use crate::edge::respond::Response;
use crate::edge::schema;
use crate::edge::text::{Lang, text};
use crate::edge::visitor::reader;
use crate::ids::SiteId;
use crate::poll::{PollStatus, Results, Shown};
use crate::public::params::{FirstPartyId, Lang as LangParam, Poll, PollSite, VisitorCookie};
use crate::public::polls::{PollPath, PollsApi};
use crate::refusals;
use crate::voting::PollView;

/// What this person chose, and where the poll stands (closed since when,
/// opening when).
pub(super) fn status_note(
    look: &Look,
    lang: Lang,
    view: &PollView,
    now: jiff::Timestamp,
) -> Markup {
    let t = text(lang);
    let poll = &view.state.poll;
    let chosen: Vec<&str> = view
        .state
        .voted
        .iter()
        .flatten()
        .filter_map(|id| poll.options.iter().find(|o| &o.id == id))
        .map(|o| o.label.as_str())
        .collect();
    html! {
        @if !chosen.is_empty() {
            p.tally-notice role="status" {
                (t.thanks) " " (t.you_chose) ": " strong { (chosen.join(", ")) } "."
            }
        }
        @match poll.status(now) {
            PollStatus::Closed => p role="status" {
                (t.closed)
                @if let Some(closed) = poll.closes_at { " " (t.closed_at) " " (when(closed, &look.tz, lang)) "." }
            },
            PollStatus::NotYetOpen => p role="status" {
                (t.not_yet_open)
                @if let Some(opens) = poll.opens_at { " " (t.opens_at) " " (when(opens, &look.tz, lang)) "." }
            },
            PollStatus::Open => {},
        }
    }
}

/// Why the results are not shown, and when they will be.
pub(super) fn shown_note(look: &Look, lang: Lang, view: &PollView) -> String {
    let t = text(lang);
    match view.shown {
        Shown::Now => String::new(),
        Shown::AfterVote => t.results_after_vote.to_owned(),
        Shown::AfterClose(Some(closes)) => {
            format!(
                "{} ({}).",
                t.results_after_close,
                when(closes, &look.tz, lang)
            )
        }
        Shown::AfterClose(None) => format!("{}.", t.results_after_close),
        Shown::Never => t.results_never.to_owned(),
    }
}

/// The results, with bars of one length for every option.
fn bars(lang: Lang, view: &PollView) -> Markup {
    let t = text(lang);
    let state = &view.state;
    let results = Results::new(&state.poll, &state.votes);
    let mine = |id| state.voted.iter().flatten().any(|v| v == id);
    html! {
        ul.tally-results {
            @for option in &results.options {
                @let percent = lang.percent(option.tenths);
                li.tally-mine[mine(&option.id)] {
                    span.tally-label {
                        (option.label)
                        @if mine(&option.id) { " (" (t.your_choice) ")" }
                    }
                    span.tally-figures {
                        span.tally-percent { (percent) }
                        " "
                        span.tally-votes { "(" (lang.number(option.votes)) " " (t.votes) ")" }
                    }
                    progress max="1000" value=(option.tenths) aria-label={ (option.label) ": " (percent) } { (percent) }
                }
            }
        }
        p.tally-total { (t.total_votes) ": " strong { (lang.number(results.total_votes)) } }
        @if state.poll.max_choices > 1 {
            p.tally-total { (t.total_voters) ": " strong { (lang.number(state.voters)) } }
            p.tally-hint { (t.percent_of_votes) }
        }
    }
}

/// The results page's body. `depth` is where the page is served from, for
/// the link back to the poll.
pub(super) fn results_body(
    look: &Look,
    view: &PollView,
    (lang, site): (Lang, Option<&SiteId>),
    back: Option<&str>,
    now: jiff::Timestamp,
    depth: Depth,
) -> Markup {
    let t = text(lang);
    let poll = &view.state.poll;
    let to_poll = match depth {
        Depth::Results => "../",
        _ => "",
    };
    let may_vote = poll.status(now) == PollStatus::Open && view.state.voted.is_none();
    html! {
        h1 { (t.results_title) }
        p.tally-question { (poll.question) }
        (status_note(look, lang, view, now))
        @if view.visible() {
            (bars(lang, view))
        } @else {
            p.tally-hint role="status" { (shown_note(look, lang, view)) }
        }
        @if may_vote {
            p { a href={ (to_poll) (poll.id) "?" (carry(lang, site, back)) } { (t.back_to_poll) } }
        }
    }
}

refusals!(ResultsPageRefusals, pages: [PollNotFound, InvalidVisitor, SiteRequired, SiteNotFound,
    StoreUnavailable]);

/// A poll's results as an HTML page
///
/// The results with bars of one length, percents written the Vietnamese
/// way (`41,7%`) by default, the total, and whether and since when the poll
/// is closed; where the poll hides its results from this visitor, when
/// they will be shown instead. Thanks and the visitor's own choice appear
/// only for the person whose cookie voted.
#[utoipa::path(
    get, path = "/polls/{id}/results", tag = "pages", operation_id = "getResultsPage",
    params(Poll, PollSite, LangParam, VisitorCookie, FirstPartyId,
        ("back" = Option<String>, Query, description = "The article the visitor came from: shown as a link back when it is a page of `TALLY_ALLOWED_ORIGINS` (else ignored; never a redirect)."),
    ),
    responses(
        (status = 200, description = "The page.", body = schema::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(schema::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`: the form's post carries its `Origin`."),
            )),
        ResultsPageRefusals,
    ),
)]
pub async fn get_results_page(
    State(api): State<Arc<PollsApi>>,
    PollPath(id): PollPath,
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let look = &api.look;
    let lang = look.lang(uri.query());
    let back = look.back_link(uri.query(), &headers);
    let person = reader(&headers)?;
    let view = api
        .named(&uri)?
        .view(&id, person.as_ref())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    let site = named_site(uri.query());
    let body = results_body(
        look,
        &view,
        (lang, site.as_ref()),
        back.as_deref(),
        api.now(),
        Depth::Results,
    );
    let page = look.layout(
        lang,
        site.as_ref(),
        Depth::Results,
        text(lang).results_title,
        back.as_deref(),
        body,
    );
    Ok(look.page(StatusCode::OK, page))
}
