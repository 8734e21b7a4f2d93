//! The audit log of a site (the one `?site=` names, the primary site when
//! none) as an editor reads it: each change in words — what was done, to
//! which poll (linked), and what it changed, before → after (labels
//! renamed, options added or removed with their ballots, dates moved, the
//! baseline set, days imported) — filtered by editor, poll and date, and
//! as a spreadsheet of what the filters keep.

use std::collections::BTreeSet;

use http::StatusCode;
use jiff::tz::TimeZone;
use maud::html;

use super::changes::{action_words, changes, target_words};
use super::layout::{Frame, html_response};
use super::site_polls::{SitePolls, picker};
use super::words::when;
use super::{Answer, Console, Editor};
use crate::audit::AuditEntry;
use crate::calendar::Day;
use crate::edge::respond::query_param;
use crate::ops::export::{Cell, Form, Sheet};
use crate::polls_file::POLLS_FILE;

/// How many of the newest entries the filters look through.
const LOOKED_THROUGH: usize = 2_000;
/// How many rows the page shows (the spreadsheet has them all).
const SHOWN: usize = 200;

/// What the filters ask for, as typed.
#[derive(Default)]
struct Filters {
    who: String,
    poll: String,
    from: String,
    to: String,
}

impl Filters {
    fn read(query: Option<&str>) -> Self {
        let get = |name| query_param(query, name).unwrap_or_default();
        Self {
            who: get("who"),
            poll: get("poll"),
            from: get("from"),
            to: get("to"),
        }
    }

    fn keeps(&self, e: &AuditEntry, tz: &TimeZone) -> bool {
        let day = Day::new(e.at.to_zoned_datetime(tz.clone()).date());
        let after = |typed: &str, ok: fn(Day, Day) -> bool| {
            typed
                .parse::<Day>()
                .map_or(true, |bound: Day| ok(day, bound))
        };
        (self.who.is_empty() || e.who == self.who)
            && (self.poll.is_empty() || e.target == self.poll)
            && after(&self.from, |d, b| d >= b)
            && after(&self.to, |d, b| d <= b)
    }

    /// The filters as a query, for the spreadsheet links.
    fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("who", &self.who)
            .append_pair("poll", &self.poll)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .finish()
    }
}

