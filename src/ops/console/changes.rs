//! An audit entry in words, as the console's log and its spreadsheet say
//! it: what was done, to what, and what it changed, before → after.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;

use super::layout::Frame;
use super::polls::{challenge_words, visibility_words};
use super::words::when;
use crate::audit::{Action, AuditEntry};
use crate::poll::Poll;

/// What an action is called.
pub(super) fn action_words(frame: &Frame, action: Action) -> &'static str {
    match action {
        Action::CreatePoll => frame.t("Tạo câu hỏi", "Created the poll"),
        Action::SaveDraft => frame.t("Lưu nháp", "Saved as a draft"),
        Action::PublishPoll => frame.t("Xuất bản", "Published"),
        Action::ReplacePoll => frame.t("Sửa câu hỏi", "Edited the poll"),
        Action::ClosePoll => frame.t("Đóng", "Closed"),
        Action::ReopenPoll => frame.t("Mở lại", "Reopened"),
        Action::OpenPoll => frame.t("Mở ngay", "Opened now"),
        Action::ArchivePoll => frame.t("Lưu trữ", "Archived"),
        Action::DeletePoll => frame.t("Xoá câu hỏi", "Deleted the poll"),
        Action::SetBaseline => frame.t(
            "Đặt số lượt truy cập trước khi dùng tally",
            "Set the visits counted before tally",
        ),
        Action::ImportVisits => frame.t("Nhập lịch sử truy cập", "Imported visit history"),
        Action::ImportVisitsFailed => frame.t(
            "Nhập lịch sử truy cập không thành công",
            "Visit history not imported",
        ),
        Action::UpgradeStore => frame.t("Nâng cấp kho dữ liệu", "Upgraded the store"),
        Action::MergeSite => frame.t("Gộp trang thông tin", "Merged the site"),
        Action::UndoMerge => frame.t("Hoàn tác gộp trang", "Undid the merge of the site"),
        Action::ConfirmMerge => frame.t("Xác nhận gộp trang", "Confirmed the merge of the site"),
        Action::CreateSite => frame.t("Thêm trang thông tin", "Created the site"),
        Action::EditSite => frame.t("Sửa trang thông tin", "Edited the site"),
        Action::DeleteSite => frame.t("Xoá trang thông tin", "Deleted the site"),
    }
}

/// A poll as the entry kept it, with each option's ballots.
struct Kept {
    poll: Poll,
    votes: Value,
}

impl Kept {
    fn from(value: Option<&Value>) -> Option<Self> {
        let value = value?;
        Some(Self {
            poll: serde_json::from_value(value.get("poll")?.clone()).ok()?,
            votes: value.get("votes").cloned().unwrap_or(Value::Null),
        })
    }

    fn ballots(&self, option: &str) -> u64 {
        self.votes.get(option).and_then(Value::as_u64).unwrap_or(0)
    }
}

