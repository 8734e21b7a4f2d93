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
    let body = form(console, frame, None, &Draft::of(None, &console.tz), None);
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, html! { h1 { (title) } (body) }),
    ))
}

pub(super) async fn edit_poll(console: &Console, editor: &Editor, id: Option<&str>) -> Answer {
    let frame = &editor.frame;
    let s = state(console, id).await?;
    let title = frame.t("Sửa câu hỏi", "Edit the poll");
    let body = form(
        console,
        frame,
        Some(&s.poll.id),
        &Draft::of(Some(&s.poll), &console.tz),
        None,
    );
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, html! { h1 { (title) } (body) }),
    ))
}

/// What the form shows: a poll's values, or what was typed (kept when the
/// form comes back with what is wrong with it).
struct Draft {
    id: String,
    question: String,
    /// Label and, for an option the poll has, its id.
    options: Vec<(String, Option<String>)>,
    max_choices: String,
    opens_at: String,
    closes_at: String,
    results: String,
}

impl Draft {
    fn of(poll: Option<&Poll>, tz: &jiff::tz::TimeZone) -> Self {
        let time = |t: Option<jiff::Timestamp>| t.map(|t| local_input(t, tz)).unwrap_or_default();
        Self {
            id: poll.map_or(String::new(), |p| p.id.to_string()),
            question: poll.map_or(String::new(), |p| p.question.clone()),
            options: poll.map_or(Vec::new(), |p| {
                p.options
                    .iter()
                    .map(|o| (o.label.clone(), Some(o.id.to_string())))
                    .collect()
            }),
            max_choices: poll.map_or(1, |p| p.max_choices).to_string(),
            opens_at: time(poll.and_then(|p| p.opens_at)),
            closes_at: time(poll.and_then(|p| p.closes_at)),
            results: VISIBILITIES
                .iter()
                .find(|(v, _)| poll.is_some_and(|p| p.results == *v))
                .map_or("always", |(_, code)| code)
                .to_owned(),
        }
    }

    fn typed(f: &Fields) -> Self {
        let get = |name: &str| f.get(name).unwrap_or("").to_owned();
        Self {
            id: get("id"),
            question: get("question"),
            options: (0..MAX_OPTIONS)
                .map(|i| {
                    (
                        get(&format!("option-{i}")),
                        f.get(&format!("option-id-{i}")).map(str::to_owned),
                    )
                })
                .filter(|(label, id)| !label.trim().is_empty() || id.is_some())
                .collect(),
            max_choices: get("max_choices"),
            opens_at: get("opens_at"),
            closes_at: get("closes_at"),
            results: get("results"),
        }
    }
}

/// The form, for a new poll (`editing` none) or the poll `editing`.
fn form(
    console: &Console,
    frame: &Frame,
    editing: Option<&PollId>,
    d: &Draft,
    error: Option<&str>,
) -> Markup {
    let zone = console.voting.zone_name();
    let action = match editing {
        Some(id) => poll_link(frame, id, "/edit"),
        None => frame.link("/admin/console/polls"),
    };
    let rows = d.options.len().clamp(ROWS, MAX_OPTIONS);
    html! {
        @if let Some(error) = error { p role="alert" { (error) } }
        form method="post" action=(action) {
            (frame.csrf_field())
            @if let Some(id) = editing {
                p { (frame.t("Mã câu hỏi", "Poll id")) ": " code { (id) } }
            } @else {
                label for="id" { (frame.t("Mã câu hỏi (dùng trong đường dẫn)", "Poll id (used in links)")) }
                input #id name="id" required pattern="[a-z0-9\\-]{1,64}" maxlength="64" aria-describedby="id-hint" value=(d.id);
                p.hint #id-hint { (frame.t("Chữ thường không dấu, số và dấu gạch ngang, ví dụ: danh-gia-cong", "Lowercase letters, digits and dashes, e.g. rate-the-portal")) }
            }
            label for="question" { (frame.t("Câu hỏi", "Question")) }
            input #question name="question" required maxlength="500" value=(d.question);
            fieldset {
                legend { (frame.t("Các phương án (để trống dòng không dùng)", "Options (leave unused rows empty)")) }
                @for i in 0..rows {
                    @let option = d.options.get(i);
                    div.option-row {
                        label for={ "option-" (i) } { (frame.t("Phương án", "Option")) " " (i + 1) }
                        input id={ "option-" (i) } name={ "option-" (i) } maxlength="200"
                            value=(option.map_or("", |o| o.0.as_str()));
                        @if let Some(id) = option.and_then(|o| o.1.as_ref()) { input type="hidden" name={ "option-id-" (i) } value=(id); }
                    }
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
            @if editing.is_some() {
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
            let status = StatusCode::BAD_REQUEST;
            return Ok(again(console, frame, (existing.as_ref(), f), status, &why));
        }
    };
    if existing.is_none() && console.voting.state(&poll.id, None).await?.is_some() {
        let why = frame.t(
            "Đã có câu hỏi với mã này; hãy chọn mã khác hoặc sửa câu hỏi đó.",
            "A poll with this id exists; choose another id or edit that poll.",
        );
        return Ok(again(console, frame, (None, f), StatusCode::CONFLICT, why));
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
            let status = StatusCode::CONFLICT;
            Ok(again(console, frame, (existing.as_ref(), f), status, &why))
        }
        _ => {
            tracing::info!(who = %editor.who, poll = %poll.id, "console: poll saved");
            Ok(see_other(&poll_link(frame, &poll.id, "")))
        }
    }
}

/// The form again, as typed, with what is wrong with it.
fn again(
    console: &Console,
    frame: &Frame,
    (editing, f): (Option<&Poll>, &Fields),
    status: StatusCode,
    why: &str,
) -> http::Response<crate::http::respond::Body> {
    let editing = editing.map(|p| &p.id);
    let draft = Draft::typed(f);
    let title = frame.t("Câu hỏi", "Poll");
    html_response(
        status,
        frame.page(
            title,
            false,
            html! { h1 { (title) } (form(console, frame, editing, &draft, Some(why))) },
        ),
    )
}
