//! The counter's history in the console: visits per day over 30 and 365
//! days and per month as charts with their tables, the most-read pages,
//! CSV downloads; the audit log; and the import of a previous counter's
//! daily history (CSV `date,visits`, pasted).

use http::StatusCode;
use maud::{Markup, html};

use super::chart;
use super::layout::{Frame, html_response};
use super::words::when;
use super::{Answer, Console, Editor, Failure, Fields};
use crate::calendar::Day;
use crate::history::HistoryError;
use crate::ops::export::Form;
use crate::ops::sheets::{self, Reader};

/// Visits per day as a column chart, with its table.
pub(super) fn visits_chart(frame: &Frame, title: &str, days: &[(Day, u64)]) -> Markup {
    let points: Vec<(String, u64)> = days
        .iter()
        .map(|(d, v)| (d.date().strftime("%d/%m").to_string(), *v))
        .collect();
    let rows: Vec<Vec<String>> = days
        .iter()
        .map(|(d, v)| vec![d.to_string(), frame.lang.number(*v)])
        .collect();
    let heads = [frame.t("Ngày", "Day"), frame.t("Lượt truy cập", "Visits")];
    chart::with_table(
        chart::columns(title, &points, |n| frame.lang.number(n)),
        frame.t("Xem bảng số liệu", "Show the numbers"),
        chart::table(title, &heads, &rows),
    )
}

fn pages_table(frame: &Frame, caption: &str, pages: &[(crate::ids::PageId, u64)]) -> Markup {
    let rows: Vec<Vec<String>> = pages
        .iter()
        .map(|(p, v)| vec![p.as_str().to_owned(), frame.lang.number(*v)])
        .collect();
    html! {
        @if rows.is_empty() { p { (caption) ": " (frame.t("chưa có số liệu.", "no figures yet.")) } }
        @else { div.table-wrap { (chart::table(caption, &[frame.t("Trang", "Page"), frame.t("Lượt xem", "Views")], &rows)) } }
    }
}

