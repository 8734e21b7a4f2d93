//! `GET /polls/{id}`, the poll as a plain form, and `POST /polls/{id}`,
//! a ballot from it.

use std::sync::Arc;

use axum::extract::State;
use http::{HeaderValue, StatusCode, Uri, header};
use maud::{Markup, html};

use super::results::{results_body, shown_note, status_note};
use super::{Depth, Look, named_site};
use crate::edge::client::Client;
use crate::edge::error::ApiError;
use crate::edge::extract::{Body, Headers};
use crate::edge::origin::Naming;
use crate::edge::respond::{Response, bytes_response, media_type_is};
use crate::edge::schema;
use crate::edge::text::{Lang, text};
use crate::edge::visitor::{claims, cookie_header, user_agent};
use crate::ids::{BallotId, SiteId};
use crate::poll::{ChoiceError, PollStatus, Verdict};
use crate::public::params::{
    FirstPartyId, Lang as LangParam, Origin, Poll, PollSite, VisitorCookie,
};
use crate::public::polls::{PollPath, PollsApi, option_ids};
use crate::public::votes::Proof;
use crate::refusals;
use crate::store::PollState;
use crate::voting::PollView;

/// `?lang=…`, `&site=…` and `&back=…` for links from one page to the
/// next.
pub(super) fn carry(lang: Lang, site: Option<&SiteId>, back: Option<&str>) -> String {
    let mut query = format!("lang={}", lang.code());
    if let Some(site) = site {
        query.push_str("&site=");
        query.push_str(site.as_str());
    }
    if let Some(back) = back {
        query.push_str("&back=");
        query.extend(form_urlencoded::byte_serialize(back.as_bytes()));
    }
    query
}

