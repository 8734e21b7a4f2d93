//! The counter's history in the console: visits per day over 30 and 365
//! days and per month as charts with their tables, the most-read pages,
//! CSV downloads; the audit log; and the import of a previous counter's
//! daily history (CSV `date,visits`, pasted).

use http::StatusCode;
use maud::{Markup, html};

use super::chart;
use super::layout::{Frame, html_response};
use super::{Answer, Console, Editor, Failure, Fields};
use crate::calendar::Day;
use crate::config::MAX_BASELINE;
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

pub(super) async fn import(console: &Console, editor: &Editor, form: Option<Fields>) -> Answer {
    let frame = &editor.frame;
    let title = frame.t("Bộ đếm cũ", "The previous counter");
    // What was sent, kept in the form when it is refused.
    let (mut csv, mut baseline_typed) = (String::new(), String::new());
    let (mut notice, mut refusal) = (None, None);
    if let Some(f) = &form {
        if let Some(typed) = f.get("baseline") {
            baseline_typed = typed.to_owned();
            match parse_baseline(typed) {
                Some(baseline) => {
                    console.editing.set_baseline(&editor.who, baseline).await?;
                    notice = Some(format!(
                        "{} {}.",
                        frame.t(
                            "Đã đặt số lượt truy cập trước khi dùng tally:",
                            "The visits counted before tally are now"
                        ),
                        frame.lang.number(baseline)
                    ));
                    baseline_typed.clear();
                }
                None => {
                    refusal = Some(format!(
                        "{} {}.",
                        frame.t(
                            "Số lượt truy cập ban đầu phải là một số nguyên từ 0 đến",
                            "The starting visits must be a whole number from 0 to"
                        ),
                        frame.lang.number(MAX_BASELINE)
                    ));
                }
            }
        } else {
            csv = f.get("csv").unwrap_or("").to_owned();
            match console
                .history
                .import_visits(&editor.who, csv.as_bytes(), &console.editing.audit)
                .await
            {
                Ok(imported) => {
                    notice = Some(format!(
                        "{} {} {} · {} {} · {} {}",
                        frame.t("Đã nhập.", "Imported."),
                        frame.t("Số ngày:", "Days:"),
                        imported.days,
                        frame.t("ngày thay đổi:", "days changed:"),
                        imported.changed,
                        frame.t("tổng số thay đổi:", "total changed by:"),
                        imported.added,
                    ));
                    csv.clear();
                }
                Err(HistoryError::Import(e)) => {
                    let (vi, en) = e.words();
                    let why = match frame.lang {
                        super::words::Lang::Vi => vi,
                        super::words::Lang::En => en,
                    };
                    refusal = Some(format!(
                        "{}: {why}",
                        frame.t(
                            "Không nhập được, chưa có gì thay đổi",
                            "Not imported, nothing changed"
                        ),
                    ));
                }
                Err(other) => return Err(Failure::from(other)),
            }
        }
    }
    let status = if refusal.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let current = console.counter.stored_baseline().await?;
    let body = html! {
        h1 { (title) }
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        @if let Some(refusal) = refusal { p.error role="alert" { (refusal) } }
        h2 { (frame.t("Số lượt truy cập trước khi dùng tally", "Visits counted before tally")) }
        p { (frame.t(
            "Con số của bộ đếm cũ mà tổng số lượt truy cập cộng thêm. Hiện tại:",
            "The previous counter's figure that the total adds to. Now:",
        )) " " strong { (frame.lang.number(current)) } }
        form method="post" action=(frame.link("/admin/console/import")) {
            (frame.csrf_field())
            label for="baseline" { (frame.t("Số lượt truy cập ban đầu", "Starting visits")) }
            input #baseline name="baseline" inputmode="numeric" required value=(baseline_typed) placeholder="7582803";
            div.actions { button type="submit" { (frame.t("Đặt", "Set")) } }
        }
        h2 { (frame.t("Nhập lịch sử truy cập", "Import visit history")) }
        p { (frame.t(
            "Dán lịch sử của bộ đếm cũ, mỗi dòng một ngày: ngày (YYYY-MM-DD), dấu phẩy, số lượt truy cập. Nhập lại cùng dữ liệu không làm thay đổi gì.",
            "Paste the previous counter's history, one day a line: the date (YYYY-MM-DD), a comma, the visits. Importing the same data again changes nothing."
        )) }
        form method="post" action=(frame.link("/admin/console/import")) {
            (frame.csrf_field())
            label for="csv" { (frame.t("Dữ liệu CSV (date,visits)", "CSV data (date,visits)")) }
            textarea #csv name="csv" required placeholder="2019-01-01,20154" { (csv) }
            div.actions { button type="submit" { (frame.t("Nhập", "Import")) } }
        }
    };
    Ok(html_response(status, frame.page(title, false, body)))
}

/// A baseline as an editor types it: digits, grouped with dots, commas or
/// spaces as people write 7.582.803.
fn parse_baseline(typed: &str) -> Option<u64> {
    let digits: String = typed
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}'))
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n <= MAX_BASELINE)
}

#[cfg(test)]
mod tests {
    use super::parse_baseline;

    #[test]
    fn baselines_are_read_as_people_write_them() {
        for (typed, read) in [
            ("7582803", Some(7_582_803)),
            ("7.582.803", Some(7_582_803)),
            (" 7 582 803 ", Some(7_582_803)),
            ("7,582,803", Some(7_582_803)),
            ("0", Some(0)),
            ("1000000000000", Some(1_000_000_000_000)),
            ("1000000000001", None),
            ("", None),
            ("-5", None),
            ("7.5e6", None),
            ("99999999999999999999999", None),
        ] {
            assert_eq!(parse_baseline(typed), read, "{typed:?}");
        }
    }
}
