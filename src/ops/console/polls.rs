//! The console's poll pages (the list is in [`super::list`]): one poll
//! with its live results (kept current by the console's script), and the
//! buttons that publish a draft, close, reopen, archive or delete it (the
//! last two after a page that states the ballots' fate).

use http::StatusCode;
use jiff::tz::TimeZone;
use maud::{Markup, html};

use super::chart;
use super::layout::{Frame, html_response, see_other};
use super::site_polls::SitePolls;
use super::words::{parse_local, when};
use super::{Answer, Console, Editor, Failure, Fields, Page};
use crate::challenge::ChallengeMode;
use crate::ids::PollId;
use crate::ops::export::Form;
use crate::ops::sheets::{self, Reader};
use crate::poll::{Poll, PollStatus, Results, Visibility};
use crate::roles::Need;

/// A page of poll `id`, on the page's site.
pub(super) fn poll_link(frame: &Frame, id: &PollId, rest: &str) -> String {
    frame.site_link(&format!("/admin/console/polls/{id}{rest}"))
}

/// Where a poll stands: a draft, else its status.
fn status_words(frame: &Frame, poll: &Poll, status: PollStatus) -> &'static str {
    if poll.draft {
        return frame.t("Nháp", "Draft");
    }
    match status {
        PollStatus::NotYetOpen => frame.t("Sắp mở", "Scheduled"),
        PollStatus::Open => frame.t("Đang mở", "Open"),
        PollStatus::Closed => frame.t("Đã đóng", "Closed"),
    }
}

pub(super) fn challenge_words(frame: &Frame, m: ChallengeMode) -> &'static str {
    match m {
        ChallengeMode::Off => frame.t("Không dùng", "Off"),
        ChallengeMode::Auto => frame.t("Tự động (khuyên dùng)", "Automatic (recommended)"),
        ChallengeMode::On => frame.t("Luôn bật", "Always on"),
    }
}

pub(super) fn visibility_words(frame: &Frame, v: Visibility) -> &'static str {
    match v {
        Visibility::Always => frame.t("Luôn công khai", "Always public"),
        Visibility::AfterVote => frame.t("Sau khi bình chọn", "After voting"),
        Visibility::AfterClose => frame.t("Sau khi kết thúc", "After closing"),
        Visibility::Never => frame.t("Chỉ ban biên tập", "Editors only"),
    }
}

/// When a poll opens and closes, in the site's zone.
pub(super) fn window(tz: &TimeZone, frame: &Frame, poll: &Poll) -> Markup {
    html! {
        @if let Some(at) = poll.opens_at { (frame.t("Mở", "Opens")) " " (when(at, tz)) br; }
        @if let Some(at) = poll.closes_at { (frame.t("Đóng", "Closes")) " " (when(at, tz)) }
        @if poll.opens_at.is_none() && poll.closes_at.is_none() { "—" }
    }
}

/// One poll: its definition, actions, and live results (kept current
/// every 5 s by the console's script, or by the reload link).
/// The notice for what the page before did (`?done=…`).
fn notice(frame: &Frame, done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "closed" => frame.t(
            "Đã đóng bình chọn. Ngày giờ đã hẹn được giữ lại cho lần mở lại.",
            "The poll is closed. Its planned dates are kept for when it reopens.",
        ),
        "reopened" => frame.t("Đã mở lại bình chọn.", "The poll is open again."),
        "opened" => frame.t("Đã mở bình chọn ngay.", "The poll is open now."),
        "archived" => frame.t("Đã lưu trữ câu hỏi.", "The poll is archived."),
        "saved" => frame.t("Đã lưu câu hỏi.", "The poll is saved."),
        "drafted" => frame.t(
            "Đã lưu nháp. Câu hỏi chưa công khai cho đến khi được xuất bản.",
            "Saved as a draft. The poll is not public until it is published.",
        ),
        "published" => frame.t(
            "Đã xuất bản. Câu hỏi được công khai và mở, đóng theo thời gian đã đặt.",
            "Published. The poll is public and opens and closes at its times.",
        ),
        _ => return None,
    })
}

