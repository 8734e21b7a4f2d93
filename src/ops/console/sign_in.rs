//! The console's sign-in form answered: the token exactly as typed (no
//! trimming, as the admin API), a session for a correct one whatever the
//! address sent before, and for a wrong one from an address that sent too
//! many, `429` with how long to wait before the next guess.

use bytes::Bytes;
use http::{StatusCode, header};

use super::layout::{Frame, html_response, see_other};
use super::words::Lang;
use super::{Console, Failure, Fields, dashboard, session};
use crate::edge::auth::Refused;
use crate::edge::client::Client;
use crate::edge::respond::Response;

/// Answers `GET` (the form) and `POST` (`form`) of `/admin/sign-in`.
pub(super) async fn sign_in(
    console: &Console,
    frame: &Frame,
    form: Option<Bytes>,
    client: Client,
) -> Response {
    let Some(form) = form else {
        return html_response(StatusCode::OK, dashboard::sign_in_page(frame, None));
    };
    let fields = Fields::parse(&form);
    let given = fields.get("token").unwrap_or("");
    let who = match console.sign_in.check(given, client.ip, "console") {
        Ok(who) => who.to_owned(),
        Err(Refused::Wrong) => {
            let error = frame.t("Mã quản trị không đúng.", "That admin token is not right.");
            let page = dashboard::sign_in_page(frame, Some(error));
            return html_response(StatusCode::UNAUTHORIZED, page);
        }
        Err(Refused::TooSoon(wait)) => return too_soon(frame, wait.as_secs().max(1)),
    };
    match console.sessions.start(&who).await {
        Ok((id, _)) => {
            let mut response = see_other(&frame.link("/admin/"));
            response
                .headers_mut()
                .insert(header::SET_COOKIE, session::set_cookie(&id, client.https));
            response
        }
        Err(e) => Failure::from(e).answer(frame),
    }
}

/// A wrong token from an address that sent too many: the form again, with
/// how long to wait before the next try.
fn too_soon(frame: &Frame, secs: u64) -> Response {
    let error = match frame.lang {
        Lang::Vi => format!(
            "Mã quản trị không đúng, và từ địa chỉ này đã có nhiều lần nhập sai. \
             Vui lòng đợi {secs} giây rồi thử lại."
        ),
        Lang::En => format!(
            "That admin token is not right, and this address has sent many wrong tokens. \
             Please wait {secs} seconds before trying again."
        ),
    };
    let page = dashboard::sign_in_page(frame, Some(&error));
    let mut response = html_response(StatusCode::TOO_MANY_REQUESTS, page);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, secs.into());
    response
}