/// The form; `error` says what was wrong with the last try.
fn form(
    state: &PollState,
    (lang, site): (Lang, Option<&SiteId>),
    back: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let t = text(lang);
    let poll = &state.poll;
    let kind = if poll.max_choices > 1 {
        "checkbox"
    } else {
        "radio"
    };
    html! {
        form.tally-poll method="post" action={ (poll.id) "?" (carry(lang, site, None)) } {
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
    (lang, site): (Lang, Option<&SiteId>),
    back: Option<&str>,
    now: jiff::Timestamp,
) -> Markup {
    let t = text(lang);
    let state = &view.state;
    let poll = &state.poll;
    let status = poll.status(now);
    let results_link = html! {
        @if view.visible() {
            p { a href={ (poll.id) "/results?" (carry(lang, site, back)) } { (t.see_results) } }
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
            (form(state, (lang, site), back, None))
            @if let Some(closes) = poll.closes_at {
                p.tally-hint { (t.closes_at) " " (super::dates::when(closes, &look.tz, lang)) "." }
            }
            (results_link)
        }
    }
}

refusals!(PollPageRefusals, pages: [PollNotFound, InvalidVisitor, SiteRequired, SiteNotFound,
    StoreUnavailable]);

/// The poll as an HTML form
///
/// The poll as a plain HTML form that works without JavaScript (radio
/// buttons, or checkboxes when `max_choices` > 1), posting to
/// `POST /polls/{id}`; or, when this person already voted or the poll is
/// not open, a notice and a link to the results. Vietnamese by default.
#[utoipa::path(
    get, path = "/polls/{id}", tag = "pages", operation_id = "getPollPage",
    params(Poll, PollSite, LangParam, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The page.", body = schema::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Set-Cookie" = inline(schema::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(schema::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`: the form's post carries its `Origin`."),
            )),
        PollPageRefusals,
    ),
)]
pub async fn get_poll_page(
    State(api): State<Arc<PollsApi>>,
    PollPath(id): PollPath,
    client: Client,
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let look = &api.look;
    let lang = look.lang(uri.query());
    let back = look.back_link(uri.query(), &headers);
    let voting = &api.named(&uri)?;
    let agent = user_agent(&headers).unwrap_or_default();
    let identity = api
        .visitors
        .identify(voting.site(), claims(&headers)?, client.ip, agent)
        .await;
    let view = voting
        .view(&id, identity.person())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    let site = named_site(uri.query());
    let here = (lang, site.as_ref());
    let body = poll_body(look, &view, here, back.as_deref(), api.now());
    let page = look.layout(
        lang,
        site.as_ref(),
        Depth::Poll,
        text(lang).poll_title,
        back.as_deref(),
        body,
    );
    let mut response = look.page(StatusCode::OK, page);
    if let Some(cookie) = identity
        .cookie
        .as_deref()
        .and_then(|value| cookie_header(value, &client))
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

refusals!(FormRefusals, pages: [
    OriginRequired,
    OriginNotAllowed,
    ForeignOrigin,
    SiteRequired,
    SiteNotFound,
    PollNotFound,
    unsupported_media_type("application/x-www-form-urlencoded"),
    invalid_option(),
    InvalidVisitor,
    address_limit(),
    FormPaused,
    StoreUnavailable,
]);

// A person is sent (`303`) to the results page, which knows them by their
// cookie; a visitor known only by address, whose new cookie may never come
// back, is shown it at once.
/// Vote with the HTML form
///
/// A form ballot (repeat `option` for several choices; the form carries a
/// `ballot` id, so sending it again is the same ballot). The form must name
/// the page it comes from (`Origin`, else `Referer`), as browsers do. When
/// the ballot reaches the ballot box, a person (cookie or first-party id)
/// is answered `303 See Other` to the results page beside the form (a
/// relative `Location`), which thanks them and shows their choice only
/// because their cookie voted; a visitor known only by address is answered
/// the results page itself (`200`), as the cookie issued with it may not
/// come back. Choices the poll does not take answer the form again with a
/// message (`400 invalid_option`, the form page itself, whatever `Accept`
/// says).
#[utoipa::path(
    post, path = "/polls/{id}", tag = "pages", operation_id = "postPollForm",
    params(Poll, PollSite, LangParam, VisitorCookie, FirstPartyId, Origin),
    request_body(content(
        (schema::FormBallot = "application/x-www-form-urlencoded", examples(
            ("one" = (summary = "Tốt", value = json!({"option": ["tot"]}))),
            ("several" = (summary = "Two sections", value = json!({"option": ["tin-tuc", "du-lich"]}))),
        )),
    )),
    responses(
        (status = 303, description = "The ballot reached the ballot box; see the results page.",
            headers(
                ("Location" = inline(schema::ResultsLocation), description = "The results page beside the form, relative to it."),
                ("Set-Cookie" = inline(schema::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        (status = 200, description = "The results page, for a visitor known only by address: it says what happened to the ballot.",
            body = schema::HtmlPage, content_type = "text/html; charset=utf-8",
            headers(
                ("Set-Cookie" = inline(schema::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(schema::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`."),
            )),
        FormRefusals,
    ),
)]
pub async fn post_poll_form(
    State(api): State<Arc<PollsApi>>,
    PollPath(poll): PollPath,
    client: Client,
    Headers(headers): Headers,
    uri: Uri,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let look = &api.look;
    let lang = look.lang(uri.query());
    api.ballot_from(&headers, &uri, &client, Naming::Required)?;
    let voting = &api.ballot_site(&headers, &uri, &client)?;
    if !media_type_is(&headers, &["application/x-www-form-urlencoded"]) {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/x-www-form-urlencoded",
        });
    }
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let named = |name: &'static str| {
        fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // The article the form was opened from, as the poll page carried it.
    let back_query = named("back").next().map(|b| carry(lang, None, Some(b)));
    let back = look.back_link(back_query.as_deref(), &headers);
    let choices = option_ids(named("option"))?;
    let site = named_site(uri.query());
    let here = (lang, site.as_ref());
    let cast = api
        .cast(
            (voting, &poll),
            &headers,
            &client,
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
        let body = html! { h1 { (t.poll_title) } (form(&cast.vote.state, here, back.as_deref(), Some(message))) };
        let page = look.layout(
            lang,
            here.1,
            Depth::Poll,
            t.poll_title,
            back.as_deref(),
            body,
        );
        return Ok(look.page(StatusCode::BAD_REQUEST, page));
    }
    if cast.vote.verdict == Verdict::AddressCapReached {
        return Err(api.verdict(voting, &cast.vote, "/polls/{id}").unwrap_err());
    }
    let mut response = if cast.by_person {
        // Relative to /…/polls/{id}: the results page beside it.
        let location = format!("{poll}/results?{}", carry(lang, here.1, back.as_deref()));
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
        let view = voting.voter_view(cast.vote.state.clone());
        let body = results_body(look, &view, here, back.as_deref(), api.now(), Depth::Poll);
        let page = look.layout(
            lang,
            here.1,
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
