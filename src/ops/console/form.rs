//! The poll form: create a poll or edit one. Each option row carries the id
//! of the option it was drawn for; rows are inserted, moved and removed by
//! their own buttons (a round trip without script, in place with it), and
//! [`crate::poll::edit`] decides which option each row is, so no edit moves
//! a ballot to another answer. Renaming or removing an option that holds
//! ballots is shown in words and saved only once confirmed. A new poll or
//! a draft is saved as a draft ("Lưu nháp", also what Enter does) or
//! published ("Xuất bản"); a published poll without ballots may go back to
//! draft.

use http::StatusCode;
use maud::{Markup, html};

use super::layout::{Frame, html_response};
use super::polls::{challenge_words, poll_link, visibility_words};
use super::save::change_words;
use super::site_polls::SitePolls;
use super::words::{Lang, local_input};
use super::{Answer, Editor, Fields};
use crate::challenge::ChallengeMode;
use crate::ids::OptionId;
use crate::poll::edit::{OptionChange, Row};
use crate::poll::{MAX_OPTIONS, Poll, Visibility};
use crate::store::PollState;

/// Rows a new poll's form starts with: the four levels of the usual
/// satisfaction poll.
const NEW_ROWS: usize = 4;
/// The challenge modes the form offers, by the code its field sends.
pub(super) const CHALLENGES: [(ChallengeMode, &str); 3] = [
    (ChallengeMode::Off, "off"),
    (ChallengeMode::Auto, "auto"),
    (ChallengeMode::On, "on"),
];

pub(super) const VISIBILITIES: [(Visibility, &str); 4] = [
    (Visibility::Always, "always"),
    (Visibility::AfterVote, "after_vote"),
    (Visibility::AfterClose, "after_close"),
    (Visibility::Never, "never"),
];

pub(super) async fn edit_poll(editor: &Editor, on: &SitePolls, id: Option<&str>) -> Answer {
    let s = on.state(id).await?;
    let values = FormValues::of(Some(&s.poll), &on.tz);
    Ok(form_page(
        on,
        &editor.frame,
        Some(&s),
        &values,
        StatusCode::OK,
    ))
}

/// What the form shows: a poll's values, or what was typed (kept when the
/// form comes back with what is wrong with it, or with rows moved).
pub(super) struct FormValues {
    id: String,
    question: String,
    pub(super) rows: Vec<Row>,
    max_choices: String,
    opens_at: String,
    closes_at: String,
    results: String,
    challenge: String,
    /// The row to give the focus to (after a row was moved or added).
    focus: Option<usize>,
    /// Why the form came back, in words.
    pub(super) error: Option<String>,
    /// Changes to confirm before saving, and what confirming them names.
    pub(super) confirm: Option<(Vec<OptionChange>, bool, String)>,
}

impl FormValues {
    /// A new poll's values from a copy of `poll`: its words and settings,
    /// not its id, its dates or its options' ids (a copy has no ballots).
    pub(super) fn copy_of(poll: &Poll, tz: &jiff::tz::TimeZone) -> Self {
        let mut values = Self::of(Some(poll), tz);
        values.id = String::new();
        values.opens_at = String::new();
        values.closes_at = String::new();
        for row in &mut values.rows {
            row.carried = None;
        }
        values
    }

    /// A new poll's values with `question` and options labelled `labels`.
    pub(super) fn with(question: &str, labels: &[&str]) -> Self {
        let mut values = Self::of(None, &jiff::tz::TimeZone::UTC);
        values.question = question.to_owned();
        values.rows = labels
            .iter()
            .map(|label| Row {
                label: (*label).to_owned(),
                carried: None,
            })
            .chain([blank()])
            .collect();
        values
    }

