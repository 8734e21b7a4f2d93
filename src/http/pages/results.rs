//! `GET /polls/{id}/results`: the results with bars.

use http::StatusCode;
use maud::html;

use super::{Depth, layout, page};
use crate::http::api::polls::{PollsApi, poll_id};
use crate::http::api::query_param;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::respond::{Req, Response};
use crate::poll::{PollStatus, Results};

/// `GET /polls/{id}/results`.
pub async fn results_page(
    api: &PollsApi,
    req: &Req,
    id: Option<&str>,
) -> Result<Response, ApiError> {
    let lang = Lang::choose(req.uri().query(), req.headers());
    let t = lang.text();
    let id = poll_id(id)?;
    let state = api.results(&id).await?;
    let notice = query_param(req.uri().query(), "notice").and_then(|v| match v.as_str() {
        "thanks" => Some(t.thanks),
        "already" => Some(t.already_voted),
        "closed" => Some(t.closed),
        "not_open" => Some(t.not_yet_open),
        _ => None,
    });
    let results = Results::new(&state.poll, &state.votes);
    let open = state.poll.status(api.now()) == PollStatus::Open;
    let body = html! {
        h1 { (t.results_title) }
        p.tally-question { (state.poll.question) }
        @if let Some(notice) = notice {
            p.tally-notice role="status" { (notice) }
        }
        ul.tally-results {
            @for option in &results.options {
                @let percent = lang.percent(option.tenths);
                li {
                    span.tally-label { (option.label) }
                    progress max="1000" value=(option.tenths) aria-label={ (option.label) ": " (percent) } { (percent) }
                    span.tally-percent { (percent) }
                    " "
                    span.tally-votes { "(" (lang.number(option.votes)) " " (t.votes) ")" }
                }
            }
        }
        p.tally-total { (t.total_votes) ": " strong { (lang.number(results.total_votes)) } }
        @if open {
            p { a href={ "../" (id) "?lang=" (lang.code()) } { (t.back_to_poll) } }
        }
    };
    Ok(page(
        &api.origins,
        StatusCode::OK,
        layout(lang, Depth::Results, t.results_title, body),
    ))
}