pub(super) async fn detail(
    console: &Console,
    editor: &Editor,
    on: &SitePolls,
    id: Option<&str>,
    done: Option<&str>,
) -> Answer {
    let frame = &editor.frame;
    let s = on.state(id).await?;
    let now = on.voting().now();
    let poll = &s.poll;
    let status = poll.status(now);
    let results = Results::new(poll, &s.votes);
    let n = |v: u64| frame.lang.number(v);
    let points: Vec<(String, u64, String)> = results
        .options
        .iter()
        .map(|o| {
            let words = format!(
                "{} {} ({:.1}%)",
                n(o.votes),
                frame.t("phiếu", "votes"),
                o.percent
            );
            (o.label.clone(), o.votes, words)
        })
        .collect();
    let rows: Vec<Vec<String>> = results
        .options
        .iter()
        .map(|o| vec![o.label.clone(), n(o.votes), format!("{:.1}%", o.percent)])
        .collect();
    let results_title = frame.t("Kết quả", "Results");
    let today = console.history.today();
    let per_day = console
        .history
        .ballots_per_day_of(&on.site, poll, Some(today.days_before(29)), Some(today))
        .await?;
    let body = html! {
        @if let Some(notice) = notice(frame, done) {
            p.notice role="status" { (notice) }
        }
        h1 { (poll.question) }
        dl {
            dt { (frame.t("Mã câu hỏi", "Poll id")) } dd { code { (poll.id) } }
            dt { (frame.t("Chọn tối đa", "Max choices")) } dd { (poll.max_choices) }
            dt { (frame.t("Công bố kết quả", "Results shown")) } dd { (visibility_words(frame, poll.results)) }
            dt { (frame.t("Chống gửi phiếu tự động", "Protection against scripted ballots")) } dd { (challenge_words(frame, poll.challenge)) }
            dt { (frame.t("Múi giờ", "Time zone")) } dd { (on.voting().zone_name()) }
        }
        (actions(frame, poll, status))
        h2 { (results_title) }
        p {
            label #live-toggle hidden { input type="checkbox" checked; " " (frame.t("Tự động cập nhật mỗi 5 giây", "Update every 5 seconds")) }
            " " a href=(poll_link(frame, &poll.id, "")) { (frame.t("Tải lại", "Reload")) }
        }
        div #live aria-live="polite" {
            p { span.status { (status_words(frame, poll, status)) } " " (window(&on.tz, frame, poll)) }
            p { (frame.t("Tổng số phiếu", "Total votes")) ": " strong { (n(results.total_votes)) }
                " · " (frame.t("Số người bình chọn", "Voters")) ": " strong { (n(s.voters)) } }
            (chart::with_table(
                chart::bars(results_title, &points),
                frame.t("Xem bảng số liệu", "Show the numbers"),
                chart::table(results_title, &[frame.t("Phương án", "Option"), frame.t("Phiếu", "Votes"), "%"], &rows),
            ))
        }
        p {
            a href=(poll_link(frame, &poll.id, "/results.xlsx")) download { (frame.t("Tải kết quả (Excel)", "Download the results (Excel)")) }
            " · "
            a href=(poll_link(frame, &poll.id, "/results.csv")) download { (frame.t("Tải kết quả (CSV)", "Download the results (CSV)")) }
        }
        (super::embed::section(frame, console.public_url.as_deref(), poll))
        h2 { (frame.t("Phiếu mỗi ngày, 30 ngày qua", "Ballots per day, last 30 days")) }
        @for (i, option) in poll.options.iter().enumerate() {
            @let points: Vec<(String, u64)> = per_day.iter().map(|d| (d.day.date().strftime("%d/%m").to_string(), d.votes.get(i).copied().unwrap_or(0))).collect();
            @let rows: Vec<Vec<String>> = per_day.iter().map(|d| vec![d.day.to_string(), n(d.votes.get(i).copied().unwrap_or(0))]).collect();
            @let caption = format!("{}: {}", frame.t("Phiếu mỗi ngày cho", "Ballots per day for"), option.label);
            h3 { (option.label) }
            (chart::with_table(
                chart::columns(&caption, &points, n),
                frame.t("Xem bảng số liệu", "Show the numbers"),
                chart::table(&caption, &[frame.t("Ngày", "Day"), frame.t("Phiếu", "Votes")], &rows),
            ))
        }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(&poll.question, true, body),
    ))
}

