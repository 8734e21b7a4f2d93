//! The console's list of a site's polls, a page at a time: drafts, open,
//! scheduled, closed, then archived, each group headed with how many polls
//! it holds, each poll with its id, ballots, dates, results visibility and
//! a link to its embed code; "Trang trước" / "Trang sau" to the pages
//! around it, and, for an editor who reaches several sites, a picker of
//! the site.

use http::StatusCode;
use maud::{Markup, html};

use super::layout::{Frame, html_response};
use super::polls::{poll_link, visibility_words, window};
use super::site_polls::{SitePolls, picker};
use super::{Answer, Console, Editor, Failure};
use crate::edge::paging::paging;
use crate::roles::Need;
use crate::store::PollState;
use crate::voting::{Listed, Order, Paging};

/// A page of the polls (`?offset=`, `?limit=` as the API takes them).
pub(super) async fn list(
    console: &Console,
    editor: &Editor,
    on: &SitePolls,
    query: Option<&str>,
) -> Answer {
    let frame = &editor.frame;
    let paging = paging(query).map_err(|_| {
        Failure::Worded(
            "Địa chỉ trang không hợp lệ: offset là số từ 0 trở lên, limit từ 1 đến 200.",
            "The page's address is not valid: offset is a number from 0, limit from 1 to 200.",
        )
    })?;
    let now = on.voting().now();
    let listed = on.voting().list(Order::Console, paging, None).await?;
    // In the order of `Order::Console`'s groups.
    let groups = [
        frame.t("Nháp", "Drafts"),
        frame.t("Đang mở", "Open"),
        frame.t("Sắp mở", "Scheduled"),
        frame.t("Đã đóng", "Closed"),
        frame.t("Đã lưu trữ", "Archived"),
    ];
    let title = frame.t("Các cuộc bình chọn", "Polls");
    let sites = console.counters.sites();
    let site_name = sites
        .get(&on.site)
        .filter(|_| sites.configured())
        .map(|def| def.name.as_str());
    let body = html! {
        h1 { (title) @if let Some(name) = site_name { " — " (name) } }
        (picker(console, editor, on, "/admin/console/polls", ("Xem bình chọn", "Show its polls")))
        @if frame.may(Need::EditPolls) {
            p { a.button href=(frame.site_link("/admin/console/new-poll")) { (frame.t("Tạo câu hỏi mới", "New poll")) } }
        }
        @for (group, heading) in groups.iter().enumerate() {
            @let polls: Vec<&PollState> = listed.items.iter()
                .filter(|s| Order::Console.group(&s.poll, now) == Some(group))
                .collect();
            @let held = listed.groups.get(group).copied().unwrap_or(0);
            section {
                h2 { (heading) " (" (frame.lang.number(held as u64)) ")" }
                @if held == 0 {
                    p { (frame.t("Không có.", "None.")) }
                } @else if polls.is_empty() {
                    p { (frame.t("Ở các trang khác.", "On other pages.")) }
                } @else {
                    (table(on, frame, heading, &polls))
                }
            }
        }
        (pager(frame, &listed))
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}

fn table(on: &SitePolls, frame: &Frame, heading: &str, polls: &[&PollState]) -> Markup {
    html! {
        div.table-wrap { table {
            caption { (heading) }
            thead { tr {
                th scope="col" { (frame.t("Câu hỏi", "Question")) }
                th scope="col" { (frame.t("Mã", "Id")) }
                th scope="col" { (frame.t("Phiếu", "Votes")) }
                th scope="col" { (frame.t("Thời gian", "When")) }
                th scope="col" { (frame.t("Kết quả", "Results")) }
                th scope="col" { (frame.t("Mã nhúng", "Embed code")) }
            } }
            tbody { @for s in polls { tr {
                th scope="row" { a href=(poll_link(frame, &s.poll.id, "")) { (s.poll.question) } }
                td { code { (s.poll.id) } }
                td { (frame.lang.number(s.votes.iter().sum())) }
                td { (window(&on.tz, frame, &s.poll)) }
                td { (visibility_words(frame, s.poll.results)) }
                td { a href=(format!("{}#embed", poll_link(frame, &s.poll.id, ""))) { (frame.t("Lấy mã", "Get it")) } }
            } } }
        } }
    }
}

/// Where the page sits in the list, and the links to its neighbours.
fn pager(frame: &Frame, listed: &Listed<PollState>) -> Markup {
    let link = |paging: Paging| {
        frame.site_link(&format!(
            "/admin/console/polls?offset={}&limit={}",
            paging.offset(),
            paging.limit()
        ))
    };
    let number = |n: usize| frame.lang.number(n as u64);
    html! {
        @if listed.previous().is_some() || listed.next().is_some() {
            nav aria-label=(frame.t("Các trang", "Pages")) {
                p {
                    @if let Some((first, last)) = listed.range() {
                        (frame.t("Câu hỏi", "Polls")) " " (number(first)) "–" (number(last))
                        " " (frame.t("trong", "of")) " " (number(listed.total)) ". "
                    } @else {
                        (frame.t("Trang này không có câu hỏi nào.", "This page holds no polls.")) " "
                    }
                    @if let Some(previous) = listed.previous() {
                        a href=(link(previous)) rel="prev" { "← " (frame.t("Trang trước", "Previous page")) }
                        @if listed.next().is_some() { " · " }
                    }
                    @if let Some(next) = listed.next() {
                        a href=(link(next)) rel="next" { (frame.t("Trang sau", "Next page")) " →" }
                    }
                }
            }
        }
    }
}
