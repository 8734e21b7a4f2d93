//! The poll form: create a poll or edit one. Ten option rows (empty ones
//! ignored, so rows are "added" and "removed" without script), times
//! entered and shown in the site's zone, results visibility. Editing keeps
//! the ids of the options it keeps, so their ballots stay with them.

use http::StatusCode;
use maud::{Markup, html};

use super::layout::{Frame, html_response, see_other};
use super::polls::{poll_link, state, visibility_words};
use super::words::{local_input, parse_local};
use super::{Answer, Console, Editor, Fields};
use crate::challenge::ChallengeMode;
use crate::ids::{OptionId, PollId};
use crate::poll::{MAX_OPTIONS, Poll, PollOption, PollSpec, Visibility};
use crate::store::PutPoll;

/// Option rows the form shows.
const ROWS: usize = 10;
const VISIBILITIES: [(Visibility, &str); 4] = [
    (Visibility::Always, "always"),
    (Visibility::AfterVote, "after_vote"),
    (Visibility::AfterClose, "after_close"),
    (Visibility::Never, "never"),
];

pub(super) fn new_poll(console: &Console, editor: &Editor) -> Answer {
    let frame = &editor.frame;
    let title = frame.t("Tạo câu hỏi mới", "New poll");
    let body = form(console, frame, None, None);
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, html! { h1 { (title) } (body) }),
    ))
}

pub(super) async fn edit_poll(console: &Console, editor: &Editor, id: Option<&str>) -> Answer {
    let frame = &editor.frame;
    let s = state(console, id).await?;
    let title = frame.t("Sửa câu hỏi", "Edit the poll");
    let body = form(console, frame, Some(&s.poll), None);
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, html! { h1 { (title) } (body) }),
    ))
}

fn form(console: &Console, frame: &Frame, poll: Option<&Poll>, error: Option<&str>) -> Markup {
    let zone = console.voting.zone_name();
    let action = match poll {
        Some(p) => poll_link(frame, &p.id, "/edit"),
        None => frame.link("/admin/console/polls"),
    };
    let rows = poll
        .map_or(ROWS, |p| p.options.len().max(ROWS))
        .min(MAX_OPTIONS);
    let input_time =
        |t: Option<jiff::Timestamp>| t.map(|t| local_input(t, &console.tz)).unwrap_or_default();
    html! {
        @if let Some(error) = error { p role="alert" { (error) } }
        form method="post" action=(action) {
            (frame.csrf_field())
            @if let Some(p) = poll {
                p { (frame.t("Mã câu hỏi", "Poll id")) ": " code { (p.id) } }
            } @else {
                label for="id" { (frame.t("Mã câu hỏi (dùng trong đường dẫn)", "Poll id (used in links)")) }
                input #id name="id" required pattern="[a-z0-9\\-]{1,64}" maxlength="64" aria-describedby="id-hint";
                p.hint #id-hint { (frame.t("Chữ thường không dấu, số và dấu gạch ngang, ví dụ: danh-gia-cong", "Lowercase letters, digits and dashes, e.g. rate-the-portal")) }
            }
            label for="question" { (frame.t("Câu hỏi", "Question")) }
            input #question name="question" required maxlength="500" value=(poll.map_or("", |p| p.question.as_str()));
            fieldset {
                legend { (frame.t("Các phương án (để trống dòng không dùng)", "Options (leave unused rows empty)")) }
                @for i in 0..rows {
                    @let option = poll.and_then(|p| p.options.get(i));
                    div.option-row {
                        label for={ "option-" (i) } { (frame.t("Phương án", "Option")) " " (i + 1) }
                        input id={ "option-" (i) } name={ "option-" (i) } maxlength="200"
                            value=(option.map_or("", |o| o.label.as_str()));
                        @if let Some(o) = option { input type="hidden" name={ "option-id-" (i) } value=(o.id); }
                    }
                }
            }
            label for="max_choices" { (frame.t("Số phương án được chọn tối đa", "Most options a voter may choose")) }
            input #max_choices name="max_choices" type="number" min="1" max=(MAX_OPTIONS) value=(poll.map_or(1, |p| p.max_choices));
            label for="opens_at" { (frame.t("Mở lúc", "Opens at")) " (" (zone) ")" }
            input #opens_at name="opens_at" type="datetime-local" step="1" value=(input_time(poll.and_then(|p| p.opens_at))) aria-describedby="time-hint";
            label for="closes_at" { (frame.t("Đóng lúc", "Closes at")) " (" (zone) ")" }
            input #closes_at name="closes_at" type="datetime-local" step="1" value=(input_time(poll.and_then(|p| p.closes_at))) aria-describedby="time-hint";
            p.hint #time-hint { (frame.t("Giờ địa phương theo múi giờ", "Local time in the zone")) " " (zone) ". " (frame.t("Để trống: mở ngay / không tự đóng.", "Empty: opens now / never closes by itself.")) }
            label for="results" { (frame.t("Công bố kết quả", "Show results")) }
            select #results name="results" {
                @for (v, code) in VISIBILITIES {
                    option value=(code) selected[poll.is_some_and(|p| p.results == v)] { (visibility_words(frame, v)) }
                }
            }
            @if poll.is_some() {
                label for="force" { input #force type="checkbox" name="force" value="yes"; " " (frame.t("Cho phép xoá phương án đã có phiếu (xoá luôn các phiếu đó)", "Allow removing options that hold ballots (their ballots are deleted)")) }
            }
            div.actions { button type="submit" { (frame.t("Lưu", "Save")) } }
        }
    }
}

