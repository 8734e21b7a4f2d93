//! The HTML pages' operations: the poll as a form, a form ballot, the
//! results with bars.
#![allow(
    dead_code,
    reason = "documentation only: the macros read these items, nothing calls them"
)]

use super::{FirstPartyId, Lang, Origin, Poll, VisitorCookie};
use crate::http::openapi::schemas as doc;

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
/// A form ballot (repeat `option` for several choices). The form must name
/// the page it comes from (`Origin`, else `Referer`), as browsers do. When
/// the ballot reaches the ballot box the answer is `303 See Other` to the
/// results page beside the form (a relative `Location`), whose `notice`
/// says what happened: `thanks` (counted), `already` (this person had
/// voted), `closed`, `not_open`. Choices the poll does not take answer the
/// form again with a message (`400`, HTML).
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
                ("Location" = inline(doc::ResultsLocation), description = "The results page beside the form, relative to it, with a notice of what happened to the ballot."),
                ("Set-Cookie" = inline(doc::SetCookie), description = "Issues the visitor cookie when the request carried no well-formed one: the `Tally-Visitor` id when it sent one, else a fresh id."),
                ("Cache-Control" = String, description = "`no-store`."),
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
/// The results with bars (`<progress>`), percents written the Vietnamese
/// way (`41,7%`) by default, and the total.
#[utoipa::path(
    get, path = "/polls/{id}/results", tag = "pages", operation_id = "getResultsPage",
    params(Poll, Lang,
        ("notice" = Option<String>, Query, description = "A notice shown above the results, set by `POST /polls/{id}`: `thanks`, `already`, `closed` or `not_open`. Any other value shows none."),
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