pub(super) async fn history(console: &Console, editor: &Editor) -> Answer {
    let frame = &editor.frame;
    let h = &console.history;
    let today = h.today();
    let year = h.visits_per_day(today.days_before(364), today).await?;
    let month = &year[year.len().saturating_sub(30)..];
    let months = h
        .visits_per_month(today.days_before(364).month(), today.month())
        .await?;
    let month_points: Vec<(String, u64)> =
        months.iter().map(|(m, v)| (m.to_string(), *v)).collect();
    let month_rows: Vec<Vec<String>> = months
        .iter()
        .map(|(m, v)| vec![m.to_string(), frame.lang.number(*v)])
        .collect();
    let per_month = frame.t("Lượt truy cập mỗi tháng", "Visits per month");
    let mut tops = Vec::new();
    for (days, caption) in [
        (
            0,
            frame.t("Trang được xem nhiều nhất hôm nay", "Most-read pages today"),
        ),
        (
            6,
            frame.t(
                "Trang được xem nhiều nhất 7 ngày qua",
                "Most-read pages, last 7 days",
            ),
        ),
        (
            29,
            frame.t(
                "Trang được xem nhiều nhất 30 ngày qua",
                "Most-read pages, last 30 days",
            ),
        ),
    ] {
        tops.push((
            caption,
            h.top_pages_over(today.days_before(days), today, 10).await?,
        ));
    }
    let title = frame.t("Lượt truy cập", "Visits");
    let body = html! {
        h1 { (title) }
        h2 { (frame.t("30 ngày qua", "The last 30 days")) }
        (visits_chart(frame, frame.t("Lượt truy cập mỗi ngày, 30 ngày qua", "Visits per day, last 30 days"), month))
        h2 { (frame.t("365 ngày qua", "The last 365 days")) }
        (visits_chart(frame, frame.t("Lượt truy cập mỗi ngày, 365 ngày qua", "Visits per day, last 365 days"), &year))
        h2 { (per_month) }
        (chart::with_table(
            chart::columns(per_month, &month_points, |n| frame.lang.number(n)),
            frame.t("Xem bảng số liệu", "Show the numbers"),
            chart::table(per_month, &[frame.t("Tháng", "Month"), frame.t("Lượt truy cập", "Visits")], &month_rows),
        ))
        h2 { (frame.t("Trang được xem nhiều nhất", "Most-read pages")) }
        @for (caption, pages) in &tops { (pages_table(frame, caption, pages)) }
        h2 { (frame.t("Tải xuống", "Downloads")) }
        ul {
            li {
                (frame.t("Lượt truy cập mỗi ngày, 365 ngày: ", "Visits per day, 365 days: "))
                a href=(frame.link("/admin/console/history/days.xlsx")) download { "Excel" } " · "
                a href=(frame.link("/admin/console/history/days.csv")) download { "CSV" }
            }
            li {
                (frame.t("Lượt truy cập mỗi tháng: ", "Visits per month: "))
                a href=(frame.link("/admin/console/history/months.xlsx")) download { "Excel" } " · "
                a href=(frame.link("/admin/console/history/months.csv")) download { "CSV" }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}

/// Visits per day (365 days) or per month, as a spreadsheet for the editor.
pub(super) async fn history_sheet(
    console: &Console,
    editor: &Editor,
    months: bool,
    xlsx: bool,
) -> Answer {
    let h = &console.history;
    let today = h.today();
    let reader = Reader::Person(editor.frame.lang);
    let sheet = if months {
        let from = today.days_before(364).month();
        sheets::months(&h.visits_per_month(from, today.month()).await?, reader)
    } else {
        let from = today.days_before(364);
        sheets::days(&h.visits_per_day(from, today).await?, from, today, reader)
    };
    let mut response = sheet.response(Form::for_people(editor.frame.lang, xlsx));
    super::layout::secure(&mut response);
    Ok(response)
}

pub(super) async fn audit(console: &Console, editor: &Editor) -> Answer {
    let frame = &editor.frame;
    let entries = console.editing.audit.recent(200).await?;
    let title = frame.t("Nhật ký thay đổi", "Audit log");
    let body = html! {
        h1 { (title) }
        @if entries.is_empty() {
            p { (frame.t("Chưa có thay đổi nào.", "No changes yet.")) }
        } @else {
            div.table-wrap { table {
                caption { (frame.t("200 thay đổi gần nhất, mới nhất trước", "The 200 latest changes, newest first")) }
                thead { tr {
                    th scope="col" { (frame.t("Lúc", "When")) }
                    th scope="col" { (frame.t("Người", "Who")) }
                    th scope="col" { (frame.t("Việc", "Action")) }
                    th scope="col" { (frame.t("Đối tượng", "Target")) }
                } }
                tbody { @for e in &entries { tr {
                    td { (when(e.at, &console.tz)) }
                    td { (e.who) }
                    td { (e.action.as_str()) }
                    th scope="row" { (e.target) }
                } } }
            } }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}

pub(super) async fn import(console: &Console, editor: &Editor, form: Option<Fields>) -> Answer {
    let frame = &editor.frame;
    let title = frame.t("Nhập lịch sử truy cập", "Import visit history");
    let notice = match &form {
        None => None,
        Some(f) => {
            let csv = f.get("csv").unwrap_or("");
            let imported = console
                .history
                .import_visits(&editor.who, csv.as_bytes(), &console.editing.audit)
                .await
                .map_err(|e| match e {
                    HistoryError::Import(e) => {
                        let (vi, en) = e.words();
                        let why = match frame.lang {
                            super::words::Lang::Vi => vi,
                            super::words::Lang::En => en,
                        };
                        Failure::Invalid(format!(
                            "{}: {why}",
                            frame.t("Không nhập được", "Not imported")
                        ))
                    }
                    other => Failure::from(other),
                })?;
            Some(format!(
                "{} {} · {} {} · {} {}",
                frame.t("Số ngày:", "Days:"),
                imported.days,
                frame.t("ngày thay đổi:", "days changed:"),
                imported.changed,
                frame.t("tổng số thay đổi:", "total changed by:"),
                imported.added,
            ))
        }
    };
    let body = html! {
        h1 { (title) }
        @if let Some(notice) = notice { p.notice role="status" { (frame.t("Đã nhập.", "Imported.")) " " (notice) } }
        p { (frame.t(
            "Dán lịch sử của bộ đếm cũ, mỗi dòng một ngày: ngày (YYYY-MM-DD), dấu phẩy, số lượt truy cập. Nhập lại cùng dữ liệu không làm thay đổi gì.",
            "Paste the previous counter's history, one day a line: the date (YYYY-MM-DD), a comma, the visits. Importing the same data again changes nothing."
        )) }
        form method="post" action=(frame.link("/admin/console/import")) {
            (frame.csrf_field())
            label for="csv" { (frame.t("Dữ liệu CSV (date,visits)", "CSV data (date,visits)")) }
            textarea #csv name="csv" required placeholder="2019-01-01,20154" {}
            div.actions { button type="submit" { (frame.t("Nhập", "Import")) } }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}