    pub(super) fn of(poll: Option<&Poll>, tz: &jiff::tz::TimeZone) -> Self {
        let time = |t: Option<jiff::Timestamp>| t.map(|t| local_input(t, tz)).unwrap_or_default();
        let mut rows: Vec<Row> = poll.map_or(Vec::new(), |p| {
            p.options
                .iter()
                .map(|o| Row {
                    label: o.label.clone(),
                    carried: Some(o.id.clone()),
                })
                .collect()
        });
        let empty = if poll.is_some() { 1 } else { NEW_ROWS };
        rows.extend((0..empty).map(|_| blank()));
        rows.truncate(MAX_OPTIONS);
        Self {
            id: poll.map_or(String::new(), |p| p.id.to_string()),
            question: poll.map_or(String::new(), |p| p.question.clone()),
            rows,
            max_choices: poll.map_or(1, |p| p.max_choices).to_string(),
            opens_at: time(poll.and_then(|p| p.opens_at)),
            closes_at: time(poll.and_then(|p| p.closes_at)),
            results: VISIBILITIES
                .iter()
                .find(|(v, _)| poll.is_some_and(|p| p.results == *v))
                .map_or("always", |(_, code)| code)
                .to_owned(),
            challenge: CHALLENGES
                .iter()
                .find(|(m, _)| poll.is_some_and(|p| p.challenge == *m))
                .map_or("off", |(_, code)| code)
                .to_owned(),
            focus: None,
            error: None,
            confirm: None,
        }
    }

    pub(super) fn typed(f: &Fields) -> Self {
        let get = |name: &str| f.get(name).unwrap_or("").to_owned();
        let rows = f
            .all("label")
            .zip(f.all("option-id").chain(std::iter::repeat("")))
            .take(MAX_OPTIONS)
            .map(|(label, id)| Row {
                label: label.to_owned(),
                carried: OptionId::parse(id).ok(),
            })
            .collect();
        Self {
            id: get("id"),
            question: get("question"),
            rows,
            max_choices: get("max_choices"),
            opens_at: get("opens_at"),
            closes_at: get("closes_at"),
            results: get("results"),
            challenge: get("challenge"),
            focus: None,
            error: None,
            confirm: None,
        }
    }

    /// Applies a row button (`up:3`, `down:3`, `add:3`, `add:end`,
    /// `remove:3`); says whether it was one.
    pub(super) fn move_rows(&mut self, action: &str) -> bool {
        let Some((what, at)) = action.split_once(':') else {
            return false;
        };
        let n = self.rows.len();
        let at = if at == "end" {
            n.saturating_sub(1)
        } else {
            match at.parse::<usize>() {
                Ok(at) if at < n => at,
                _ => return false,
            }
        };
        self.focus = match what {
            "up" if at > 0 => {
                self.rows.swap(at, at - 1);
                Some(at - 1)
            }
            "down" if at + 1 < n => {
                self.rows.swap(at, at + 1);
                Some(at + 1)
            }
            "add" if n < MAX_OPTIONS => {
                let place = if n == 0 { 0 } else { at + 1 };
                self.rows.insert(place, blank());
                Some(place)
            }
            // The last row is emptied rather than removed, so the form
            // always has a row to type in.
            "remove" if n == 1 => {
                self.rows[0] = blank();
                Some(0)
            }
            "remove" => {
                self.rows.remove(at);
                Some(at.min(n - 2))
            }
            _ => Some(at),
        };
        true
    }
}

fn blank() -> Row {
    Row {
        label: String::new(),
        carried: None,
    }
}

/// The form's page, with what is wrong with its values or the changes to confirm.
pub(super) fn form_page(
    on: &SitePolls,
    frame: &Frame,
    editing: Option<&PollState>,
    d: &FormValues,
    status: StatusCode,
) -> crate::edge::respond::Response {
    let title = match editing {
        Some(_) => frame.t("Sửa câu hỏi", "Edit the poll"),
        None => frame.t("Tạo câu hỏi mới", "New poll"),
    };
    let body = html! { h1 { (title) } (form(on, frame, editing, d)) };
    html_response(status, frame.page(title, true, body))
}

/// A new poll's form page, with `before` above the form.
pub(super) fn form_page_with(
    on: &SitePolls,
    frame: &Frame,
    d: &FormValues,
    before: Markup,
) -> crate::edge::respond::Response {
    let title = frame.t("Tạo câu hỏi mới", "New poll");
    let body = html! { h1 { (title) } (before) (form(on, frame, None, d)) };
    html_response(StatusCode::OK, frame.page(title, true, body))
}

