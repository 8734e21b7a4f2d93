//! The console's sign-in page, its dashboard (the counter's figures now),
//! and the counter's history, audit log and import pages.

use http::StatusCode;
use maud::{Markup, html};

use super::layout::{Frame, html_response};
use super::{Answer, Console, Editor, Fields};

/// The sign-in form, with what went wrong last time.
pub(super) fn sign_in_page(frame: &Frame, error: Option<&str>) -> Markup {
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
            div.actions { button type="submit" { (frame.t("Đăng nhập", "Sign in")) } }
        }
    };
    frame.page(title, false, body)
}

/// The counter's figures now, and where to go next.
pub(super) async fn dashboard(console: &Console, editor: &Editor) -> Answer {
    let frame = &editor.frame;
    let view = console.counter.view(None).await;
    let t = &view.totals;
    let n = |v: u64| frame.lang.number(v);
    let title = frame.t("Tổng quan", "Dashboard");
    let figures = [
        (frame.t("Hôm nay", "Today"), t.today),
        (frame.t("Hôm qua", "Yesterday"), t.yesterday),
        (frame.t("Tuần này", "This week"), t.this_week),
        (frame.t("Tháng này", "This month"), t.this_month),
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
        h2 { (frame.t("Đi tới", "Go to")) }
        ul {
            li { a href=(frame.link("/admin/console/polls")) { (frame.t("Các cuộc bình chọn", "Polls")) } }
            li { a href=(frame.link("/admin/console/new-poll")) { (frame.t("Tạo câu hỏi mới", "New poll")) } }
            li { a href=(frame.link("/admin/console/history")) { (frame.t("Lượt truy cập theo ngày, tháng", "Visits per day and month")) } }
            li { a href=(frame.link("/admin/console/audit")) { (frame.t("Nhật ký thay đổi", "Audit log")) } }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}

fn coming(frame: &Frame, title: &str) -> Answer {
    let body = html! {
        h1 { (title) }
        p { (frame.t("Trang này sẽ có khi phần lưu trữ lịch sử được hoàn thành.", "This page comes with the history storage.")) }
    };
    Ok(html_response(
        StatusCode::OK,
        frame.page(title, false, body),
    ))
}

// TODO(console): visits per day (30, 365 days), per month and top pages,
// from the history service once it lands on main.
pub(super) async fn history(_console: &Console, editor: &Editor) -> Answer {
    coming(&editor.frame, editor.frame.t("Lượt truy cập", "Visits"))
}

// TODO(console): the audit log, once it lands on main.
pub(super) async fn audit(_console: &Console, editor: &Editor) -> Answer {
    coming(
        &editor.frame,
        editor.frame.t("Nhật ký thay đổi", "Audit log"),
    )
}

// TODO(console): importing the previous counter's history, once it lands.
pub(super) async fn import(_console: &Console, editor: &Editor, _form: Option<Fields>) -> Answer {
    coming(&editor.frame, editor.frame.t("Nhập dữ liệu", "Import"))
}
