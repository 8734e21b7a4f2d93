//! A poll's embed code on its console page: the snippet a webmaster pastes
//! into the portal (the widget's script and the poll's place, whose link is
//! the no-script fallback), and the poll's public address, with a copy
//! button where JavaScript runs. Built from `TALLY_PUBLIC_URL`; without it,
//! the page says which setting to ask for.

use maud::{Markup, html};

use super::layout::Frame;
use crate::poll::Poll;

/// The snippet for `poll`, served from `base`; its fallback link brings a
/// visitor without JavaScript back to the page it came from (`back`, a
/// placeholder the webmaster replaces).
pub(super) fn snippet(base: &str, poll: &Poll, link_words: &str, back: &str) -> String {
    format!(
        "<script src=\"{base}/widget.js\" async></script>\n\
         <div data-tally-poll=\"{id}\">\n  \
         <a href=\"{base}/polls/{id}?back={back}\">{link_words}</a>\n\
         </div>",
        id = poll.id,
    )
}

/// What the webmaster replaces with the page's address.
const PLACE: &str = "DIA-CHI-TRANG-NAY";

/// The section of the poll's page.
pub(super) fn section(frame: &Frame, public_url: Option<&str>, poll: &Poll) -> Markup {
    html! {
        h2 #embed { (frame.t("Mã nhúng", "Embed code")) }
        @match public_url {
            Some(base) => {
                p { (frame.t(
                    "Dán đoạn mã này vào trang của cổng thông tin, nơi câu hỏi cần hiện ra:",
                    "Paste this into the portal's page, where the poll should appear:",
                )) }
                pre { code #embed-code { (snippet(base, poll, frame.t("Tham gia bình chọn", "Take part in the poll"), PLACE)) } }
                p { (frame.t(
                    "Thay DIA-CHI-TRANG-NAY bằng địa chỉ của trang đặt câu hỏi: người xem không chạy được JavaScript, bình chọn xong, được đưa về đúng trang đó.",
                    "Replace DIA-CHI-TRANG-NAY with the address of the page the poll is on: visitors without JavaScript are brought back to it after voting.",
                )) }
                p {
                    button.secondary type="button" data-copy="embed-code" hidden { (frame.t("Sao chép mã nhúng", "Copy the embed code")) }
                    " " span data-copied hidden role="status" { (frame.t("Đã sao chép.", "Copied.")) }
                }
                p { (frame.t("Trang công khai của câu hỏi:", "The poll's public page:")) " "
                    a href=(format!("{base}/polls/{}", poll.id)) { (format!("{base}/polls/{}", poll.id)) } }
            }
            None => {
                p { (frame.t(
                    "Chưa có địa chỉ công khai của tally: nhờ người quản trị hệ thống đặt TALLY_PUBLIC_URL (ví dụ https://tally.portal.gov.vn) để trang này hiện mã nhúng.",
                    "tally's public address is not set: ask whoever runs it to set TALLY_PUBLIC_URL (e.g. https://tally.portal.gov.vn) and this page shows the embed code.",
                )) }
            }
        }
    }
}
