//! Where a new poll's form can start: empty, the standard four-level
//! satisfaction poll (`?template=hai-long`), or a copy of an existing poll
//! (`?from=<poll id>`, "Nhân bản": its question, options and settings, not
//! its id, dates or ballots).

use maud::{Markup, html};

use super::form::{FormValues, form_page_with};
use super::layout::Frame;
use super::site_polls::SitePolls;
use super::{Answer, Editor};
use crate::edge::respond::query_param;
use crate::poll::Poll;

/// The standard satisfaction poll of Vietnamese portals.
const SATISFACTION: (&str, [&str; 4]) = (
    "Bạn đánh giá như thế nào về cổng thông tin này?",
    ["Rất tốt", "Tốt", "Bình thường", "Chưa tốt"],
);

/// The new poll's form, from where `query` says to start.
pub(super) async fn new_poll(editor: &Editor, on: &SitePolls, query: Option<&str>) -> Answer {
    let mut values = FormValues::of(None, &on.tz);
    if let Some(from) = query_param(query, "from") {
        let copied = on.state(Some(&from)).await?;
        values = FormValues::copy_of(&copied.poll, &on.tz);
    } else if query_param(query, "template").as_deref() == Some("hai-long") {
        let (question, labels) = SATISFACTION;
        values = FormValues::with(question, &labels);
    }
    Ok(form_page_with(
        on,
        &editor.frame,
        &values,
        starts(&editor.frame),
    ))
}

/// The links to the other starting points, above an empty form.
fn starts(frame: &Frame) -> Markup {
    html! {
        p {
            (frame.t("Bắt đầu từ mẫu:", "Start from a template:")) " "
            a href=(frame.site_link("/admin/console/new-poll?template=hai-long")) {
                (frame.t("đánh giá mức độ hài lòng (Rất tốt, Tốt, Bình thường, Chưa tốt)",
                         "satisfaction (Very good, Good, Fair, Poor), in Vietnamese"))
            }
            ". " (frame.t("Hoặc nhân bản một câu hỏi có sẵn từ trang của nó.", "Or duplicate an existing poll from its page."))
        }
    }
}

/// The link that duplicates `poll`.
pub(super) fn duplicate_link(frame: &Frame, poll: &Poll) -> Markup {
    html! {
        a.button.secondary href=(frame.site_link(&format!("/admin/console/new-poll?from={}", poll.id))) {
            (frame.t("Nhân bản", "Duplicate"))
        }
    }
}
