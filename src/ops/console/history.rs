//! The counter's history in the console: visits per day over a span the
//! editor picks (the last 30 days unless asked), compared with the span
//! before it, with its most-read pages compared likewise and a page's own
//! views per day; the last 365 days and the months as charts with their
//! tables; spreadsheet downloads.

use http::StatusCode;
use maud::{Markup, html};

use super::chart;
use super::layout::{Frame, html_response};
use super::range::{Span, USUAL_DAYS};
use super::{Answer, Console, Editor};
use crate::calendar::Day;
use crate::edge::respond::query_param;
use crate::ids::PageId;
use crate::ops::export::Form;
use crate::ops::sheets::{self, Reader};

/// `31/12/2026`.
fn date(day: Day) -> String {
    day.date().strftime("%d/%m/%Y").to_string()
}

/// `12/2026`.
fn month(m: crate::calendar::Month) -> String {
    m.first_day().date().strftime("%m/%Y").to_string()
}

/// Views or visits per day as a column chart, summed up in a sentence
/// (`id`, which describes the chart to screen readers), with its table.
pub(super) fn visits_chart(
    frame: &Frame,
    title: &str,
    id: &str,
    days: &[(Day, u64)],
    counted: &str,
) -> Markup {
    let points: Vec<(String, u64)> = days
        .iter()
        .map(|(d, v)| (d.date().strftime("%d/%m").to_string(), *v))
        .collect();
    let rows: Vec<Vec<String>> = days
        .iter()
        .map(|(d, v)| vec![date(*d), frame.lang.number(*v)])
        .collect();
    let heads = [frame.t("Ngày", "Day"), counted];
    let n = |v: u64| frame.lang.number(v);
    let total: u64 = days.iter().map(|(_, v)| *v).sum();
    // The first of the highest days.
    let most = days.iter().rev().max_by_key(|(_, v)| *v);
    html! {
        p.chart-sum #(id) {
            (frame.t("Tổng", "In all")) " " strong { (n(total)) } " "
            (frame.t("trong", "over")) " " (n(days.len() as u64)) " " (frame.t("ngày", "days"))
            @if let Some((day, v)) = most.filter(|(_, v)| *v > 0) {
                "; " (frame.t("cao nhất", "the most")) " " (n(*v)) " "
                (frame.t("ngày", "on")) " " (date(*day))
            }
            "."
        }
        (chart::with_table(
            chart::described_columns(title, Some(id), &points, n),
            frame.t("Xem bảng số liệu", "Show the numbers"),
            chart::table(title, &heads, &rows),
        ))
    }
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

pub(super) async fn history(console: &Console, editor: &Editor, query: Option<&str>) -> Answer {
    let frame = &editor.frame;
    let h = &console.history;
    let today = h.today();
    let typed = |name| query_param(query, name).unwrap_or_default();
    let (from, to, page) = (typed("from"), typed("to"), typed("page"));
    let (span, wrong) = match Span::pick(Some(from.as_str()), Some(to.as_str()), today) {
        Ok(span) => (span, None),
        Err(wrong) => (Span::last(today, USUAL_DAYS), Some(wrong.words())),
    };
    let wrong_page = !page.is_empty() && PageId::parse(&page).is_err();
    let year = h.visits_per_day(today.days_before(364), today).await?;
    let months = h
        .visits_per_month(today.days_before(364).month(), today.month())
        .await?;
    let month_points: Vec<(String, u64)> = months.iter().map(|(m, v)| (month(*m), *v)).collect();
    let month_rows: Vec<Vec<String>> = months
        .iter()
        .map(|(m, v)| vec![month(*m), frame.lang.number(*v)])
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
    ] {
        tops.push((
            caption,
            h.top_pages_over(today.days_before(days), today, 10).await?,
        ));
    }
    let picked = super::picked::section(console, frame, span, page.as_str()).await?;
    let title = frame.t("Lượt truy cập", "Visits");
    let body = html! {
        h1 { (title) }
        @if let Some((vi, en)) = wrong { p.error role="alert" { (frame.t(vi, en)) } }
        @if wrong_page { p.error role="alert" { (frame.t("Địa chỉ trang không hợp lệ.", "That page address is not valid.")) } }
        form.range method="get" action="/admin/console/history" {
            @if let Some(lang) = frame.asked { input type="hidden" name="lang" value=(lang.code()); }
            div.range-fields {
                div {
                    label for="from" { (frame.t("Từ ngày", "From")) }
                    input #from type="date" name="from" max=(today.to_string())
                        value=(if wrong.is_some() { from.clone() } else { span.from.to_string() });
                }
                div {
                    label for="to" { (frame.t("Đến ngày", "To")) }
                    input #to type="date" name="to" max=(today.to_string())
                        value=(if wrong.is_some() { to.clone() } else { span.to.to_string() });
                }
                @if !page.is_empty() && !wrong_page { input type="hidden" name="page" value=(page); }
                div.actions { button type="submit" { (frame.t("Xem", "Show")) } }
            }
            p.hint { (frame.t("Tối đa 366 ngày; so sánh với cùng số ngày ngay trước đó.", "At most 366 days; compared with as many days just before.")) }
        }
        (picked)
        h2 { (frame.t("365 ngày qua", "The last 365 days")) }
        (visits_chart(frame, frame.t("Lượt truy cập mỗi ngày, 365 ngày qua", "Visits per day, last 365 days"), "year-sum", &year, frame.t("Lượt truy cập", "Visits")))
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
    let status = if wrong.is_some() || wrong_page {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(html_response(status, frame.page(title, true, body)))
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
