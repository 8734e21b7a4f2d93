//! The history page's picked span: its visits per day compared with the
//! span before it (totals and change), its most-read pages compared
//! likewise, and, when one is asked for (`?page=`), a page's own views per
//! day over the span.

use std::collections::HashMap;

use maud::{Markup, html};

use super::Console;
use super::Failure;
use super::history::visits_chart;
use super::layout::Frame;
use super::range::{Span, change};
use crate::ids::PageId;

/// Most-read pages the span lists.
const TOP: usize = 10;

/// `01/11/2026–30/11/2026`.
fn span_words(span: Span) -> String {
    let d = |d: crate::calendar::Day| d.date().strftime("%d/%m/%Y").to_string();
    format!("{}–{}", d(span.from), d(span.to))
}

/// The history page's address for `span`, showing `page`'s own history.
fn page_link(frame: &Frame, span: Span, page: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &span.from.to_string())
        .append_pair("to", &span.to.to_string())
        .append_pair("page", page)
        .finish();
    frame.link(&format!("/admin/console/history?{query}"))
}

pub(super) async fn section(
    console: &Console,
    frame: &Frame,
    span: Span,
    page: &str,
) -> Result<Markup, Failure> {
    let h = &console.history;
    let before = span.before();
    let n = |v: u64| frame.lang.number(v);
    let days = h.visits_per_day(span.from, span.to).await?;
    let earlier = h.visits_per_day(before.from, before.to).await?;
    let total: u64 = days.iter().map(|(_, v)| *v).sum();
    let total_before: u64 = earlier.iter().map(|(_, v)| *v).sum();
    let tops = h.top_pages_over(span.from, span.to, TOP).await?;
    let tops_before: HashMap<PageId, u64> = h
        .top_pages_over(before.from, before.to, usize::MAX)
        .await?
        .into_iter()
        .collect();
    let kept_from = h.today().days_before(h.page_days().saturating_sub(1));
    let page = PageId::parse(page).ok();
    let own = match &page {
        Some(page) => Some(h.page_per_day(page, span.from, span.to).await?),
        None => None,
    };
    let title = format!(
        "{} {}",
        frame.t("Lượt truy cập mỗi ngày,", "Visits per day,"),
        span_words(span)
    );
    Ok(html! {
        h2 { (frame.t("Khoảng đã chọn", "The span picked")) ": " (span_words(span)) }
        dl.compare {
            dt { (frame.t("Lượt truy cập", "Visits")) } dd { strong { (n(total)) } }
            dt { (frame.t("Kỳ trước", "The span before")) } dd { (n(total_before)) " (" (span_words(before)) ")" }
            dt { (frame.t("Thay đổi", "Change")) } dd.change { (change(frame.lang, total, total_before)) }
        }
        (visits_chart(frame, &title, "span-sum", &days, frame.t("Lượt truy cập", "Visits")))
        h3 { (frame.t("Trang được xem nhiều nhất trong khoảng này", "Most-read pages in this span")) }
        @if span.from < kept_from || before.from < kept_from {
            p.hint { (frame.t("Các trang được xem nhiều nhất mỗi ngày chỉ được giữ", "Each day's most-read pages are kept for")) " "
                (n(u64::from(h.page_days()))) " " (frame.t("ngày gần nhất; những ngày trước đó không có số liệu trang.", "days; days before have no page figures.")) }
        }
        @if tops.is_empty() {
            p { (frame.t("Chưa có số liệu.", "No figures yet.")) }
        } @else {
            div.table-wrap {
                table {
                    caption { (frame.t("Trang được xem nhiều nhất", "Most-read pages")) " " (span_words(span)) }
                    thead { tr {
                        th scope="col" { (frame.t("Trang", "Page")) }
                        th scope="col" { (frame.t("Lượt xem", "Views")) }
                        th scope="col" { (frame.t("Kỳ trước", "The span before")) }
                        th scope="col" { (frame.t("Thay đổi", "Change")) }
                    } }
                    tbody {
                        @for (p, views) in &tops {
                            @let then = tops_before.get(p).copied().unwrap_or(0);
                            tr {
                                th scope="row" { a href=(page_link(frame, span, p.as_str())) { (p.as_str()) } }
                                td { (n(*views)) }
                                td { (n(then)) }
                                td { (change(frame.lang, *views, then)) }
                            }
                        }
                    }
                }
            }
        }
        @if let (Some(page), Some(own)) = (&page, &own) {
            h3 #page-history { (frame.t("Lượt xem mỗi ngày của trang", "Views per day of the page")) " " code { (page.as_str()) } }
            p.hint { (frame.t(
                "Sau mỗi ngày chỉ giữ các trang được xem nhiều nhất của ngày đó; ngày trang không nằm trong số đó ghi 0.",
                "After each day only its most-read pages are kept; a day the page was not among them shows 0.",
            )) }
            (visits_chart(frame, &format!("{} {}, {}", frame.t("Lượt xem mỗi ngày của trang", "Views per day of the page"), page.as_str(), span_words(span)), "page-sum", own, frame.t("Lượt xem", "Views")))
        }
    })
}
