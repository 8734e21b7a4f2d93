//! The HTML pages' operations: the home page, the archive, the poll as a
//! form, a form ballot, the results with bars.
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use super::{FirstPartyId, Lang, Origin, Poll, VisitorCookie};
use crate::http::openapi::schemas as doc;

/// What this service is
///
/// A small page: what this service is, with links to the demonstration
/// page, the archive of polls and this document. In the site's language.
#[utoipa::path(
    get, path = "/", tag = "pages", operation_id = "getHome",
    params(Lang),
    responses(
        (status = 200, description = "The page.", body = doc::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; the portal's stylesheet and logo when set; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`."),
            )),
    ),
)]
pub(super) fn get_home() {}

/// The archive of polls
///
/// Current and past polls, open ones first, with their dates (in the site's
/// time zone) and their results as this visitor may see them (each poll's
/// `results` setting): like a poll archive on a portal.
#[utoipa::path(
    get, path = "/polls", tag = "pages", operation_id = "getArchivePage",
    params(Lang, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The page.", body = doc::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; the portal's stylesheet and logo when set; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`."),
            )),
    ),
)]
pub(super) fn get_archive_page() {}

/// The poll as an HTML form
///
/// The poll as a plain HTML form that works without JavaScript (radio
/// buttons, or checkboxes when `max_choices` > 1), posting to
/// `POST /polls/{id}`; or, when this person already voted or the poll is
/// not open, a notice and a link to the results. Vietnamese by default.
#[utoipa::path(
    get, path = "/polls/{id}", tag = "pages", operation_id = "getPollPage",
    params(Poll, Lang, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The page.", body = doc::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`: the form's post carries its `Origin`."),
            )),
    ),
)]
pub(super) fn get_poll_page() {}

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
/// message (`400`, HTML).
#[utoipa::path(
    post, path = "/polls/{id}", tag = "pages", operation_id = "postPollForm",
    params(Poll, Lang, VisitorCookie, FirstPartyId, Origin),
    request_body(content(
        (doc::FormBallot = "application/x-www-form-urlencoded", examples(
            ("one" = (summary = "Tốt", value = json!({"option": ["tot"]}))),
            ("several" = (summary = "Two sections", value = json!({"option": ["tin-tuc", "du-lich"]}))),
        )),
    )),
    responses(
        (status = 303, description = "The ballot reached the ballot box; see the results page.",
            headers(
                ("Location" = inline(doc::ResultsLocation), description = "The results page beside the form, relative to it."),
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
            )),
        (status = 200, description = "The results page, for a visitor known only by address: it says what happened to the ballot.",
            body = doc::HtmlPage, content_type = "text/html; charset=utf-8",
            headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`."),
            )),
        (status = 400, description = "The form again, with what was wrong, when the choices are not ones the poll takes (HTML, whatever `Accept` says).",
            body = doc::HtmlPage, content_type = "text/html; charset=utf-8",
            headers(
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
            )),
    ),
)]
pub(super) fn post_poll_form() {}

/// A poll's results as an HTML page
///
/// The results with bars of one length, percents written the Vietnamese
/// way (`41,7%`) by default, the total, and whether and since when the poll
/// is closed; where the poll hides its results from this visitor, when
/// they will be shown instead. Thanks and the visitor's own choice appear
/// only for the person whose cookie voted.
#[utoipa::path(
    get, path = "/polls/{id}/results", tag = "pages", operation_id = "getResultsPage",
    params(Poll, Lang, VisitorCookie, FirstPartyId,
        ("back" = Option<String>, Query, description = "The article the visitor came from: shown as a link back when it is a page of `TALLY_ALLOWED_ORIGINS` (else ignored; never a redirect)."),
    ),
    responses(
        (status = 200, description = "The page.", body = doc::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(doc::PageCsp), description = "No script, no inline style; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`: the form's post carries its `Origin`."),
            )),
    ),
)]
pub(super) fn get_results_page() {}