/// One option row: its label, the id it carries, and its buttons.
fn option_row(frame: &Frame, i: usize, n: usize, row: &Row, focus: bool) -> Markup {
    let number = i + 1;
    let name = |vi: &str, en: &str| match frame.lang {
        Lang::Vi => format!("{vi} {number}"),
        Lang::En => format!("{en} {number}"),
    };
    html! {
        div.option-row data-row {
            label for={ "option-" (i) } { (frame.t("Phương án", "Option")) " " (number) }
            input id={ "option-" (i) } name="label" maxlength="200" value=(row.label) autofocus[focus];
            input type="hidden" name="option-id" value=(row.carried.as_ref().map_or("", OptionId::as_str));
            div.row-tools role="group" aria-label=(name("Sắp xếp phương án", "Arrange option")) {
                button.secondary.tool type="submit" name="row" value={ "up:" (i) } formnovalidate disabled[i == 0]
                    aria-label=(name("Chuyển lên: phương án", "Move up: option")) { "↑" }
                button.secondary.tool type="submit" name="row" value={ "down:" (i) } formnovalidate disabled[i + 1 == n]
                    aria-label=(name("Chuyển xuống: phương án", "Move down: option")) { "↓" }
                button.secondary.tool type="submit" name="row" value={ "add:" (i) } formnovalidate disabled[n >= MAX_OPTIONS]
                    aria-label=(name("Chèn một dòng dưới phương án", "Insert a row below option")) { "+" }
                button.secondary.tool type="submit" name="row" value={ "remove:" (i) } formnovalidate
                    aria-label=(name("Bỏ phương án", "Remove option")) { "✕" }
            }
        }
    }
}

/// The buttons that save the form, each its `save` value and its words:
/// for a new poll or a draft, "Lưu nháp" and "Xuất bản"; for a published
/// poll, "Lưu", and "Lưu nháp" (back to draft) while it holds no ballots.
/// The first is what Enter does.
fn save_buttons(
    frame: &Frame,
    editing: Option<&PollState>,
    confirming: bool,
) -> Vec<(&'static str, &'static str)> {
    let draft = ("draft", frame.t("Lưu nháp", "Save as draft"));
    match editing {
        Some(s) if !s.poll.draft => {
            let save = match confirming {
                true => frame.t("Xác nhận và lưu", "Confirm and save"),
                false => frame.t("Lưu", "Save"),
            };
            let unvoted = s.voters == 0 && s.votes.iter().all(|&n| n == 0);
            std::iter::once(("yes", save))
                .chain(unvoted.then_some(draft))
                .collect()
        }
        _ => vec![draft, ("publish", frame.t("Xuất bản", "Publish"))],
    }
}

