//! A poll's form sent after the editor's session ended: the sign-in form
//! keeps what was typed (as hidden fields), and signing in again brings the
//! editor back to the poll's form as typed, to check and save. Nothing is
//! saved on the way: the form is only shown again.

use http::StatusCode;
use maud::{Markup, html};

use super::form::{FormValues, form_page};
use super::layout::on_site;
use super::{Answer, Console, Editor, Failure, Fields, Page};
use crate::edge::error::ApiError;
use crate::edge::respond::query_param;
use crate::ids::SiteId;

/// What was typed into a poll's form, and where it was sent.
#[derive(Debug, Clone)]
pub(super) struct Kept {
    path: String,
    form: String,
}

impl Kept {
    /// The poll's form `page` sent to `path` as `form`, if it is one
    /// (new or edited, as a plain form).
    pub(super) fn of_post(
        page: Page,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        form: &[u8],
    ) -> Option<Self> {
        let plain = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !matches!(page, Page::Polls | Page::EditPoll) || !plain {
            return None;
        }
        let form = std::str::from_utf8(form).ok()?.to_owned();
        poll_of(uri.path())?;
        // The site the form was for goes with it.
        let site = query_param(uri.query(), "site").and_then(|s| SiteId::parse(&s).ok());
        Some(Self {
            path: on_site(uri.path(), site.as_ref()),
            form,
        })
    }

    /// What the sign-in form carried back, if it names a poll's form.
    pub(super) fn of_fields(f: &Fields) -> Option<Self> {
        let (path, form) = (f.get("resume")?, f.get("kept")?);
        poll_of(path)?;
        Some(Self {
            path: path.to_owned(),
            form: form.to_owned(),
        })
    }

    /// The hidden fields that carry it through the sign-in form.
    pub(super) fn fields(&self) -> Markup {
        html! {
            input type="hidden" name="resume" value=(self.path);
            input type="hidden" name="kept" value=(self.form);
        }
    }

    /// The poll's form again, as typed, for `editor` just signed in.
    pub(super) async fn resume(&self, console: &Console, editor: &Editor) -> Answer {
        let on = console.site_polls(self.path.split_once('?').map(|(_, query)| query))?;
        if !editor.reaches(console, &on.site) {
            return Err(Failure::Refused(ApiError::ForbiddenRole));
        }
        let mut frame = editor.frame.clone();
        if on.site != console.counters.sites().primary().id {
            frame.site = Some(on.site.clone());
        }
        let frame = &frame;
        let existing = match poll_of(&self.path).flatten() {
            Some(id) => Some(on.state(Some(id)).await?),
            None => None,
        };
        let mut values = FormValues::typed(&Fields::parse(self.form.as_bytes()));
        values.error = Some(
            frame
                .t(
                    "Phiên làm việc trước đã hết hạn nên câu hỏi chưa được lưu. Đây là những gì bạn đã nhập: hãy kiểm tra rồi lưu lại.",
                    "Your session had ended, so the poll was not saved. Here is what you typed: check it, then save again.",
                )
                .to_owned(),
        );
        Ok(form_page(
            &on,
            frame,
            existing.as_ref(),
            &values,
            StatusCode::OK,
        ))
    }
}

/// The poll a form's address is for: `Some(None)` a new poll's
/// (`/admin/console/polls`), `Some(Some(id))` an edit's
/// (`/admin/console/polls/{id}/edit`), either with its `?site=`; none for
/// any other address.
fn poll_of(path: &str) -> Option<Option<&str>> {
    let path = match path.split_once('?') {
        Some((path, query)) if query.starts_with("site=") && !query.contains('&') => path,
        Some(_) => return None,
        None => path,
    };
    if path == "/admin/console/polls" {
        return Some(None);
    }
    let id = path
        .strip_prefix("/admin/console/polls/")?
        .strip_suffix("/edit")?;
    (!id.is_empty() && !id.contains('/')).then_some(Some(id))
}

#[cfg(test)]
mod tests {
    use super::poll_of;

    #[test]
    fn only_a_polls_form_is_resumed() {
        assert_eq!(poll_of("/admin/console/polls"), Some(None));
        assert_eq!(
            poll_of("/admin/console/polls/y-kien/edit"),
            Some(Some("y-kien"))
        );
        assert_eq!(
            poll_of("/admin/console/polls/y-kien/edit?site=so-y-te"),
            Some(Some("y-kien"))
        );
        assert_eq!(poll_of("/admin/console/polls?site=so-y-te"), Some(None));
        for other in [
            "/admin/console/polls/y-kien/delete",
            "/admin/console/polls//edit",
            "/admin/console/polls/a/b/edit",
            "/admin/console/import",
            "/admin/console/polls?site=a&lang=en",
            "https://example.com/admin/console/polls",
        ] {
            assert_eq!(poll_of(other), None, "{other}");
        }
    }
}