fn button_form(frame: &Frame, action: String, label: &str, class: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            (frame.csrf_field())
            button.(class) type="submit" { (label) }
        }
    }
}

/// A poll's buttons, for a role that may change polls (the routes they
/// lead to refuse any other).
fn actions(frame: &Frame, poll: &Poll, status: PollStatus) -> Markup {
    if !frame.may(Need::EditPolls) {
        return html! {};
    }
    html! {
        div.actions {
            a.button.secondary href=(poll_link(frame, &poll.id, "/edit")) { (frame.t("Sửa", "Edit")) }
            (super::starts::duplicate_link(frame, poll))
            @if poll.draft {
                (button_form(frame, poll_link(frame, &poll.id, "/publish"), frame.t("Xuất bản", "Publish"), "primary"))
                a.button.secondary href=(poll_link(frame, &poll.id, "/delete")) { (frame.t("Xoá…", "Delete…")) }
            } @else {
                (published_actions(frame, poll, status))
            }
        }
    }
}

/// The actions of a published poll, as its status allows.
fn published_actions(frame: &Frame, poll: &Poll, status: PollStatus) -> Markup {
    html! {
        @match status {
            PollStatus::NotYetOpen => {
                (button_form(frame, poll_link(frame, &poll.id, "/open"), frame.t("Mở ngay", "Open now"), "secondary"))
                (button_form(frame, poll_link(frame, &poll.id, "/close"), frame.t("Hoãn", "Postpone"), "secondary"))
            }
            PollStatus::Open => {
                (button_form(frame, poll_link(frame, &poll.id, "/close"), frame.t("Đóng bình chọn", "Close the poll"), "secondary"))
            }
            PollStatus::Closed => {
                (button_form(frame, poll_link(frame, &poll.id, "/reopen"), frame.t("Mở lại", "Reopen"), "secondary"))
            }
        }
        a.button.secondary href=(poll_link(frame, &poll.id, "/archive")) { (frame.t("Lưu trữ…", "Archive…")) }
        a.button.secondary href=(poll_link(frame, &poll.id, "/delete")) { (frame.t("Xoá…", "Delete…")) }
    }
}