/// The form, for a new poll (`editing` none) or the poll `editing`.
fn form(on: &SitePolls, frame: &Frame, editing: Option<&PollState>, d: &FormValues) -> Markup {
    let zone = on.voting().zone_name();
    let action = match editing {
        Some(s) => poll_link(frame, &s.poll.id, "/edit"),
        None => frame.site_link("/admin/console/polls"),
    };
    let n = d.rows.len();
    let drafting = editing.is_none_or(|s| s.poll.draft);
    let buttons = save_buttons(frame, editing, d.confirm.is_some());
    let (default_value, default_label) = buttons[0];
    html! {
        @if let Some(error) = &d.error { p role="alert" { (error) } }
        form method="post" action=(action) data-poll-form {
            // The form's default button (Enter in a field) saves, a new
            // poll or a draft as a draft; the row buttons below come later
            // in the form.
            button.default-submit type="submit" name="save" value=(default_value) tabindex="-1" aria-hidden="true" { (default_label) }
            (frame.csrf_field())
            @if let Some((changes, reordered, token)) = &d.confirm {
                section.confirm role="alert" aria-labelledby="confirm-title" {
                    h2 #confirm-title { (frame.t("Kiểm tra thay đổi trước khi lưu", "Check the changes before saving")) }
                    ul { @for change in changes { li { (change_words(frame, change)) } }
                         @if *reordered { li { (frame.t("Đổi thứ tự các phương án", "The options are reordered")) } } }
                    p { (frame.t("Phiếu đã bầu luôn ở lại với phương án của chúng: đổi tên thì các phiếu đi theo tên mới; bỏ phương án thì các phiếu của nó bị xoá.",
                                 "Ballots always stay with their option: a renamed option keeps its ballots under the new name; a removed option's ballots are deleted.")) }
                    input type="hidden" name="confirm" value=(token);
                }
            }
            @if let Some(s) = editing {
                p { (frame.t("Mã câu hỏi", "Poll id")) ": " code { (s.poll.id) } }
            } @else {
                label for="id" { (frame.t("Mã câu hỏi (dùng trong đường dẫn)", "Poll id (used in links)")) }
                input #id name="id" required pattern="[a-z0-9\\-]{1,64}" maxlength="64" aria-describedby="id-hint" value=(d.id);
                p.hint #id-hint { (frame.t("Chữ thường không dấu, số và dấu gạch ngang, ví dụ: danh-gia-cong", "Lowercase letters, digits and dashes, e.g. rate-the-portal")) }
            }
            label for="question" { (frame.t("Câu hỏi", "Question")) }
            textarea #question name="question" required maxlength="500" rows="3" { (d.question) }
            fieldset {
                legend { (frame.t("Các phương án (dòng để trống được bỏ qua)", "Options (empty rows are ignored)")) }
                p.hint { (frame.t("Dùng các nút ↑ ↓ để đổi thứ tự, + để chèn một dòng, ✕ để bỏ: phiếu đã bầu luôn đi theo phương án của chúng.",
                                  "Use ↑ ↓ to reorder, + to insert a row, ✕ to remove one: ballots always follow their option.")) }
                div data-rows {
                    @for (i, row) in d.rows.iter().enumerate() {
                        (option_row(frame, i, n, row, d.focus == Some(i)))
                    }
                }
                button.secondary type="submit" name="row" value="add:end" formnovalidate disabled[n >= MAX_OPTIONS] data-add-row {
                    (frame.t("Thêm phương án", "Add an option"))
                }
            }
            label for="max_choices" { (frame.t("Số phương án được chọn tối đa", "Most options a voter may choose")) }
            input #max_choices name="max_choices" type="number" min="1" max=(MAX_OPTIONS) value=(d.max_choices);
            label for="opens_at" { (frame.t("Mở lúc", "Opens at")) " (" (zone) ")" }
            input #opens_at name="opens_at" type="datetime-local" step="1" value=(d.opens_at) aria-describedby="time-hint";
            label for="closes_at" { (frame.t("Đóng lúc", "Closes at")) " (" (zone) ")" }
            input #closes_at name="closes_at" type="datetime-local" step="1" value=(d.closes_at) aria-describedby="time-hint";
            p.hint #time-hint { (frame.t("Giờ địa phương theo múi giờ", "Local time in the zone")) " " (zone) ". " (frame.t("Để trống: mở ngay / không tự đóng.", "Empty: opens now / never closes by itself.")) }
            label for="results" { (frame.t("Công bố kết quả", "Show results")) }
            select #results name="results" {
                @for (v, code) in VISIBILITIES {
                    option value=(code) selected[d.results == code] { (visibility_words(frame, v)) }
                }
            }
            label for="challenge" { (frame.t("Chống gửi phiếu tự động", "Protection against scripted ballots")) }
            select #challenge name="challenge" aria-describedby="challenge-hint" {
                @for (m, code) in CHALLENGES {
                    option value=(code) selected[d.challenge == code] { (challenge_words(frame, m)) }
                }
            }
            p.hint #challenge-hint { (frame.t(
                "Trình duyệt của người bình chọn giải một phép tính nhỏ trước khi gửi phiếu (không cần làm gì thêm); chế độ tự động chỉ làm khó hơn cho mạng đang gửi phiếu bất thường.",
                "The voter's browser solves a small puzzle before sending the ballot (nothing for the voter to do); automatic makes it harder only for a network sending unusual numbers of ballots.",
            )) }
            @if drafting {
                p.hint { (frame.t(
                    "Bản nháp chỉ ban biên tập thấy: chưa có trang công khai, chưa nhận phiếu. Khi xuất bản, câu hỏi được công khai và mở, đóng theo thời gian đã đặt.",
                    "A draft is seen by editors only: no public page, no ballots. Once published, the poll is public and opens and closes at its times.",
                )) }
            }
            div.actions {
                @for (value, label) in &buttons {
                    // Publishing, or saving a published poll, is the main
                    // button; saving a draft the other.
                    @if *value == "draft" {
                        button.secondary type="submit" name="save" value=(value) { (label) }
                    } @else {
                        button type="submit" name="save" value=(value) { (label) }
                    }
                }
            }
        }
    }
}