/// What the entry changed, a line each, in the page's language.
pub(super) fn changes(frame: &Frame, tz: &TimeZone, e: &AuditEntry) -> Vec<String> {
    let n = |v: u64| frame.lang.number(v);
    let signed = |v: i64| {
        let sign = if v < 0 { "−" } else { "+" };
        format!("{sign}{}", n(v.unsigned_abs()))
    };
    let ballots = |v: u64| {
        format!(
            "{} {}",
            n(v),
            frame.t("phiếu", if v == 1 { "ballot" } else { "ballots" })
        )
    };
    let moment = |t: Option<Timestamp>| {
        t.map_or_else(|| frame.t("không có", "none").to_owned(), |t| when(t, tz))
    };
    let after = e.after.as_ref();
    let field = |name: &str| after.and_then(|a| a.get(name)).and_then(Value::as_u64);
    match e.action {
        Action::SetBaseline => vec![format!("→ {}", n(field("baseline").unwrap_or(0)))],
        Action::UpgradeStore => {
            let schema = |v: Option<&Value>| {
                v.and_then(|v| v.get("schema"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
            };
            vec![format!(
                "{} {} → {}",
                frame.t("Phiên bản lược đồ:", "Schema version:"),
                schema(e.before.as_ref()),
                schema(after)
            )]
        }
        Action::ImportVisits => {
            let day = |name: &str| {
                after
                    .and_then(|a| a.get(name))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned()
            };
            vec![format!(
                "{} {} ({} {} {} {}) · {} {} · {} {}",
                n(field("days").unwrap_or(0)),
                frame.t("ngày", "days"),
                frame.t("từ", "from"),
                day("from"),
                frame.t("đến", "to"),
                day("to"),
                frame.t("ngày thay đổi:", "days changed:"),
                n(field("changed").unwrap_or(0)),
                frame.t("tổng số thay đổi:", "total changed by:"),
                signed(
                    after
                        .and_then(|a| a.get("added"))
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                ),
            )]
        }
        Action::ImportVisitsFailed => vec![format!(
            "{} {} · {}",
            n(field("days").unwrap_or(0)),
            frame.t("ngày", "days"),
            frame.t("không có gì thay đổi", "nothing changed"),
        )],
        Action::MergeSite | Action::UndoMerge | Action::ConfirmMerge => {
            let into = after.and_then(|a| a.get("into")).and_then(Value::as_str);
            vec![format!("{} → {}", e.target, into.unwrap_or("?"))]
        }
        Action::CreateSite | Action::EditSite => site_changes(e),
        Action::DeleteSite => vec![
            frame
                .t("dữ liệu được giữ 30 ngày", "its data kept 30 days")
                .to_owned(),
        ],
        _ => {
            let (before, after) = (Kept::from(e.before.as_ref()), Kept::from(e.after.as_ref()));
            match (before, after) {
                (None, Some(after)) => vec![format!(
                    "«{}» · {} {}{}",
                    after.poll.question,
                    n(after.poll.options.len() as u64),
                    frame.t("phương án", "options"),
                    match after.poll.draft {
                        true => frame.t(" · bản nháp", " · a draft"),
                        false => "",
                    }
                )],
                (Some(before), None) => {
                    let total: u64 = before
                        .poll
                        .options
                        .iter()
                        .map(|o| before.ballots(o.id.as_str()))
                        .sum();
                    vec![format!(
                        "«{}» · {} {}",
                        before.poll.question,
                        ballots(total),
                        frame.t("bị xoá cùng câu hỏi", "deleted with it")
                    )]
                }
                (Some(before), Some(after)) => {
                    poll_changes(frame, &before, &after, &ballots, &moment)
                }
                (None, None) => Vec::new(),
            }
        }
    }
}

/// What an edit, a close or a reopening changed in a poll.
fn poll_changes(
    frame: &Frame,
    before: &Kept,
    after: &Kept,
    ballots: &dyn Fn(u64) -> String,
    moment: &dyn Fn(Option<Timestamp>) -> String,
) -> Vec<String> {
    let (b, a) = (&before.poll, &after.poll);
    let mut lines = Vec::new();
    if b.draft != a.draft {
        let state = |draft: bool| match draft {
            true => frame.t("Nháp", "Draft"),
            false => frame.t("Đã xuất bản", "Published"),
        };
        lines.push(format!(
            "{} {} → {}",
            frame.t("Trạng thái:", "State:"),
            state(b.draft),
            state(a.draft)
        ));
    }
    if b.question != a.question {
        lines.push(format!(
            "{} «{}» → «{}»",
            frame.t("Câu hỏi:", "Question:"),
            b.question,
            a.question
        ));
    }
    for old in &b.options {
        let count = before.ballots(old.id.as_str());
        match a.options.iter().find(|o| o.id == old.id) {
            Some(new) if new.label != old.label => {
                lines.push(format!(
                    "{} «{}» → «{}» · {}",
                    frame.t("Đổi tên", "Renamed"),
                    old.label,
                    new.label,
                    ballots(count)
                ));
            }
            Some(_) => {}
            None => lines.push(format!(
                "{} «{}» · {}",
                frame.t("Bỏ phương án", "Removed the option"),
                old.label,
                ballots(count)
            )),
        }
    }
    for new in a
        .options
        .iter()
        .filter(|o| !b.options.iter().any(|old| old.id == o.id))
    {
        lines.push(format!(
            "{} «{}»",
            frame.t("Thêm phương án", "Added the option"),
            new.label
        ));
    }
    let kept_order = |p: &Poll, other: &Poll| -> Vec<String> {
        p.options
            .iter()
            .filter(|o| other.options.iter().any(|x| x.id == o.id))
            .map(|o| o.id.as_str().to_owned())
            .collect()
    };
    if kept_order(b, a) != kept_order(a, b) {
        lines.push(
            frame
                .t("Đổi thứ tự phương án", "Options reordered")
                .to_owned(),
        );
    }
    if b.max_choices != a.max_choices {
        lines.push(format!(
            "{} {} → {}",
            frame.t("Chọn tối đa:", "Choose up to:"),
            b.max_choices,
            a.max_choices
        ));
    }
    if b.opens_at != a.opens_at {
        lines.push(format!(
            "{} {} → {}",
            frame.t("Bắt đầu:", "Opens:"),
            moment(b.opens_at),
            moment(a.opens_at)
        ));
    }
    if b.closes_at != a.closes_at {
        lines.push(format!(
            "{} {} → {}",
            frame.t("Kết thúc:", "Closes:"),
            moment(b.closes_at),
            moment(a.closes_at)
        ));
    }
    if b.results != a.results {
        lines.push(format!(
            "{} {} → {}",
            frame.t("Kết quả:", "Results:"),
            visibility_words(frame, b.results),
            visibility_words(frame, a.results)
        ));
    }
    if b.challenge != a.challenge {
        lines.push(format!(
            "{} {} → {}",
            frame.t("Thử thách:", "Challenge:"),
            challenge_words(frame, b.challenge),
            challenge_words(frame, a.challenge)
        ));
    }
    lines
}

/// What an entry was about: a poll by its question, the counter, the
/// store, or a site merged.
pub(super) fn target_words(frame: &Frame, e: &AuditEntry) -> Option<String> {
    let kept = Kept::from(e.after.as_ref()).or_else(|| Kept::from(e.before.as_ref()));
    match kept {
        Some(k) => Some(k.poll.question),
        None if e.target == "counter" => Some(frame.t("Bộ đếm", "The counter").to_owned()),
        None if e.action == Action::UpgradeStore => {
            Some(frame.t("Kho dữ liệu", "The store").to_owned())
        }
        None if matches!(
            e.action,
            Action::MergeSite
                | Action::UndoMerge
                | Action::ConfirmMerge
                | Action::CreateSite
                | Action::EditSite
                | Action::DeleteSite
        ) =>
        {
            Some(format!(
                "{} {}",
                frame.t("Trang thông tin", "Site"),
                e.target
            ))
        }
        None => None,
    }
}

/// A site's definition as it changed: each field that differs, `before →
/// after` (a creation: each field it says).
fn site_changes(e: &AuditEntry) -> Vec<String> {
    let fields = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
    let (before, after) = (fields(e.before.as_ref()), fields(e.after.as_ref()));
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    let shown = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "—".to_owned(),
    };
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .map(|name| match e.before {
            Some(_) => format!(
                "{name}: {} → {}",
                shown(before.get(name)),
                shown(after.get(name))
            ),
            None => format!("{name}: {}", shown(after.get(name))),
        })
        .collect()
}