pub(super) async fn audit(
    console: &Console,
    editor: &Editor,
    on: &SitePolls,
    query: Option<&str>,
) -> Answer {
    let frame = &editor.frame;
    let tz = &on.tz;
    let filters = Filters::read(query);
    let all = on.editing.audit.recent(LOOKED_THROUGH).await?;
    let sites = console.counters.sites();
    let site_name = sites
        .get(&on.site)
        .filter(|_| sites.configured())
        .map(|def| def.name.clone());
    let whos: BTreeSet<&str> = all.iter().map(|e| e.who.as_str()).collect();
    let polls: BTreeSet<&str> = all
        .iter()
        .filter(|e| e.action.about_poll())
        .map(|e| e.target.as_str())
        .collect();
    let kept: Vec<&AuditEntry> = all.iter().filter(|e| filters.keeps(e, tz)).collect();
    let title = frame.t("Nhật ký thay đổi", "Audit log");
    if let Some(asked) = query_param(query, "sheet") {
        let form = Form::for_people(frame.lang, asked == "xlsx");
        let sheet = Sheet {
            name: frame.t("nhat-ky-thay-doi", "audit-log").to_owned(),
            about: vec![match &site_name {
                Some(name) => format!("{title} — {name}"),
                None => title.to_owned(),
            }],
            header: [
                frame.t("Lúc", "When"),
                frame.t("Người", "Who"),
                frame.t("Việc", "Action"),
                frame.t("Câu hỏi", "Poll"),
                frame.t("Thay đổi", "Changes"),
            ]
            .map(str::to_owned)
            .to_vec(),
            rows: kept
                .iter()
                .map(|e| {
                    vec![
                        Cell::Text(when(e.at, tz)),
                        Cell::Text(who_words(frame, &e.who).to_owned()),
                        Cell::Text(action_words(frame, e.action).to_owned()),
                        Cell::Text(target_words(frame, e).unwrap_or_else(|| e.target.clone())),
                        Cell::Text(changes(frame, tz, e).join("; ")),
                    ]
                })
                .collect(),
        };
        let mut response = sheet.response(form);
        super::layout::secure(&mut response);
        return Ok(response);
    }
    let sheets = filters.query();
    let body = html! {
        h1 { (title) @if let Some(name) = &site_name { " — " (name) } }
        (picker(console, editor, on, "/admin/console/audit", ("Xem nhật ký", "Show its log")))
        form.filters method="get" action=(frame.link("/admin/console/audit")) {
            @if let Some(lang) = frame.asked { input type="hidden" name="lang" value=(lang.code()); }
            @if let Some(site) = &frame.site { input type="hidden" name="site" value=(site); }
            label for="who" { (frame.t("Người", "Who")) }
            select #who name="who" {
                option value="" { (frame.t("Tất cả", "Everyone")) }
                @for w in &whos { option value=(w) selected[filters.who == *w] { (who_words(frame, w)) } }
            }
            label for="poll" { (frame.t("Câu hỏi", "Poll")) }
            select #poll name="poll" {
                option value="" { (frame.t("Tất cả", "All")) }
                @for p in &polls { option value=(p) selected[filters.poll == *p] { (p) } }
            }
            label for="from" { (frame.t("Từ ngày", "From")) }
            input #from type="date" name="from" value=(filters.from);
            label for="to" { (frame.t("Đến ngày", "To")) }
            input #to type="date" name="to" value=(filters.to);
            div.actions { button type="submit" { (frame.t("Lọc", "Filter")) } }
        }
        @if kept.is_empty() {
            p { (frame.t("Không có thay đổi nào.", "No changes.")) }
        } @else {
            p {
                (frame.t("Tải về:", "Download:")) " "
                a href=(frame.site_link(&format!("/admin/console/audit?{sheets}&sheet=csv"))) { "CSV" } " · "
                a href=(frame.site_link(&format!("/admin/console/audit?{sheets}&sheet=xlsx"))) { "Excel (.xlsx)" }
            }
            div.table-wrap { table {
                caption { (format!(
                    "{} {} {} {}",
                    frame.lang.number(kept.len() as u64),
                    frame.t("thay đổi, mới nhất trước; trang này hiện", "changes, newest first; this page shows"),
                    frame.lang.number(kept.len().min(SHOWN) as u64),
                    frame.t("thay đổi đầu", "of them"),
                )) }
                thead { tr {
                    th scope="col" { (frame.t("Lúc", "When")) }
                    th scope="col" { (frame.t("Người", "Who")) }
                    th scope="col" { (frame.t("Việc", "Action")) }
                    th scope="col" { (frame.t("Câu hỏi", "Poll")) }
                    th scope="col" { (frame.t("Thay đổi", "Changes")) }
                } }
                tbody { @for e in kept.iter().take(SHOWN) { tr {
                    td { (when(e.at, tz)) }
                    td { (who_words(frame, &e.who)) }
                    td { (action_words(frame, e.action)) }
                    th scope="row" {
                        @if e.action.about_poll() {
                            a href=(poll_page(frame, &e.target)) {
                                (target_words(frame, e).unwrap_or_else(|| e.target.clone()))
                            }
                        } @else {
                            (target_words(frame, e).unwrap_or_else(|| e.target.clone()))
                        }
                    }
                    td { @for line in changes(frame, tz, e) { (line) br; } }
                } } }
            } }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}

/// Who made a change, in words: an editor by their token's name; the polls
/// file, which is not a person, named in the page's language.
fn who_words<'a>(frame: &Frame, who: &'a str) -> &'a str {
    if who == POLLS_FILE {
        frame.t(
            "tệp câu hỏi (TALLY_POLLS_FILE)",
            "the polls file (TALLY_POLLS_FILE)",
        )
    } else {
        who
    }
}

/// The console's page of the poll an entry names: `<poll>` is the log's
/// own site's; `<site>/<poll>`, as the primary site's log named another
/// site's polls before each site kept its own, that site's.
fn poll_page(frame: &Frame, target: &str) -> String {
    match target.split_once('/') {
        Some((site, poll)) => frame.link(&format!("/admin/console/polls/{poll}?site={site}")),
        None => frame.site_link(&format!("/admin/console/polls/{target}")),
    }
}
