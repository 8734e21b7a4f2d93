//! The console's sign-in form answered: the token exactly as typed (no
//! trimming, as the admin API), a session for a correct one whatever the
//! address sent before, and for a wrong one from an address that sent too
//! many, `429` with how long to wait before the next guess.

use bytes::Bytes;
use http::{StatusCode, header};

use super::layout::{Frame, html_response, see_other};
use super::resume::Kept;
use super::words::Lang;
use super::{Answer, Console, Editor, Failure, Fields, dashboard, session};
use crate::edge::auth::Refused;
use crate::edge::client::Client;
use crate::edge::respond::Response;
use crate::roles::Need;

/// Answers `GET` (the form) and `POST` (`form`) of `/admin/sign-in`.
pub(super) async fn sign_in(
    console: &Console,
    frame: &Frame,
    form: Option<Bytes>,
    client: Client,
) -> Response {
    let Some(form) = form else {
        return html_response(StatusCode::OK, dashboard::sign_in_page(frame, None, None));
    };
    let fields = Fields::parse(&form);
    let kept = Kept::of_fields(&fields);
    let given = fields.get("token").unwrap_or("");
    let (who, role, site) = match console.sign_in.check(given, client.ip, "console") {
        Ok(holder) => (holder.name.to_owned(), holder.role, holder.site.cloned()),
        Err(Refused::Wrong) => {
            let error = frame.t("Mã quản trị không đúng.", "That admin token is not right.");
            let page = dashboard::sign_in_page(frame, Some(error), kept.as_ref());
            return html_response(StatusCode::UNAUTHORIZED, page);
        }
        Err(Refused::TooSoon(wait)) => {
            return too_soon(frame, wait.as_secs().max(1), kept.as_ref());
        }
    };
    // A poll's form kept for an editor whose role cannot save it is let go.
    let kept = kept.filter(|_| role.may(Need::EditPolls));
    let id = match console.sessions.start(&who, role, site.as_ref()).await {
        Ok((id, _)) => id,
        Err(e) => return Failure::from(e).answer(frame),
    };
    let mut response = match kept {
        // Back to the poll's form as typed before the session ended.
        Some(kept) => {
            let editor = Editor {
                frame: Frame {
                    who: Some(who.clone()),
                    role: Some(role),
                    csrf: Some(session::csrf_token(&id)),
                    ..frame.clone()
                },
                who,
                role,
                site,
                id: id.clone(),
            };
            let resumed = kept.resume(console, &editor).await;
            resumed.unwrap_or_else(|failure| failure.answer(&editor.frame))
        }
        None => see_other(&frame.link("/admin/")),
    };
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(&id, client.https));
    response
}

/// A poll's form sent after the session ended: the sign-in form, keeping
/// what was typed for when the editor has signed in again.
pub(super) fn ended(frame: &Frame, kept: &Kept) -> Response {
    let error = frame.t(
        "Phiên làm việc đã hết hạn hoặc đã đăng xuất, nên câu hỏi chưa được lưu. Hãy đăng nhập lại: những gì bạn đã nhập vẫn được giữ.",
        "Your session has ended or you signed out, so the poll was not saved. Sign in again: what you typed is kept.",
    );
    html_response(
        StatusCode::FORBIDDEN,
        dashboard::sign_in_page(frame, Some(error), Some(kept)),
    )
}

/// A wrong token from an address that sent too many: the form again, with
/// how long to wait before the next try.
fn too_soon(frame: &Frame, secs: u64, kept: Option<&Kept>) -> Response {
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
    let page = dashboard::sign_in_page(frame, Some(&error), kept);
    let mut response = html_response(StatusCode::TOO_MANY_REQUESTS, page);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, secs.into());
    response
}

impl Console {
    /// Ends the editor's session and sends them to the sign-in page.
    pub(super) async fn sign_out(&self, editor: &Editor, client: Client) -> Answer {
        self.sessions.end(&editor.id).await?;
        let mut response = see_other(&editor.frame.link("/admin/sign-in"));
        response
            .headers_mut()
            .insert(header::SET_COOKIE, session::clear_cookie(client.https));
        Ok(response)
    }
}
