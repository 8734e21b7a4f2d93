//! Saving the poll form: the poll it describes (a draft or published, as
//! the button pressed says), the changes to its options in words, and the
//! confirmation a change that touches ballots needs.

use http::StatusCode;

use super::form::{CHALLENGES, FormValues, VISIBILITIES, form_page};
use super::layout::{Frame, see_other};
use super::polls::poll_link;
use super::site_polls::SitePolls;
use super::words::{Lang, parse_local};
use super::{Answer, Editor, Fields};
use crate::edge::error::ApiError;
use crate::editing::EditError;
use crate::ids::PollId;
use crate::poll::edit::{OptionChange, OptionsEdit, Row, RowsError, edit_options};
use crate::poll::{Poll, PollError, PollSpec, Visibility};
use crate::store::{PollState, PutPoll};

/// A change to an option, in words.
pub(super) fn change_words(frame: &Frame, change: &OptionChange) -> String {
    let votes = |n: u64| match frame.lang {
        Lang::Vi => format!("{} phiếu", frame.lang.number(n)),
        Lang::En if n == 1 => "1 ballot".to_owned(),
        Lang::En => format!("{} ballots", frame.lang.number(n)),
    };
    match (frame.lang, change) {
        (Lang::Vi, OptionChange::Added { label, .. }) => format!("Thêm phương án «{label}»"),
        (Lang::En, OptionChange::Added { label, .. }) => format!("Adds the option “{label}”"),
        (
            Lang::Vi,
            OptionChange::Renamed {
                from, to, votes: n, ..
            },
        ) => {
            format!("Đổi tên «{from}» → «{to}» · {} giữ nguyên", votes(*n))
        }
        (
            Lang::En,
            OptionChange::Renamed {
                from, to, votes: n, ..
            },
        ) => {
            format!("Renames “{from}” → “{to}” · its {} stay", votes(*n))
        }
        (
            Lang::Vi,
            OptionChange::Removed {
                label, votes: n, ..
            },
        ) => {
            format!("Bỏ phương án «{label}» và xoá {} của nó", votes(*n))
        }
        (
            Lang::En,
            OptionChange::Removed {
                label, votes: n, ..
            },
        ) => {
            format!("Removes the option “{label}” and deletes its {}", votes(*n))
        }
    }
}

/// A poll definition refused, in words.
fn poll_error_words(frame: &Frame, e: &PollError) -> String {
    let words = match e {
        PollError::Question => frame.t(
            "Câu hỏi cần từ 1 đến 500 ký tự.",
            "The question needs 1 to 500 characters.",
        ),
        PollError::OptionCount => frame.t(
            "Một câu hỏi cần từ 2 đến 20 phương án.",
            "A poll needs 2 to 20 options.",
        ),
        PollError::DuplicateOption(_) | PollError::DuplicateLabel(_) => frame.t(
            "Hai phương án trùng nhau; mỗi phương án phải khác nhau.",
            "Two options are the same; each option must differ.",
        ),
        PollError::Label(_) => frame.t(
            "Mỗi phương án cần từ 1 đến 200 ký tự.",
            "Each option needs 1 to 200 characters.",
        ),
        PollError::MaxChoices => frame.t(
            "Số phương án được chọn tối đa phải từ 1 đến số phương án.",
            "The most options a voter may choose must be between 1 and the number of options.",
        ),
        PollError::Window => frame.t(
            "Thời gian mở phải trước thời gian đóng.",
            "The opening time must be before the closing time.",
        ),
        PollError::Character(bad) => {
            let (vi, en) = bad.words();
            return match frame.lang {
                Lang::Vi => vi,
                Lang::En => en,
            };
        }
    };
    words.to_owned()
}

/// Whether the form saves a draft: "Lưu nháp" does, "Xuất bản" publishes;
/// "Lưu" (or a post naming no button) keeps a poll as it was, and
/// publishes a new one.
fn saves_draft(existing: Option<&PollState>, f: &Fields) -> bool {
    match f.get("save") {
        Some("draft") => true,
        Some("publish") => false,
        _ => existing.is_some_and(|s| s.poll.draft),
    }
}

