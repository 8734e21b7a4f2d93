//! A poll's embed code on its console page: the snippet a webmaster pastes
//! into the portal (the widget's script and the poll's place, whose link is
//! the no-script fallback), the stylesheet rule that keeps the poll's place
//! before the widget arrives, and the poll's public address, with a copy
//! button where JavaScript runs. Built from `TALLY_PUBLIC_URL`; without it,
//! the page says which setting to ask for.

use maud::{Markup, html};

use super::layout::{Frame, on_site};
use crate::ids::SiteId;
use crate::poll::Poll;

/// The snippet for `poll`, served from `base`; its fallback link brings a
/// visitor without JavaScript back to the page it came from (`back`, a
/// placeholder the webmaster replaces). A poll of a site other than the
/// primary one names its site, on the widget as on the link.
pub(super) fn snippet(
    base: &str,
    poll: &Poll,
    site: Option<&SiteId>,
    link_words: &str,
    back: &str,
) -> String {
    let (data_site, site_param) = match site {
        Some(site) => (format!(" data-site=\"{site}\""), format!("site={site}&")),
        None => (String::new(), String::new()),
    };
    format!(
        "<script src=\"{base}/widget.js\"{data_site} async></script>\n\
         <div data-tally-poll=\"{id}\">\n  \
         <a href=\"{base}/polls/{id}?{site_param}back={back}\">{link_words}</a>\n\
         </div>",
        id = poll.id,
    )
}

/// `poll`'s public page, served from `base`, on its site.
fn public_page(base: &str, poll: &Poll, site: Option<&SiteId>) -> String {
    on_site(&format!("{base}/polls/{}", poll.id), site)
}

/// The width of a portal's sidebar the reserved height is worked out for,
/// in CSS pixels: in a wider place the box is a little taller than its
/// content, in a narrower one content below it may still move a little.
const RESERVED_FOR_WIDTH: u32 = 300;

/// The portal's stylesheet rule that keeps `poll`'s place on the page
/// before the widget has drawn it, so that nothing below it moves when it
/// does (the widget's box then fills the place, and never gets shorter).
pub(super) fn reservation(poll: &Poll) -> String {
    format!(
        "[data-tally-poll=\"{}\"] {{ display: flow-root; min-height: {}px; }}",
        poll.id,
        reserved_height(poll)
    )
}

/// How tall `poll`'s box is at its tallest (its form, or its results with
/// their bars) in a box [`RESERVED_FOR_WIDTH`] wide, at the widget's own
/// sizes (16 px text, 1.45 line height), rounded up to 10 px: each text's
/// lines are its characters at an average glyph width over the width it is
/// given. Measured in Chromium against the widget, it comes out 0–40 px
/// over the box's height for questions of 1–3 lines and 2–8 options of
/// 1–3 lines.
fn reserved_height(poll: &Poll) -> u32 {
    // The box's padding and borders take 31 px of the width.
    let inner = f64::from(RESERVED_FOR_WIDTH) - 31.0;
    let lines = |text: &str, glyph: f64, width: f64| {
        let chars = text.chars().count() as f64;
        (chars * glyph / width).ceil().max(1.0)
    };
    let question = 24.4 * lines(&poll.question, 9.0, inner);
    let several = poll.max_choices > 1;
    // The form: padding, the question, "choose up to", a row per option
    // (the radio or box beside its label), the two buttons one above the
    // other, the box's margin.
    let rows: f64 = poll
        .options
        .iter()
        .map(|o| 15.4 + 23.2 * lines(&o.label, 8.0, inner - 27.0))
        .sum();
    let form = 68.0 + question + if several { 23.0 } else { 0.0 } + rows + 92.0 + 16.0;
    // The results: a line per option beside its share, a bar under it, the
    // totals (and the voters and the base of the shares when several
    // choices are allowed).
    let bars: f64 = poll
        .options
        .iter()
        .map(|o| 22.4 + 23.2 * lines(&o.label, 8.0, inner - 130.0))
        .sum();
    let results = 88.0 + question + bars + if several { 44.0 } else { 0.0 } + 16.0;
    let most = form.max(results) + 16.0;
    (most / 10.0).ceil() as u32 * 10
}

/// What the webmaster replaces with the page's address.
const PLACE: &str = "DIA-CHI-TRANG-NAY";

