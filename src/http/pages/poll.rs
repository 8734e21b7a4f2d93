//! `GET /polls/{id}`, the poll as a plain form, and `POST /polls/{id}`,
//! a ballot from it.

use http::{HeaderValue, StatusCode, header};
use maud::{Markup, html};

use super::{Depth, layout, page};
use crate::http::api::polls::{PollsApi, option_ids, poll_id};
use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::origin::Naming;
use crate::http::respond::{Req, Response, bytes_response};
use crate::poll::{ChoiceError, PollStatus, Verdict};
use crate::store::PollState;

/// The form; `error` says what was wrong with the last try.
fn form(state: &PollState, lang: Lang, error: Option<&str>) -> Markup {
    let t = lang.text();
    let poll = &state.poll;
    let kind = if poll.max_choices > 1 {
        "checkbox"
    } else {
        "radio"
    };
    html! {
        form.tally-poll method="post" action={ (poll.id) "?lang=" (lang.code()) } {
            fieldset {
                legend { (poll.question) }
                @if poll.max_choices > 1 {
                    p.tally-hint { (t.choose_up_to) " " (poll.max_choices) "." }
                }
                @if let Some(error) = error {
                    p.tally-error role="alert" { (error) }
                }
                @for option in &poll.options {
                    label.tally-option {
                        input type=(kind) name="option" value=(option.id);
                        " " (option.label)
                    }
                }
            }
            p.tally-actions {
                button type="submit" { (t.submit) }
                " "
                a href={ (poll.id) "/results?lang=" (lang.code()) } { (t.see_results) }
            }
        }
    }
}

/// What stands instead of the form, if anything.
fn notice(lang: Lang, state: &PollState, status: PollStatus) -> Option<&'static str> {
    let t = lang.text();
    if state.voted.is_some() {
        Some(t.already_voted)
    } else {
        match status {
            PollStatus::Closed => Some(t.closed),
            PollStatus::NotYetOpen => Some(t.not_yet_open),
            PollStatus::Open => None,
        }
    }
}

/// `GET /polls/{id}`.
pub async fn poll_page(
    api: &PollsApi,
    req: &Req,
    client: Client,
    id: Option<&str>,
) -> Result<Response, ApiError> {
    let lang = Lang::choose(req.uri().query(), req.headers());
    let t = lang.text();
    let id = poll_id(id)?;
    let identity = api.visitors.identify(req.headers(), &client).await?;
    let state = api
        .voting
        .state(&id, identity.person())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    let body = match notice(lang, &state, state.poll.status(api.now())) {
        None => html! { h1 { (t.poll_title) } (form(&state, lang, None)) },
        Some(notice) => html! {
            h1 { (state.poll.question) }
            p role="status" { (notice) }
            p { a href={ (id) "/results?lang=" (lang.code()) } { (t.see_results) } }
        },
    };
    let mut response = page(
        &api.origins,
        StatusCode::OK,
        layout(lang, Depth::Poll, t.poll_title, body),
    );
    if let Some(cookie) = identity.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /polls/{id}`: a form ballot; then `303` to the results page (or
/// the form again, with what was wrong).
pub async fn post_form(
    api: &PollsApi,
    req: Req,
    client: Client,
    id: Option<&str>,
) -> Result<Response, ApiError> {
    let lang = Lang::choose(req.uri().query(), req.headers());
    let ballot = api.ballot_request(
        req,
        &client,
        id,
        &["application/x-www-form-urlencoded"],
        Naming::Required,
    )?;
    let raw: Vec<String> = form_urlencoded::parse(&ballot.body)
        .filter(|(k, _)| k == "option")
        .map(|(_, v)| v.into_owned())
        .collect();
    let choices = option_ids(raw.iter().map(String::as_str))?;
    let cast = api
        .cast(&ballot.parts.headers, &client, &ballot.poll, choices)
        .await?;
    let notice = match cast.vote.verdict {
        Verdict::Accepted => "thanks",
        Verdict::AlreadyVoted => "already",
        Verdict::Closed => "closed",
        Verdict::NotYetOpen => "not_open",
        Verdict::InvalidChoice => {
            let t = lang.text();
            let message = match cast.vote.choice_error() {
                ChoiceError::TooMany { .. } => t.too_many,
                _ => t.choose_one,
            };
            let body =
                html! { h1 { (t.poll_title) } (form(&cast.vote.state, lang, Some(message))) };
            let markup = layout(lang, Depth::Poll, t.poll_title, body);
            return Ok(page(&api.origins, StatusCode::BAD_REQUEST, markup));
        }
        Verdict::AddressCapReached => {
            return Err(api.verdict(&cast.vote, "/polls/{id}").unwrap_err());
        }
    };
    // Relative to /…/polls/{id}: the results page beside it.
    let location = format!(
        "{}/results?lang={}&notice={notice}",
        ballot.poll,
        lang.code()
    );
    let mut response = bytes_response(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        "no-store",
        "",
    );
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = cast.set_cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