/// The poll a form describes, with what it does to the options, or what
/// is wrong with it, in words.
fn read_poll(
    on: &SitePolls,
    frame: &Frame,
    existing: Option<&PollState>,
    f: &Fields,
    rows: &[Row],
) -> Result<(Poll, OptionsEdit), String> {
    let bad = |vi: &'static str, en: &'static str| frame.t(vi, en).to_owned();
    let id = match existing {
        Some(s) => s.poll.id.clone(),
        None => PollId::parse(f.get("id").unwrap_or("").trim()).map_err(|_| {
            bad(
                "Mã câu hỏi chỉ gồm chữ thường không dấu, số và dấu gạch ngang (tối đa 64).",
                "The poll id takes lowercase letters, digits and dashes (at most 64).",
            )
        })?,
    };
    let (before, votes) =
        existing.map_or((&[][..], &[][..]), |s| (&s.poll.options[..], &s.votes[..]));
    let edit = edit_options(before, votes, rows).map_err(|e| match (frame.lang, e) {
        (Lang::Vi, RowsError::DuplicateLabel(label)) => {
            format!("Phương án «{label}» xuất hiện hai lần; mỗi phương án phải khác nhau.")
        }
        (Lang::En, RowsError::DuplicateLabel(label)) => {
            format!("The option “{label}” appears twice; each option must differ.")
        }
        (_, RowsError::TooMany) => bad(
            "Một câu hỏi có tối đa 20 phương án.",
            "A poll has at most 20 options.",
        ),
    })?;
    let time = |name: &str| -> Result<Option<jiff::Timestamp>, String> {
        match f.get(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => parse_local(v, &on.tz)
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
                    "Số phương án được chọn tối đa phải là số nguyên.",
                    "The most options a voter may choose must be a whole number.",
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
        options: edit.options.clone(),
        max_choices,
        opens_at: time("opens_at")?,
        closes_at: time("closes_at")?,
        results,
        challenge: CHALLENGES
            .iter()
            .find(|(_, code)| Some(*code) == f.get("challenge"))
            .map(|(m, _)| *m)
            .or(existing.map(|s| s.poll.challenge))
            .unwrap_or_default(),
        archived_at: existing.and_then(|s| s.poll.archived_at),
        draft: saves_draft(existing, f),
    };
    let poll = Poll::new(spec).map_err(|e| poll_error_words(frame, &e))?;
    Ok((poll, edit))
}

/// Creates (`id` none) or replaces a poll from its form; a row button
/// comes back with the rows moved, nothing saved.
pub(super) async fn save(editor: &Editor, on: &SitePolls, id: Option<&str>, f: &Fields) -> Answer {
    let frame = &editor.frame;
    let existing = match id {
        Some(_) => Some(on.state(id).await?),
        None => None,
    };
    let mut values = FormValues::typed(f);
    if let Some(action) = f.get("row")
        && f.get("save").is_none()
        && values.move_rows(action)
    {
        let page = form_page(on, frame, existing.as_ref(), &values, StatusCode::OK);
        return Ok(page);
    }
    let (poll, edit) = match read_poll(on, frame, existing.as_ref(), f, &values.rows) {
        Ok(read) => read,
        Err(why) => {
            values.error = Some(why);
            let page = form_page(
                on,
                frame,
                existing.as_ref(),
                &values,
                StatusCode::BAD_REQUEST,
            );
            return Ok(page);
        }
    };
    if existing.is_none() && on.voting().state(&poll.id, None).await?.is_some() {
        values.error = Some(
            frame
                .t(
                    "Đã có câu hỏi với mã này; hãy chọn mã khác hoặc sửa câu hỏi đó.",
                    "A poll with this id exists; choose another id or edit that poll.",
                )
                .to_owned(),
        );
        let page = form_page(on, frame, None, &values, StatusCode::CONFLICT);
        return Ok(page);
    }
    let confirmed = f.get("confirm") == Some(edit.confirmation().as_str());
    if edit.needs_confirmation() && !confirmed {
        return Ok(confirm_page(on, frame, existing.as_ref(), values, &edit));
    }
    let put = match on.editing.put(&editor.who, &poll, confirmed).await {
        // A poll with ballots stays published: the form comes back, as
        // typed, saying so.
        Err(EditError::DraftWithBallots) | Ok(PutPoll::DraftWithBallots) => {
            values.error = Some(ApiError::PublishedWithBallots.message(frame.lang));
            let status = StatusCode::CONFLICT;
            return Ok(form_page(on, frame, existing.as_ref(), &values, status));
        }
        put => put?,
    };
    match put {
        PutPoll::Conflict(_) => {
            // Ballots reached an option this edit removes since the form
            // was shown: the edit is shown again with their numbers.
            let Some(existing) = existing else {
                return Err(super::Failure::NOT_FOUND);
            };
            let fresh = on.voting().state(&existing.poll.id, None).await?;
            let fresh = fresh.ok_or(super::Failure::NOT_FOUND)?;
            match read_poll(on, frame, Some(&fresh), f, &values.rows) {
                Ok((_, edit)) => Ok(confirm_page(on, frame, Some(&fresh), values, &edit)),
                Err(why) => {
                    values.error = Some(why);
                    let status = StatusCode::CONFLICT;
                    Ok(form_page(on, frame, Some(&fresh), &values, status))
                }
            }
        }
        _ => {
            tracing::info!(who = %editor.who, site = %on.site, poll = %poll.id, draft = poll.draft, "console: poll saved");
            let done = match (poll.draft, f.get("save")) {
                (true, _) => "?done=drafted",
                (false, Some("publish")) => "?done=published",
                _ => "",
            };
            Ok(see_other(&poll_link(frame, &poll.id, done)))
        }
    }
}

/// The form again, with the changes that touch ballots to confirm.
fn confirm_page(
    on: &SitePolls,
    frame: &Frame,
    existing: Option<&PollState>,
    mut values: FormValues,
    edit: &OptionsEdit,
) -> crate::edge::respond::Response {
    values.confirm = Some((edit.changes.clone(), edit.reordered, edit.confirmation()));
    form_page(on, frame, existing, &values, StatusCode::OK)
}