/// The page before archiving or deleting: what happens to the ballots.
pub(super) async fn confirm(
    editor: &Editor,
    on: &SitePolls,
    page: Page,
    id: Option<&str>,
) -> Answer {
    let frame = &editor.frame;
    let s = on.state(id).await?;
    let votes: u64 = s.votes.iter().sum();
    let n = frame.lang.number(votes);
    let (title, fate, button, path) = if page == Page::DeletePoll {
        (
            frame.t("Xoá câu hỏi", "Delete the poll"),
            match frame.lang {
                super::words::Lang::Vi => {
                    format!("Xoá vĩnh viễn câu hỏi và {n} phiếu bầu. Không thể hoàn tác.")
                }
                super::words::Lang::En => {
                    format!("Deletes the poll and its {n} ballots for good. This cannot be undone.")
                }
            },
            frame.t("Xoá vĩnh viễn", "Delete for good"),
            "/delete",
        )
    } else {
        (
            frame.t("Lưu trữ câu hỏi", "Archive the poll"),
            match frame.lang {
                super::words::Lang::Vi => format!(
                    "Câu hỏi sẽ đóng và được lưu trữ cùng {n} phiếu bầu; kết quả vẫn xem được trong mục lưu trữ."
                ),
                super::words::Lang::En => format!(
                    "The poll closes and is archived with its {n} ballots; its results stay readable in the archive."
                ),
            },
            frame.t("Lưu trữ", "Archive"),
            "/archive",
        )
    };
    let body = html! {
        h1 { (title) }
        p { strong { (s.poll.question) } }
        p role="alert" { (fate) }
        div.actions {
            form method="post" action=(poll_link(frame, &s.poll.id, path)) {
                (frame.csrf_field())
                input type="hidden" name="confirm" value="yes";
                button.danger type="submit" { (button) }
            }
            a.button.secondary href=(poll_link(frame, &s.poll.id, "")) { (frame.t("Huỷ", "Cancel")) }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}

/// Closes, reopens, archives or deletes a poll, then shows where it went.
pub(super) async fn act(
    editor: &Editor,
    on: &SitePolls,
    page: Page,
    id: Option<&str>,
    fields: &Fields,
) -> Answer {
    let frame = &editor.frame;
    let s = on.state(id).await?;
    let editing = &on.editing;
    let poll_id = s.poll.id.clone();
    let who = editor.who.as_str();
    match page {
        Page::ClosePoll => {
            editing.close(who, &poll_id).await?;
        }
        Page::OpenPoll => {
            editing.open_now(who, &poll_id).await?;
        }
        Page::PublishPoll => {
            editing.publish(who, &poll_id).await?;
        }
        Page::ReopenPoll => {
            let closes_at = match fields.get("closes_at").filter(|v| !v.trim().is_empty()) {
                Some(text) => Some(parse_local(text, &on.tz).ok_or_else(|| {
                    let why = frame.t(
                        "Thời gian đóng không hợp lệ.",
                        "The closing time is not valid.",
                    );
                    Failure::Invalid(why.into())
                })?),
                None => None,
            };
            editing.reopen(who, &poll_id, closes_at).await?;
        }
        Page::ArchivePoll | Page::DeletePoll => {
            if fields.get("confirm") != Some("yes") {
                return Err(Failure::Invalid(
                    frame.t("Chưa xác nhận.", "Not confirmed.").into(),
                ));
            }
            if page == Page::DeletePoll {
                editing.delete(who, &poll_id).await?;
                tracing::info!(who, site = %on.site, poll = %poll_id, "console: poll deleted");
                return Ok(see_other(&frame.site_link("/admin/console/polls")));
            }
            editing.archive(who, &poll_id).await?;
        }
        _ => return Err(Failure::NOT_FOUND),
    }
    tracing::info!(who = %editor.who, site = %on.site, poll = %poll_id, action = ?page, "console: poll changed");
    let done = match page {
        Page::ClosePoll => "closed",
        Page::ReopenPoll => "reopened",
        Page::OpenPoll => "opened",
        Page::PublishPoll => "published",
        _ => "archived",
    };
    Ok(see_other(&poll_link(
        frame,
        &poll_id,
        &format!("?done={done}"),
    )))
}

/// A poll's results as a spreadsheet for the editor (`.xlsx`, or CSV in the
/// console's language's dialect): one row per option, by its label, the
/// question and the totals above.
pub(super) async fn results_sheet(
    editor: &Editor,
    on: &SitePolls,
    id: Option<&str>,
    xlsx: bool,
) -> Answer {
    let s = on.state(id).await?;
    let lang = editor.frame.lang;
    let at = when(on.voting().now(), &on.tz);
    let reader = Reader::Person(lang);
    let sheet = sheets::results(&s.poll, &s.votes, s.voters, &at, reader);
    let mut response = sheet.response(Form::for_people(lang, xlsx));
    super::layout::secure(&mut response);
    Ok(response)
}