/// The poll a form describes, or what is wrong with it.
fn read_poll(
    console: &Console,
    frame: &Frame,
    existing: Option<&Poll>,
    f: &Fields,
) -> Result<Poll, String> {
    let bad = |vi: &'static str, en: &'static str| frame.t(vi, en).to_owned();
    let id = match existing {
        Some(p) => p.id.clone(),
        None => PollId::parse(f.get("id").unwrap_or("").trim()).map_err(|_| {
            bad(
                "Mã câu hỏi chỉ gồm chữ thường không dấu, số và dấu gạch ngang (tối đa 64).",
                "The poll id takes lowercase letters, digits and dashes (at most 64).",
            )
        })?,
    };
    let mut options: Vec<PollOption> = Vec::new();
    let mut next = 1;
    for i in 0..MAX_OPTIONS {
        let label = f.get(&format!("option-{i}")).unwrap_or("").trim();
        if label.is_empty() {
            continue;
        }
        let kept = f
            .get(&format!("option-id-{i}"))
            .and_then(|id| OptionId::parse(id).ok())
            .filter(|id| existing.is_some_and(|p| p.options.iter().any(|o| &o.id == id)));
        let id = match kept {
            Some(id) => id,
            None => loop {
                let candidate = OptionId::parse(&format!("o{next}")).map_err(|e| e.to_string())?;
                next += 1;
                let taken = |id: &OptionId| {
                    existing.is_some_and(|p| p.options.iter().any(|o| &o.id == id))
                        || options.iter().any(|o| &o.id == id)
                };
                if !taken(&candidate) {
                    break candidate;
                }
            },
        };
        options.push(PollOption {
            id,
            label: label.to_owned(),
        });
    }
    let time = |name: &str| -> Result<Option<jiff::Timestamp>, String> {
        match f.get(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => parse_local(v, &console.tz)
                .map(Some)
                .ok_or_else(|| bad("Thời gian không hợp lệ.", "A time is not valid.")),
        }
    };
    let max_choices = f
        .get("max_choices")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                bad(
                    "Số phương án tối đa phải là số nguyên.",
                    "Max choices must be a whole number.",
                )
            })
        })
        .transpose()?;
    let results = VISIBILITIES
        .iter()
        .find(|(_, code)| Some(*code) == f.get("results"))
        .map_or(Visibility::Always, |(v, _)| *v);
    let spec = PollSpec {
        id,
        question: f.get("question").unwrap_or("").trim().to_owned(),
        options,
        max_choices,
        opens_at: time("opens_at")?,
        closes_at: time("closes_at")?,
        results,
        challenge: existing.map_or(ChallengeMode::default(), |p| p.challenge),
        archived_at: existing.and_then(|p| p.archived_at),
    };
    Poll::new(spec).map_err(|e| {
        format!(
            "{}: {e}",
            bad("Câu hỏi chưa hợp lệ", "The poll is not valid")
        )
    })
}

/// Creates (`id` none) or replaces a poll from its form.
pub(super) async fn save(
    console: &Console,
    editor: &Editor,
    id: Option<&str>,
    f: &Fields,
) -> Answer {
    let frame = &editor.frame;
    let existing = match id {
        Some(_) => Some(state(console, id).await?.poll),
        None => None,
    };
    let poll = match read_poll(console, frame, existing.as_ref(), f) {
        Ok(poll) => poll,
        Err(why) => {
            return Ok(again(
                console,
                frame,
                existing.as_ref(),
                StatusCode::BAD_REQUEST,
                &why,
            ));
        }
    };
    if existing.is_none() && console.voting.state(&poll.id, None).await?.is_some() {
        let why = frame.t(
            "Đã có câu hỏi với mã này; hãy chọn mã khác hoặc sửa câu hỏi đó.",
            "A poll with this id exists; choose another id or edit that poll.",
        );
        return Ok(again(console, frame, None, StatusCode::CONFLICT, why));
    }
    let force = f.get("force") == Some("yes");
    match console.editing.put(&editor.who, &poll, force).await? {
        PutPoll::Conflict(held) => {
            let list: Vec<String> = held.iter().map(|(id, n)| format!("{id} ({n})")).collect();
            let why = format!(
                "{} {}",
                frame.t(
                    "Các phương án bị bỏ vẫn còn phiếu; đánh dấu ô cho phép để xoá cả phiếu:",
                    "Removed options still hold ballots; tick the box to delete them too:"
                ),
                list.join(", ")
            );
            Ok(again(
                console,
                frame,
                existing.as_ref(),
                StatusCode::CONFLICT,
                &why,
            ))
        }
        _ => {
            tracing::info!(who = %editor.who, poll = %poll.id, "console: poll saved");
            Ok(see_other(&poll_link(frame, &poll.id, "")))
        }
    }
}

fn again(
    console: &Console,
    frame: &Frame,
    poll: Option<&Poll>,
    status: StatusCode,
    why: &str,
) -> http::Response<crate::http::respond::Body> {
    let title = frame.t("Câu hỏi", "Poll");
    html_response(
        status,
        frame.page(
            title,
            false,
            html! { h1 { (title) } (form(console, frame, poll, Some(why))) },
        ),
    )
}