/// The section of the poll's page.
pub(super) fn section(frame: &Frame, public_url: Option<&str>, poll: &Poll) -> Markup {
    html! {
        h2 #embed { (frame.t("Mã nhúng", "Embed code")) }
        @if poll.draft {
            p role="note" { (frame.t(
                "Câu hỏi đang là bản nháp: mã nhúng và trang công khai chưa hiện câu hỏi cho đến khi được xuất bản.",
                "The poll is a draft: the embed code and the public page show it only once it is published.",
            )) }
        }
        @match public_url {
            Some(base) => {
                p { (frame.t(
                    "Dán đoạn mã này vào trang của cổng thông tin, nơi câu hỏi cần hiện ra:",
                    "Paste this into the portal's page, where the poll should appear:",
                )) }
                pre { code #embed-code { (snippet(base, poll, frame.site.as_ref(), frame.t("Tham gia bình chọn", "Take part in the poll"), PLACE)) } }
                p { (frame.t(
                    "Thay DIA-CHI-TRANG-NAY bằng địa chỉ của trang đặt câu hỏi: người xem không chạy được JavaScript, bình chọn xong, được đưa về đúng trang đó.",
                    "Replace DIA-CHI-TRANG-NAY with the address of the page the poll is on: visitors without JavaScript are brought back to it after voting.",
                )) }
                p { (frame.t(
                    "Thêm dòng này vào CSS của cổng để giữ chỗ cho câu hỏi: trang không bị xô lệch khi hộp bình chọn hiện ra (tính cho khung rộng khoảng 300 px; khi sửa câu hỏi hay phương án, lấy lại dòng này):",
                    "Add this line to the portal's CSS to keep the poll's place: the page does not jump when the poll appears (worked out for a box about 300 px wide; take the line again after changing the question or the options):",
                )) }
                pre { code #embed-css { (reservation(poll)) } }
                p {
                    button.secondary type="button" data-copy="embed-code" hidden { (frame.t("Sao chép mã nhúng", "Copy the embed code")) }
                    " " span data-copied hidden role="status" { (frame.t("Đã sao chép.", "Copied.")) }
                }
                p { (frame.t("Trang công khai của câu hỏi:", "The poll's public page:")) " "
                    a href=(public_page(base, poll, frame.site.as_ref())) { (public_page(base, poll, frame.site.as_ref())) } }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(question: &str, labels: &[&str], max_choices: u32) -> Poll {
        serde_json::from_value(serde_json::json!({
            "id": "p", "question": question, "max_choices": max_choices,
            "options": labels.iter().enumerate()
                .map(|(i, l)| serde_json::json!({"id": format!("o{i}"), "label": l}))
                .collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    #[test]
    fn the_standard_poll_keeps_the_place_the_browser_test_reserves() {
        // tests/browser/fixture/cong-thong-tin.css reserves this for the
        // example poll danh-gia-cong.
        let standard = poll(
            "Bạn đánh giá như thế nào về cổng thông tin này?",
            &["Rất tốt", "Tốt", "Bình thường", "Chưa tốt"],
            1,
        );
        assert_eq!(reserved_height(&standard), 400);
        assert_eq!(
            reservation(&standard),
            "[data-tally-poll=\"p\"] { display: flow-root; min-height: 400px; }"
        );
    }

    #[test]
    fn a_sites_poll_names_its_site_in_its_embed_code() {
        let p = poll("Câu hỏi?", &["Có", "Không"], 1);
        let site = SiteId::parse("so-y-te").unwrap();
        let code = snippet("https://t.vn", &p, Some(&site), "Bình chọn", PLACE);
        assert!(
            code.starts_with(r#"<script src="https://t.vn/widget.js" data-site="so-y-te" async>"#)
        );
        assert!(
            code.contains(r#"href="https://t.vn/polls/p?site=so-y-te&back=DIA-CHI-TRANG-NAY""#)
        );
        let primary = snippet("https://t.vn", &p, None, "Bình chọn", PLACE);
        assert!(!primary.contains("site"), "{primary}");
    }

    #[test]
    fn longer_texts_more_options_and_several_choices_keep_more_room() {
        let base = reserved_height(&poll("Câu hỏi?", &["Có", "Không"], 1));
        let more = reserved_height(&poll("Câu hỏi?", &["Có", "Không", "Chưa rõ"], 1));
        let several = reserved_height(&poll("Câu hỏi?", &["Có", "Không", "Chưa rõ"], 2));
        let long = reserved_height(&poll(
            "Câu hỏi?",
            &["Có, và tôi muốn nói thêm nhiều điều về việc này", "Không"],
            1,
        ));
        assert!(base < more && more < several, "{base} {more} {several}");
        assert!(base < long, "{base} {long}");
        assert_eq!(base % 10, 0);
    }
}
