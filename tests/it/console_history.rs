//! The console's history and the previous counter's import, over HTTP on
//! every store: an import is previewed and writes nothing until confirmed,
//! then counts once however often confirmed; a file imports as a paste
//! does; a refused paste stays, explained; a picked span is compared with
//! the span before it; a page's own views per day; bad dates refused in
//! words in either language.

use std::sync::Arc;

use reqwest::StatusCode;
use tally::clock::ManualClock;

use crate::support::console::{Console, unescape};
use crate::support::{Backend, Home, TestApp, cookie};

const TOKEN: &str = "console-history-token-0123456789";
const IMPORT: &str = "/admin/console/import";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
}

async fn total(app: &TestApp) -> u64 {
    app.settled_counter(None).await["total"].as_u64().unwrap()
}

/// The value of the hidden `csv` field of the preview's confirm form.
fn confirmed_data(page: &str) -> String {
    let at = page.find(r#"name="csv" value=""#).expect("a confirm form") + 18;
    let raw = &page[at..at + page[at..].find('"').unwrap()];
    unescape(raw)
}

/// The text of `page` from `from` to the next `to`.
fn between<'p>(page: &'p str, from: &str, to: &str) -> &'p str {
    let at = page
        .find(from)
        .unwrap_or_else(|| panic!("{from} in {page}"));
    let rest = &page[at..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

const HISTORY: &str = "Ngày;Lượt truy cập\n01/03/2024;1.200\n2024-03-02;1300\n2024-03-03;\"2.500\"\n2024-03-04;7\n2024-03-05;0\n2024-03-06;10\n2024-03-07;3\n";
const HISTORY_TOTAL: u64 = 1_200 + 1_300 + 2_500 + 7 + 10 + 3;

async fn a_preview_writes_nothing_until_confirmed(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    let before = total(&app).await;
    let (status, page) = editor.send(IMPORT, &[("csv", HISTORY)]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let preview = between(&page, r#"id="preview""#, "</section>");
    for shown in [
        "Xem trước: chưa có gì được ghi",
        "<dd>7</dd>",
        "<dd>01/03/2024</dd>",
        "<dd>07/03/2024</dd>",
        "<dd>5.020</dd>",
        "<th scope=\"row\">02/03/2024</th><td>1.300</td>",
        "… 1 ngày nữa",
        "Xác nhận nhập",
    ] {
        assert!(preview.contains(shown), "{shown} in {preview}");
    }
    assert_eq!(HISTORY_TOTAL, 5_020);
    // Nothing is written by a preview: not the total, not the history, not the audit log.
    assert_eq!(total(&app).await, before);
    let (_, audit) = editor.page("/admin/console/audit").await;
    assert!(!audit.contains("Nhập lịch sử"), "{audit}");
    let (_, days) = editor
        .page("/admin/console/history?from=2024-03-01&to=2024-03-07")
        .await;
    let span = between(&days, r#"id="span-sum""#, "</p>");
    assert!(span.contains("Tổng <strong>0</strong>"), "{span}");
    // Confirmed, it is written once, however often confirmed.
    let data = confirmed_data(&page);
    assert_eq!(data.replace("\r\n", "\n"), HISTORY);
    let (status, done) = editor
        .send(IMPORT, &[("csv", data.as_str()), ("confirm", "1")])
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("Đã nhập. Số ngày: 7"), "{done}");
    assert_eq!(total(&app).await, before + HISTORY_TOTAL);
    let (status, again) = editor
        .send(IMPORT, &[("csv", data.as_str()), ("confirm", "1")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains("ngày thay đổi: 0"), "{again}");
    assert_eq!(total(&app).await, before + HISTORY_TOTAL);
    let (_, days) = editor
        .page("/admin/console/history?from=2024-03-01&to=2024-03-07")
        .await;
    let span = between(&days, r#"id="span-sum""#, "</p>");
    assert!(span.contains("Tổng <strong>5.020</strong>"), "{span}");
    app.stop().await;
}

async fn a_file_imports_as_a_paste_does(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    let before = total(&app).await;
    let tsv = HISTORY.replace(';', "\t").replace("\n", "\r\n");
    let (status, page) = editor.upload(IMPORT, "bo-dem-cu.tsv", tsv.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<dd>5.020</dd>"), "{page}");
    assert_eq!(total(&app).await, before, "a preview writes nothing");
    let data = confirmed_data(&page);
    let (status, done) = editor
        .send(IMPORT, &[("csv", data.as_str()), ("confirm", "1")])
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("Đã nhập. Số ngày: 7"), "{done}");
    assert_eq!(total(&app).await, before + HISTORY_TOTAL);
    // The paste of the same days changes nothing more: they are the same.
    let (_, pasted) = editor
        .send(IMPORT, &[("csv", HISTORY), ("confirm", "1")])
        .await;
    assert!(pasted.contains("ngày thay đổi: 0"), "{pasted}");
    assert_eq!(total(&app).await, before + HISTORY_TOTAL);
    // A file that is not text is refused in words, and nothing changes.
    let (status, refused) = editor
        .upload(IMPORT, "anh.png", &[0x89, 0x50, 0xff, 0xfe])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused.contains("tệp không phải văn bản UTF-8"),
        "{refused}"
    );
    assert_eq!(total(&app).await, before + HISTORY_TOTAL);
    app.stop().await;
}

async fn a_refused_paste_is_kept_and_explained(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    let before = total(&app).await;
    let bad = "2024-03-01,100\n2024-03-01,200\n";
    for confirm in [None, Some(("confirm", "1"))] {
        let mut form = vec![("csv", bad)];
        form.extend(confirm);
        let (status, page) = editor.send(IMPORT, &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            page.contains(
                "Không nhập được, chưa có gì thay đổi: dòng 2: ngày này có hai lần trong tệp"
            ),
            "{page}"
        );
        assert!(
            page.contains(">2024-03-01,100\n2024-03-01,200\n</textarea>"),
            "{page}"
        );
        assert!(
            !page.contains("Xác nhận nhập"),
            "no confirm for a refused paste"
        );
    }
    assert_eq!(total(&app).await, before);
    // The page says every form it takes.
    let (_, form) = editor.page(IMPORT).await;
    for format in [
        "dấu chấm phẩy (;)",
        "tab",
        "01/03/2024",
        "7.582",
        "tiêu đề",
        r#"type="file""#,
        r#"enctype="multipart/form-data""#,
    ] {
        assert!(form.contains(format), "{format}");
    }
    app.stop().await;
}

async fn a_span_is_compared_with_the_one_before(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    // 1–10 November: 100 a day; 22–31 October: 80 a day; 21 October, just
    // before both, 5000 (in neither).
    let mut csv = String::from("2026-10-21,5000\n");
    for d in 22..=31 {
        csv.push_str(&format!("2026-10-{d},80\n"));
    }
    for d in 1..=10 {
        csv.push_str(&format!("2026-11-{d:02},100\n"));
    }
    let (status, done) = editor
        .send(IMPORT, &[("csv", csv.as_str()), ("confirm", "1")])
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    for (lang, words) in [
        ("", ["1.000", "800", "+25,0%", "Kỳ trước"]),
        ("&lang=en", ["1,000", "800", "+25.0%", "The span before"]),
    ] {
        let (status, page) = editor
            .page(&format!(
                "/admin/console/history?from=2026-11-01&to=2026-11-10{lang}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        let compared = between(&page, r#"class="compare""#, "</dl>");
        for w in words {
            assert!(compared.contains(w), "{w} in {compared}");
        }
        assert!(compared.contains("22/10/2026–31/10/2026"), "{compared}");
        assert!(page.contains(r#"value="2026-11-01""#) && page.contains(r#"value="2026-11-10""#));
    }
    app.stop().await;
}

async fn a_pages_history_shows_its_days(backend: Backend) {
    let home = Home::open(backend).await;
    let start = "2026-11-25T12:00:00+07:00".parse().unwrap();
    let app = TestApp::start_at(&home, Arc::new(ManualClock::new(start)), settings).await;
    let page = "/tin-tuc/bai-1";
    for (day, readers) in [(25, 2), (26, 3), (27, 1)] {
        app.clock
            .set(format!("2026-11-{day}T12:00:00+07:00").parse().unwrap());
        for _ in 0..readers {
            let visitor = cookie();
            app.hit_json(Some(&visitor), Some(page)).await;
            app.hit_json(Some(&visitor), Some("/tin-tuc/khac")).await;
        }
        app.flushed().await;
    }
    let editor = Console::signed_in(&app, TOKEN).await;
    let (status, history) = editor
        .page("/admin/console/history?from=2026-11-25&to=2026-11-27")
        .await;
    assert_eq!(status, StatusCode::OK);
    // The most-read pages of the span link to their own history.
    let link =
        "/admin/console/history?from=2026-11-25&amp;to=2026-11-27&amp;page=%2Ftin-tuc%2Fbai-1";
    assert!(history.contains(link), "{history}");
    let (status, own) = editor.page(&link.replace("&amp;", "&")).await;
    assert_eq!(status, StatusCode::OK);
    let days = between(&own, r#"id="page-history""#, "</table>");
    for row in [
        "<th scope=\"row\">25/11/2026</th><td>2</td>",
        "<th scope=\"row\">26/11/2026</th><td>3</td>",
        "<th scope=\"row\">27/11/2026</th><td>1</td>",
    ] {
        assert!(days.contains(row), "{row} in {days}");
    }
    app.stop().await;
}

async fn bad_dates_are_refused_in_words(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    for (query, vi, en) in [
        (
            "from=hôm-qua&to=",
            "Ngày bắt đầu không hợp lệ",
            "The start date is not a date",
        ),
        (
            "from=2026-11-10&to=2026-11-01",
            "Ngày bắt đầu phải trước hoặc trùng ngày kết thúc.",
            "The start date must not be after the end date.",
        ),
        (
            "from=2025-01-01&to=2026-11-01",
            "Mỗi lần xem được tối đa 366 ngày.",
            "A span can be at most 366 days long.",
        ),
        (
            "from=2026-11-01&to=2030-01-01",
            "Ngày kết thúc không được sau hôm nay.",
            "The end date cannot be after today.",
        ),
    ] {
        let (status, page) = editor
            .page(&format!("/admin/console/history?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.contains(vi) && !page.contains(en), "{query}: {page}");
        let from = query.split('&').next().unwrap().trim_start_matches("from=");
        assert!(
            page.contains(&format!(r#"name="from" max="2026-11-27" value="{from}""#)),
            "kept as typed: {page}"
        );
        let (status, page) = editor
            .page(&format!("/admin/console/history?{query}&lang=en"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.contains(en) && !page.contains(vi), "{query}: {page}");
    }
    app.stop().await;
}

on_every_store!(
    a_preview_writes_nothing_until_confirmed,
    a_file_imports_as_a_paste_does,
    a_refused_paste_is_kept_and_explained,
    a_span_is_compared_with_the_one_before,
    a_pages_history_shows_its_days,
    bad_dates_are_refused_in_words,
);
