//! The HTML pages: the poll as a plain form that works without JavaScript,
//! and its results with bars. Every label is escaped; the pages carry no
//! script and no inline style, under a strict Content-Security-Policy.

use std::fmt::Write as _;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use super::client::Client;
use super::error::ApiError;
use super::i18n::{Lang, Text, escape};
use super::identity::identify;
use super::origin::Naming;
use super::polls_api::{ballot_request, option_ids, poll_id, voter};
use super::respond::{Req, Response, bytes_response};
use crate::app::App;
use crate::poll::{ChoiceError, PollStatus, Results};
use crate::store::PollState;
use crate::telemetry::Refusal;
use crate::voting::VoteOutcome;

/// The pages' stylesheet, served at `/pages.css`.
pub const STYLESHEET: &str = include_str!("../../assets/pages.css");

/// Whether the client would rather read HTML than JSON.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Answers with an HTML page and the pages' security headers.
fn page(app: &App, status: StatusCode, lang: Lang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pages.css\"></head>\
         <body><main class=\"tally-page\">{body}</main></body></html>\n",
        lang = lang.code(),
        title = escape(title),
    );
    let mut response = bytes_response(
        status,
        "text/html; charset=utf-8",
        "no-store",
        Bytes::from(html),
    );
    let ancestors: String = app
        .settings
        .allowed_origins
        .iter()
        .map(|origin| format!(" {origin}"))
        .collect();
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'self'{ancestors}; base-uri 'none'"
    );
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    // Same-origin form posts must carry their Origin; `no-referrer` would
    // make browsers send `Origin: null`.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A ballot-refusal or error as a page, with the error's code shown.
