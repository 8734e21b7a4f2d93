//! The console's sign-in page and its dashboard: the counter's figures now
//! and its visits over the last 30 days.

use std::sync::Arc;

use http::StatusCode;

use maud::{Markup, html};

use super::history::visits_chart;
use super::layout::{Frame, html_response, on_site};
use super::resume::Kept;
use super::{Answer, Console, Editor};
use crate::roles::Need;

/// The sign-in form, with what went wrong last time.
/// The sign-in form; `kept`, a poll's form sent after the session ended,
/// rides along to be shown again once signed in.
pub(super) fn sign_in_page(frame: &Frame, error: Option<&str>, kept: Option<&Kept>) -> Markup {
    let title = frame.t("Đăng nhập trang quản trị", "Sign in to the console");
    let body = html! {
        h1 { (title) }
        @if let Some(error) = error { p role="alert" { (error) } }
        form method="post" action=(frame.link("/admin/sign-in")) {
            label for="token" { (frame.t("Mã quản trị", "Admin token")) }
            input #token name="token" type="password" required autocomplete="current-password" aria-describedby="token-hint";
            p.hint #token-hint { (frame.t(
                "Mã do bộ phận kỹ thuật cấp (TALLY_ADMIN_TOKEN). Phiên đăng nhập kết thúc sau 8 giờ không dùng, hoặc sau 12 giờ.",
                "The token operations gave you (TALLY_ADMIN_TOKEN). A session ends after 8 hours unused, or after 12 hours."
            )) }
            @if let Some(kept) = kept { (kept.fields()) }
            div.actions { button type="submit" { (frame.t("Đăng nhập", "Sign in")) } }
        }
    };
    frame.page(title, false, body)
}

/// The counter's figures now, and where to go next.
pub(super) async fn dashboard(console: &Console, editor: &Editor) -> Answer {
    let frame = &editor.frame;
    // An editor whose role is on one site sees that site's figures.
    let primary = editor.reaches_primary(console);
    let counter = match (&editor.site, primary) {
        (Some(site), false) => console
            .counters
            .get(site)
            .unwrap_or_else(|| Arc::clone(&console.counter)),
        _ => Arc::clone(&console.counter),
    };
    let view = counter.view(None).await;
    let today = console.history.today();
    let from = today.days_before(29);
    let days: Vec<_> = from
        .through(today)
        .zip(counter.visits_by_day(from, today).await?)
        .collect();
    let t = &view.totals;
    let n = |v: u64| frame.lang.number(v);
    let title = frame.t("Tổng quan", "Dashboard");
    let figures = [
        (frame.t("Hôm nay", "Today"), t.today),
        (frame.t("Hôm qua", "Yesterday"), t.yesterday),
        (frame.t("Tuần này", "This week"), t.this_week),
        (frame.t("Tuần trước", "Last week"), view.previous.last_week),
        (frame.t("Tháng này", "This month"), t.this_month),
        (
            frame.t("Tháng trước", "Last month"),
            view.previous.last_month,
        ),
        (frame.t("Tổng số lượt truy cập", "Total visits"), t.total),
        (frame.t("Đang trực tuyến", "Online now"), t.online),
    ];
    let body = html! {
        h1 { (title) }
        h2 { (frame.t("Lượt truy cập", "Visits")) }
        @if view.stale {
            p role="alert" { (frame.t("Kho dữ liệu đang không trả lời: số liệu có thể chưa mới nhất.", "The store is not answering: figures may be behind.")) }
        }
        ul.figures {
            @for (label, value) in figures { li { (label) strong { (n(value)) } } }
        }
        p { a href=(frame.link("/admin/")) { (frame.t("Cập nhật số liệu", "Refresh the figures")) } }
        h2 { (frame.t("30 ngày qua", "The last 30 days")) }
        (visits_chart(frame, frame.t("Lượt truy cập mỗi ngày, 30 ngày qua", "Visits per day, last 30 days"), "month-sum", &days, frame.t("Lượt truy cập", "Visits")))
        h2 { (frame.t("Đi tới", "Go to")) }
        @if let (Some(site), false) = (&editor.site, primary) {
            ul {
                li { a href=(frame.link(&on_site("/admin/console/polls", Some(site)))) { (frame.t("Các cuộc bình chọn", "Polls")) } }
                li { a href=(frame.link(&on_site("/admin/console/audit", Some(site)))) { (frame.t("Nhật ký thay đổi", "Audit log")) } }
                li { a href=(frame.link("/admin/console/sites")) { (frame.t("Các trang thông tin", "Sites")) } }
            }
        } @else {
        ul {
            li { a href=(frame.link("/admin/console/polls")) { (frame.t("Các cuộc bình chọn", "Polls")) } }
            @if frame.may(Need::EditPolls) {
                li { a href=(frame.link("/admin/console/new-poll")) { (frame.t("Tạo câu hỏi mới", "New poll")) } }
            }
            li { a href=(frame.link("/admin/console/history")) { (frame.t("Lượt truy cập theo ngày, tháng", "Visits per day and month")) } }
            li { a href=(frame.link("/admin/console/audit")) { (frame.t("Nhật ký thay đổi", "Audit log")) } }
            @if console.counters.sites().configured() {
                li { a href=(frame.link("/admin/console/sites")) { (frame.t("Các trang thông tin", "Sites")) } }
            }
        }
        }
    };
    Ok(html_response(StatusCode::OK, frame.page(title, true, body)))
}
