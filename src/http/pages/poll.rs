//! `GET /polls/{id}`, the poll as a plain form, and `POST /polls/{id}`,
//! a ballot from it.

use http::{HeaderValue, StatusCode, header};
use maud::{Markup, html};

use super::results::{results_body, shown_note, status_note};
use super::{Depth, Look};
use crate::http::api::polls::{PollsApi, Proof, option_ids, poll_id};
use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::http::i18n::{Lang, text};
use crate::http::origin::Naming;
use crate::http::respond::{Req, Response, bytes_response};
use crate::ids::BallotId;
use crate::poll::{ChoiceError, PollStatus, Verdict};
use crate::store::PollState;
use crate::voting::PollView;

/// `?lang=…` and `&back=…` for links from one page to the next.
pub(super) fn carry(lang: Lang, back: Option<&str>) -> String {
    let mut query = format!("lang={}", lang.code());
    if let Some(back) = back {
        query.push_str("&back=");
        query.extend(form_urlencoded::byte_serialize(back.as_bytes()));
    }
    query
}

/// The form; `error` says what was wrong with the last try.
fn form(state: &PollState, lang: Lang, back: Option<&str>, error: Option<&str>) -> Markup {
    let t = text(lang);
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
                @if let Some(back) = back {
                    input type="hidden" name="back" value=(back);
                }
                // Sent again (back, then submit once more), it is the same
                // ballot.
                input type="hidden" name="ballot" value=(BallotId::fresh());
            }
            p.tally-actions {
                button type="submit" { (t.submit) }
            }
        }
    }
}

/// The poll page's body for what `view` says of this person and the poll.
fn poll_body(
    look: &Look,
    view: &PollView,
    lang: Lang,
    back: Option<&str>,
    now: jiff::Timestamp,
) -> Markup {
    let t = text(lang);
    let state = &view.state;
    let poll = &state.poll;
    let status = poll.status(now);
    let results_link = html! {
        @if view.visible() {
            p { a href={ (poll.id) "/results?" (carry(lang, back)) } { (t.see_results) } }
        } @else {
            p.tally-hint { (shown_note(look, lang, view)) }
        }
    };
    html! {
        @if state.voted.is_some() || status != PollStatus::Open {
            h1 { (poll.question) }
            (status_note(look, lang, view, now))
            (results_link)
        } @else {
            h1 { (t.poll_title) }
            (form(state, lang, back, None))
            @if let Some(closes) = poll.closes_at {
                p.tally-hint { (t.closes_at) " " (super::dates::when(closes, &look.tz, lang)) "." }
            }
            (results_link)
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
    let look = &api.look;
    let lang = look.lang(req.uri().query());
    let back = look.back_link(req.uri().query(), req.headers());
    let id = poll_id(id)?;
    let identity = api.visitors.identify(req.headers(), &client).await?;
    let view = api
        .voting
        .view(&id, identity.person())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    let body = poll_body(look, &view, lang, back.as_deref(), api.now());
    let page = look.layout(
        lang,
        Depth::Poll,
        text(lang).poll_title,
        back.as_deref(),
        body,
    );
    let mut response = look.page(StatusCode::OK, page);
    if let Some(cookie) = identity.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `POST /polls/{id}`: a form ballot. A person is sent (`303`) to the
/// results page, which knows them by their cookie; a visitor known only by
/// address, whose new cookie may never come back, is shown it at once.
pub async fn post_form(
    api: &PollsApi,
    req: Req,
    client: Client,
    id: Option<&str>,
) -> Result<Response, ApiError> {
    let look = &api.look;
    let lang = look.lang(req.uri().query());
    let ballot = api.ballot_request(
        req,
        &client,
        id,
        &["application/x-www-form-urlencoded"],
        Naming::Required,
    )?;
    let fields: Vec<(String, String)> = form_urlencoded::parse(&ballot.body).into_owned().collect();
    let named = |name: &'static str| {
        fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // The article the form was opened from, as the poll page carried it.
    let back_query = named("back").next().map(|b| carry(lang, Some(b)));
    let back = look.back_link(back_query.as_deref(), &ballot.parts.headers);
    let choices = option_ids(named("option"))?;
    let cast = api
        .cast(
            &ballot.parts.headers,
            &client,
            &ballot.poll,
            choices,
            named("ballot").next(),
            Proof::Form,
        )
        .await?;
    if cast.vote.verdict == Verdict::InvalidChoice {
        let t = text(lang);
        let message = match cast.vote.choice_error() {
            ChoiceError::TooMany { .. } => t.too_many,
            _ => t.choose_one,
        };
        let body = html! { h1 { (t.poll_title) } (form(&cast.vote.state, lang, back.as_deref(), Some(message))) };
        let page = look.layout(lang, Depth::Poll, t.poll_title, back.as_deref(), body);
        return Ok(look.page(StatusCode::BAD_REQUEST, page));
    }
    if cast.vote.verdict == Verdict::AddressCapReached {
        return Err(api.verdict(&cast.vote, "/polls/{id}").unwrap_err());
    }
    let mut response = if cast.by_person {
        // Relative to /…/polls/{id}: the results page beside it.
        let location = format!("{}/results?{}", ballot.poll, carry(lang, back.as_deref()));
        let mut response = bytes_response(
            StatusCode::SEE_OTHER,
            "text/plain; charset=utf-8",
            "no-store",
            "",
        );
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    } else {
        let view = api.voting.voter_view(cast.vote.state.clone());
        let body = results_body(look, &view, lang, back.as_deref(), api.now(), Depth::Poll);
        let page = look.layout(
            lang,
            Depth::Poll,
            text(lang).results_title,
            back.as_deref(),
            body,
        );
        look.page(StatusCode::OK, page)
    };
    if let Some(cookie) = cast.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