pub fn error_page(app: &App, lang: Lang, error: ApiError) -> Response {
    let (status, code) = error.status_and_code();
    let t = lang.text();
    let message = match &error {
        ApiError::PollNotFound | ApiError::NotFound => t.not_found,
        ApiError::PollClosed { not_yet_open: true } => t.not_yet_open,
        ApiError::PollClosed { .. } => t.closed,
        ApiError::RateLimited { .. } => t.rate_limited,
        ApiError::AddressLimit { .. } => t.address_limit,
        ApiError::StoreUnavailable | ApiError::Internal | ApiError::RequestTimeout => t.unavailable,
        ApiError::OriginNotAllowed | ApiError::OriginRequired => t.origin,
        ApiError::TooManyChoices { .. } => t.too_many,
        ApiError::InvalidOption(_) => t.choose_one,
        ApiError::AlreadyVoted(_) => t.already_voted,
        ApiError::MethodNotAllowed { .. } => t.method_not_allowed,
        ApiError::PayloadTooLarge { .. } => t.too_large,
        _ => t.bad_request,
    };
    let body = format!(
        "<h1>{title}</h1><p role=\"alert\">{message}</p><p class=\"tally-code\">{label}: <code>{code}</code></p>",
        title = escape(t.error_title),
        message = escape(message),
        label = escape(t.error_code),
    );
    let mut response = page(app, status, lang, t.error_title, &body);
    let extra = error.into_response();
    // The headers the JSON answer carries (Retry-After, RateLimit-*,
    // Allow, WWW-Authenticate), but not its body's.
    for (name, value) in extra.headers() {
        if name != header::CONTENT_TYPE && name != header::CACHE_CONTROL {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

fn link(id: &str, what: &str, lang: Lang) -> String {
    format!("/polls/{id}{what}?lang={}", lang.code())
}

fn form(state: &PollState, lang: Lang, error: Option<&str>) -> String {
    let t = lang.text();
    let poll = &state.poll;
    let id = poll.id.as_str();
    let kind = if poll.max_choices > 1 {
        "checkbox"
    } else {
        "radio"
    };
    let mut html = String::new();
    let _ = write!(
        html,
        "<form class=\"tally-poll\" method=\"post\" action=\"{action}\"><fieldset><legend>{question}</legend>",
        action = link(id, "", lang),
        question = escape(&poll.question),
    );
    if poll.max_choices > 1 {
        let _ = write!(
            html,
            "<p class=\"tally-hint\">{} {}.</p>",
            escape(t.choose_up_to),
            poll.max_choices
        );
    }
    if let Some(error) = error {
        let _ = write!(
            html,
            "<p class=\"tally-error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    for option in &poll.options {
        let _ = write!(
            html,
            "<label class=\"tally-option\"><input type=\"{kind}\" name=\"option\" value=\"{value}\"> {label}</label>",
            value = escape(option.id.as_str()),
            label = escape(&option.label),
        );
    }
    let _ = write!(
        html,
        "</fieldset><p class=\"tally-actions\"><button type=\"submit\">{submit}</button> \
         <a href=\"{results}\">{see}</a></p></form>",
        submit = escape(t.submit),
        results = link(id, "/results", lang),
        see = escape(t.see_results),
    );
    html
}

fn status_notice(t: &Text, state: &PollState, status: PollStatus) -> Option<&'static str> {
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
    app: &App,
    req: &Req,
    client: Client,
    id: &str,
) -> Result<Response, ApiError> {
    let lang = Lang::choose(req.uri().query(), req.headers());
    let t = lang.text();
    let id = poll_id(id)?;
    let identity = identify(&app.privacy, req.headers(), &client).await?;
    let state = app
        .voting
        .state(&id, identity.person())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    let status = state.poll.status(app.voting.now());
    let body = match status_notice(t, &state, status) {
        None => format!(
            "<h1>{}</h1>{}",
            escape(t.poll_title),
            form(&state, lang, None)
        ),
        Some(notice) => format!(
            "<h1>{question}</h1><p role=\"status\">{notice}</p><p><a href=\"{results}\">{see}</a></p>",
            question = escape(&state.poll.question),
            notice = escape(notice),
            results = link(id.as_str(), "/results", lang),
            see = escape(t.see_results),
        ),
    };
    let mut response = page(app, StatusCode::OK, lang, t.poll_title, &body);
    if let Some(cookie) = identity.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `GET /polls/{id}/results`.
pub async fn results_page(app: &App, req: &Req, id: &str) -> Result<Response, ApiError> {
    let lang = Lang::choose(req.uri().query(), req.headers());
    let t = lang.text();
    let id = poll_id(id)?;
    let state = app
        .voting
        .results(&id)
        .await?
        .ok_or(ApiError::PollNotFound)?;
    let notice = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "notice")
            .and_then(|(_, v)| match v.as_ref() {
                "thanks" => Some(t.thanks),
                "already" => Some(t.already_voted),
                "closed" => Some(t.closed),
                "not_open" => Some(t.not_yet_open),
                _ => None,
            })
    });
    let results = Results::new(&state.poll, &state.votes);
    let mut html = format!(
        "<h1>{title}</h1><p class=\"tally-question\">{question}</p>",
        title = escape(t.results_title),
        question = escape(&state.poll.question),
    );
    if let Some(notice) = notice {
        let _ = write!(
            html,
            "<p class=\"tally-notice\" role=\"status\">{}</p>",
            escape(notice)
        );
    }
    html.push_str("<ul class=\"tally-results\">");
    for option in &results.options {
        let percent = lang.percent(option.tenths);
        let _ = write!(
            html,
            "<li><span class=\"tally-label\">{label}</span>\
             <progress max=\"1000\" value=\"{tenths}\" aria-label=\"{label}: {percent}\">{percent}</progress>\
             <span class=\"tally-percent\">{percent}</span> \
             <span class=\"tally-votes\">({votes} {unit})</span></li>",
            label = escape(&option.label),
            tenths = option.tenths,
            votes = lang.number(option.votes),
            unit = escape(t.votes),
        );
    }
    let _ = write!(
        html,
        "</ul><p class=\"tally-total\">{total}: <strong>{n}</strong></p>",
        total = escape(t.total_votes),
        n = lang.number(results.total_votes),
    );
    if state.poll.status(app.voting.now()) == PollStatus::Open {
        let _ = write!(
            html,
            "<p><a href=\"{}\">{}</a></p>",
            link(id.as_str(), "", lang),
            escape(t.back_to_poll)
        );
    }
    Ok(page(app, StatusCode::OK, lang, t.results_title, &html))
}

/// `POST /polls/{id}`: a form ballot; then 303 to the results page.
pub async fn post_form(
    app: &App,
    req: Req,
    client: Client,
    id: &str,
) -> Result<Response, ApiError> {
    let lang = Lang::choose(req.uri().query(), req.headers());
    let (parts, id, bytes) = ballot_request(
        app,
        req,
        &client,
        id,
        &["application/x-www-form-urlencoded"],
        Naming::Required,
    )
    .await?;
    let raw: Vec<String> = form_urlencoded::parse(&bytes)
        .filter(|(k, _)| k == "option")
        .map(|(_, v)| v.into_owned())
        .collect();
    let choices = option_ids(raw.iter().map(String::as_str))?;
    let (voter, identity) = voter(app, &parts.headers, &client).await?;
    let outcome = app.voting.vote(&id, voter, choices).await?;
    let notice = match outcome {
        VoteOutcome::Accepted(_) => "thanks",
        VoteOutcome::AlreadyVoted(_) => "already",
        VoteOutcome::Closed(_) => "closed",
        VoteOutcome::NotYetOpen(_) => "not_open",
        VoteOutcome::Invalid(why, state) => {
            let t = lang.text();
            let message = match why {
                ChoiceError::TooMany { .. } => t.too_many,
                _ => t.choose_one,
            };
            let body = format!(
                "<h1>{}</h1>{}",
                escape(t.poll_title),
                form(&state, lang, Some(message))
            );
            return Ok(page(
                app,
                StatusCode::BAD_REQUEST,
                lang,
                t.poll_title,
                &body,
            ));
        }
        VoteOutcome::AddressLimit(_) => {
            app.refusals.note(Refusal::AddressCap, "/polls/{id}");
            return Err(ApiError::AddressLimit {
                retry_after_secs: app.seconds_until_tomorrow(),
            });
        }
        VoteOutcome::NotFound => return Err(ApiError::PollNotFound),
    };
    let location = format!("{}&notice={notice}", link(id.as_str(), "/results", lang));
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
    if let Some(cookie) = identity.set_cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
