//! The editors' console over HTTP, against every store: signing in and out,
//! the session cookie's attributes, wrong tokens refused (throttled as
//! `sign_in.rs` checks), forms refused without their CSRF token or from
//! elsewhere (changing nothing), sessions that expire, polls made and
//! changed through forms, and the security policy on every page.

use reqwest::{StatusCode, header};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::console::{Console, browser, unescape};
use crate::support::{Backend, Home, TestApp};

const TOKEN: &str = "console-test-token-0123456789";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// The value of the hidden field `name` in `page`, unescaped.
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let key = format!(r#"name="{name}" value=""#);
    let at = page.find(&key).unwrap_or_else(|| panic!("no field {name}")) + key.len();
    unescape(&page[at..at + page[at..].find('"').unwrap()])
}

async fn poll_json(app: &TestApp, id: &str) -> Option<Value> {
    let r = app
        .http
        .get(app.url(&format!("/v1/polls/{id}")))
        .send()
        .await
        .unwrap();
    (r.status() == StatusCode::OK).then_some(r.json().await.unwrap())
}

pub(crate) fn poll_form<'a>(id: &'a str, csrf: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("id", id),
        ("question", "Bạn đánh giá thế nào?"),
        ("label", "Tốt"),
        ("option-id", ""),
        ("label", ""),
        ("option-id", ""),
        ("label", "Chưa tốt"),
        ("option-id", ""),
        ("max_choices", "1"),
        ("opens_at", ""),
        ("closes_at", ""),
        ("results", "always"),
    ]
}

async fn signing_in_and_out(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);

    let r = console.get("/admin/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/admin/sign-in");
    let r = console.get("/admin/sign-in").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"<html lang="vi">"#) && page.contains("Mã quản trị"));

    let r = console.sign_in("not-the-token").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    assert!(console.cookie.is_none());

    let r = console.sign_in(TOKEN).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age="] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let id = console.cookie.clone().unwrap();
    assert_eq!(id.len(), "tally_console=".len() + 64, "256 random bits");

    let r = console.get("/admin/").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Tổng quan"));

    // Signing out without the form's token changes nothing.
    let r = console.post("/admin/sign-out", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(console.get("/admin/").await.status(), StatusCode::OK);

    let csrf = console.csrf().await;
    let r = console.post("/admin/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie no longer opens anything, on any replica.
    let r = console.get("/admin/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = console
        .post("/admin/console/polls", &poll_form("after-sign-out", &csrf))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(poll_json(&app, "after-sign-out").await.is_none());
    app.stop().await;
}

async fn behind_tls_the_cookie_is_secure(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let r = browser()
        .post(format!("{}/admin/sign-in", app.ops))
        .header("X-Forwarded-Proto", "https")
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(set.contains("; Secure"), "{set}");
    app.stop().await;
}

async fn forms_without_their_token_change_nothing(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let csrf = console.csrf().await;

    let mut missing = poll_form("khong-csrf", &csrf);
    missing.remove(0);
    let r = console.post("/admin/console/polls", &missing).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    let wrong = "0".repeat(64);
    let r = console
        .post("/admin/console/polls", &poll_form("sai-csrf", &wrong))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = console
        .http
        .post(console.url("/admin/console/polls"))
        .header(header::COOKIE, console.cookie.clone().unwrap())
        .header(header::ORIGIN, "http://evil.test")
        .form(&poll_form("khac-nguon", &csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for id in ["khong-csrf", "sai-csrf", "khac-nguon"] {
        assert!(poll_json(&app, id).await.is_none(), "{id}");
    }

    // With its token, the same form makes the poll.
    let r = console
        .post("/admin/console/polls", &poll_form("co-csrf", &csrf))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[header::LOCATION],
        "/admin/console/polls/co-csrf"
    );
    let poll = poll_json(&app, "co-csrf").await.expect("created");
    assert_eq!(poll["options"].as_array().unwrap().len(), 2, "{poll}");
    assert_eq!(poll["challenge"], "off", "{poll}");

    // The editor turns on the protection against scripted ballots.
    let mut form = poll_form("co-thach-thuc", &csrf);
    form.push(("challenge", "auto"));
    let r = console.post("/admin/console/polls", &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let poll = poll_json(&app, "co-thach-thuc").await.expect("created");
    assert_eq!(poll["challenge"], "auto", "{poll}");
    let page = console
        .get("/admin/console/polls/co-thach-thuc")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Tự động (khuyên dùng)"), "{page}");

    // Closing without the token changes nothing; with it, closes.
    let r = console
        .post("/admin/console/polls/co-csrf/close", &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(poll_json(&app, "co-csrf").await.unwrap()["status"], "open");
    let r = console
        .post("/admin/console/polls/co-csrf/close", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        poll_json(&app, "co-csrf").await.unwrap()["status"],
        "closed"
    );
    let r = console
        .post("/admin/console/polls/co-csrf/reopen", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(poll_json(&app, "co-csrf").await.unwrap()["status"], "open");

    // Closing then reopening keeps the dates: an open poll ending 31/12,
    // one that opened 20/11 and ends 31/12, and one scheduled 01/12–14/12
    // (the tests' clock reads 27/11).
    for (id, opens, closes, status) in [
        ("co-han", "", "2026-12-31T17:00", "open"),
        ("da-mo", "2026-11-20T07:00", "2026-12-31T17:00", "open"),
        (
            "co-lich",
            "2026-12-01T07:00",
            "2026-12-14T17:00",
            "not_yet_open",
        ),
    ] {
        let mut form = poll_form(id, &csrf);
        form.retain(|(k, _)| *k != "opens_at" && *k != "closes_at");
        form.push(("opens_at", opens));
        form.push(("closes_at", closes));
        let r = console.post("/admin/console/polls", &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let planned = poll_json(&app, id).await.unwrap();
        assert_eq!(planned["status"], status, "{planned}");
        for action in ["close", "reopen"] {
            let r = console
                .post(
                    &format!("/admin/console/polls/{id}/{action}"),
                    &[("csrf", &csrf)],
                )
                .await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
        }
        let again = poll_json(&app, id).await.unwrap();
        for field in ["status", "opens_at", "closes_at"] {
            assert_eq!(again[field], planned[field], "{id} {field}: {again}");
        }
    }
    // A scheduled poll offers to open now or to postpone; opened now, it
    // keeps its planned end, and the page says what happened.
    let page = console
        .get("/admin/console/polls/co-lich")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Mở ngay") && page.contains("Hoãn"), "{page}");
    assert!(!page.contains("Đóng bình chọn"), "{page}");
    let r = console
        .post("/admin/console/polls/co-lich/open", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(to, "/admin/console/polls/co-lich?done=opened");
    let opened = poll_json(&app, "co-lich").await.unwrap();
    assert_eq!(opened["status"], "open", "{opened}");
    assert_eq!(opened["closes_at"], "2026-12-14T10:00:00Z", "{opened}");
    let page = console.get(&to).await.text().await.unwrap();
    assert!(page.contains("Đã mở bình chọn ngay."), "{page}");
    app.stop().await;
}

async fn archive_delete_and_the_audit_log(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.admin_tokens = tally::config::named_tokens("lan:token-of-lan-0123456789abcdef").unwrap();
    })
    .await;
    let mut console = Console::new(&app);
    let r = console.sign_in("token-of-lan-0123456789abcdef").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let csrf = console.csrf().await;
    for id in ["luu-tru", "xoa-di"] {
        let r = console
            .post("/admin/console/polls", &poll_form(id, &csrf))
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    // Without confirming, nothing happens.
    let r = console
        .post("/admin/console/polls/xoa-di/delete", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(poll_json(&app, "xoa-di").await.is_some());
    let confirmed = [("csrf", csrf.as_str()), ("confirm", "yes")];
    let r = console
        .post("/admin/console/polls/xoa-di/delete", &confirmed)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(poll_json(&app, "xoa-di").await.is_none());
    let r = console
        .post("/admin/console/polls/luu-tru/archive", &confirmed)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        poll_json(&app, "luu-tru").await.unwrap()["status"],
        "closed"
    );
    let list = console
        .get("/admin/console/polls")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("Đã lưu trữ (1)"), "{list}");
    // Each poll's id, results visibility and a link to its embed code.
    for part in [
        "<code>luu-tru</code>",
        "Luôn công khai",
        r##"<a href="/admin/console/polls/luu-tru#embed">Lấy mã</a>"##,
    ] {
        assert!(list.contains(part), "{part}: {list}");
    }
    let audit = console
        .get("/admin/console/audit")
        .await
        .text()
        .await
        .unwrap();
    for action in ["Tạo câu hỏi", "Xoá câu hỏi", "Lưu trữ"] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
    assert!(audit.contains("<td>lan</td>"), "the audit log names who");
    app.stop().await;
}

async fn sessions_expire(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let csrf = console.csrf().await;
    // Used every 7 hours, a session lives on until its twelfth hour.
    app.clock.advance(jiff::SignedDuration::from_hours(7));
    assert_eq!(console.get("/admin/").await.status(), StatusCode::OK);
    app.clock.advance(jiff::SignedDuration::from_hours(5));
    let r = console.get("/admin/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "ended at 12 hours");
    let r = console
        .post("/admin/console/polls", &poll_form("het-han", &csrf))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(poll_json(&app, "het-han").await.is_none());

    // The sign-in form keeps what was typed, through a wrong token too...
    let page = r.text().await.unwrap();
    assert!(page.contains("những gì bạn đã nhập vẫn được giữ"), "{page}");
    let (resume, kept) = (hidden(&page, "resume"), hidden(&page, "kept"));
    assert_eq!(resume, "/admin/console/polls");
    let carried = [("resume", resume.as_str()), ("kept", kept.as_str())];
    let wrong = console
        .post(
            "/admin/sign-in",
            &[&[("token", "not-the-token")][..], &carried].concat(),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(hidden(&wrong.text().await.unwrap(), "kept"), kept);
    // ...and signing in again shows the form as typed, saving nothing.
    let back = console
        .post(
            "/admin/sign-in",
            &[&[("token", TOKEN)][..], &carried].concat(),
        )
        .await;
    assert_eq!(back.status(), StatusCode::OK);
    assert!(back.headers().contains_key(header::SET_COOKIE));
    console.keep_cookie(&back);
    let form = back.text().await.unwrap();
    assert!(
        form.contains("câu hỏi chưa được lưu. Đây là những gì bạn đã nhập"),
        "{form}"
    );
    assert!(form.contains(r#"value="het-han""#), "{form}");
    assert!(form.contains(">Bạn đánh giá thế nào?</textarea>"), "{form}");
    assert!(form.contains(r#"value="Chưa tốt""#), "{form}");
    assert!(poll_json(&app, "het-han").await.is_none());
    // Saved from there, with the new session.
    let csrf = hidden(&form, "csrf");
    let saved = console
        .post("/admin/console/polls", &poll_form("het-han", &csrf))
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(poll_json(&app, "het-han").await.is_some());
    // Only a poll's form is resumed: any other address signs in as usual.
    let forged = console
        .post(
            "/admin/sign-in",
            &[
                ("token", TOKEN),
                ("resume", "/admin/console/polls/het-han/delete"),
                ("kept", "csrf=x"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    assert_eq!(forged.headers()[header::LOCATION], "/admin/");
    assert!(poll_json(&app, "het-han").await.is_some());

    // Unused for 8 hours, a new session ends too.
    console.sign_in(TOKEN).await;
    assert_eq!(console.get("/admin/").await.status(), StatusCode::OK);
    app.clock
        .advance(jiff::SignedDuration::from_mins(8 * 60 + 1));
    assert_eq!(console.get("/admin/").await.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

async fn every_page_is_html_under_the_policy(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let csrf = console.csrf().await;
    console
        .post("/admin/console/polls", &poll_form("trang", &csrf))
        .await;
    for (path, status) in [
        ("/admin/", 200),
        ("/admin/sign-in", 200),
        ("/admin/console/polls", 200),
        ("/admin/console/new-poll", 200),
        ("/admin/console/polls/trang", 200),
        ("/admin/console/polls/trang/edit", 200),
        ("/admin/console/polls/trang/archive", 200),
        ("/admin/console/polls/trang/delete", 200),
        ("/admin/console/history", 200),
        ("/admin/console/history/days.csv", 200),
        ("/admin/console/history/months.csv", 200),
        ("/admin/console/history/days.xlsx", 200),
        ("/admin/console/history/months.xlsx", 200),
        ("/admin/console/audit", 200),
        ("/admin/console/import", 200),
        ("/admin/console/polls/khong-co", 404),
        ("/admin/console/polls/NOT_AN_ID", 404),
        ("/admin/console/polls/trang?lang=en", 200),
    ] {
        let r = console.get(path).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}");
        assert!(
            csp.contains("script-src 'self';") && !csp.contains("unsafe"),
            "{path}"
        );
        let html = !path.ends_with(".csv") && !path.ends_with(".xlsx");
        let kind = r.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert_eq!(kind.starts_with("text/html"), html, "{path}: {kind}");
        let page = r.text().await.unwrap();
        // No inline script: at most the console's own file.
        let scripts = page.matches("<script").count();
        let own = page
            .matches(r#"<script src="/admin/console.js" defer></script>"#)
            .count();
        assert_eq!(scripts, own, "{path}");
    }
    let r = console.get("/admin/console.css").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let r = console.get("/admin/console.js").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = console.get("/admin/console/polls/trang/results.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with(
            "\u{feff}Bạn đánh giá thế nào?\r\nTổng số phiếu: 0 · Số người bình chọn: 0\r\n"
        ),
        "{csv}"
    );
    assert!(
        csv.ends_with("\r\n\r\nPhương án;Số phiếu;Tỷ lệ (%)\r\nTốt;0;0,0\r\nChưa tốt;0;0,0\r\n"),
        "{csv}"
    );
    let xlsx = console.get("/admin/console/polls/trang/results.xlsx").await;
    assert_eq!(
        xlsx.headers()[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let delete = console
        .get("/admin/console/polls/trang/delete")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        delete.contains("Xoá vĩnh viễn câu hỏi và 0 phiếu bầu"),
        "{delete}"
    );
    // Nonsense in a form is a page saying so, never a 500.
    let r = console
        .post(
            "/admin/console/polls",
            &[
                ("csrf", csrf.as_str()),
                ("id", "Ư"),
                ("question", "Giữ lại <điều đã gõ>"),
                ("label", "Phương án bốn"),
                ("max_choices", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The form comes back as typed (escaped), saying what is wrong.
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#">Giữ lại &lt;điều đã gõ&gt;</textarea>"#),
        "{page}"
    );
    assert!(page.contains(r#"value="Phương án bốn""#) && page.contains(r#"role="alert""#));
    // A body declared too large is refused before it is sent (a client
    // still sending it could meet the closed connection instead).
    let head = format!(
        "POST /admin/console/polls HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        app.ops.trim_start_matches("http://"),
        console.cookie.clone().unwrap(),
        600 * 1024
    );
    let mut stream = tokio::net::TcpStream::connect(app.ops.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 64];
    let n = stream.read(&mut answer).await.unwrap();
    let status = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    app.stop().await;
}

/// The previous counter's figure is set on the console's page for it
/// (grouped as people write it), shown, audited, and added to the total; a
/// figure that is not one is refused in words, as typed.
async fn the_previous_counters_figure_is_set_in_the_console(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let csrf = console.csrf().await;
    let refused = console
        .post(
            "/admin/console/import",
            &[("csrf", &csrf), ("baseline", "bảy triệu")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Số lượt truy cập ban đầu phải là một số nguyên từ 0 đến 1.000.000.000.000.")
            && page.contains(r#"value="bảy triệu""#),
        "{page}"
    );
    let set = console
        .post(
            "/admin/console/import",
            &[("csrf", &csrf), ("baseline", "7.582.803")],
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let page = set.text().await.unwrap();
    assert!(
        page.contains("Đã đặt số lượt truy cập trước khi dùng tally: 7.582.803.")
            && page.contains("<strong>7.582.803</strong>"),
        "{page}"
    );
    let counter: serde_json::Value = app
        .http
        .get(app.url("/v1/counter"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counter["total"], 7_582_803);
    let audit = console
        .get("/admin/console/audit")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("Đặt số lượt truy cập trước khi dùng tally")
            && audit.contains("→ 7.582.803"),
        "{audit}"
    );
    app.stop().await;
}

/// Errors an editor meets from the import and reopen forms speak the
/// console's language, and only it.
async fn form_errors_speak_one_language(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let csrf = console.csrf().await;
    let bad = "2024-03-01,100\n02/03/2024,7.582.803\nhôm qua,5\n";
    for (lang, expected, foreign) in [
        (
            "",
            "dòng 3: ngày không theo dạng yyyy-mm-dd hoặc dd/mm/yyyy",
            "line 3",
        ),
        (
            "?lang=en",
            "line 3: the date is not yyyy-mm-dd or dd/mm/yyyy",
            "dòng 3",
        ),
    ] {
        let r = console
            .post(
                &format!("/admin/console/import{lang}"),
                &[("csrf", &csrf), ("csv", bad)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let page = r.text().await.unwrap();
        assert!(page.contains(expected), "{page}");
        assert!(!page.contains(foreign), "{page}");
        // The paste stays in the form, to be corrected.
        assert!(page.contains("hôm qua,5"), "{page}");
    }
    console
        .post("/admin/console/polls", &poll_form("mo-lai", &csrf))
        .await;
    for (lang, expected, foreign) in [
        ("", "Thời gian đóng phải ở tương lai.", "The closing time"),
        (
            "?lang=en",
            "The closing time must be in the future.",
            "Thời gian đóng",
        ),
    ] {
        let r = console
            .post(
                &format!("/admin/console/polls/mo-lai/reopen{lang}"),
                &[("csrf", &csrf), ("closes_at", "2020-01-01T00:00")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let page = r.text().await.unwrap();
        assert!(page.contains(expected), "{page}");
        assert!(!page.contains(foreign), "{page}");
    }
    app.stop().await;
}

/// A poll's page gives the embed code for the portal, built from
/// `TALLY_PUBLIC_URL`, and says which setting is missing without it.
async fn the_poll_page_gives_its_embed_code(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.public_url = Some("https://tally.portal.gov.vn".into());
    })
    .await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let csrf = console.csrf().await;
    console
        .post("/admin/console/polls", &poll_form("nhung", &csrf))
        .await;
    let page = console
        .get("/admin/console/polls/nhung")
        .await
        .text()
        .await
        .unwrap();
    for part in [
        "Mã nhúng",
        "&lt;script src=&quot;https://tally.portal.gov.vn/widget.js&quot; async&gt;&lt;/script&gt;",
        "&lt;div data-tally-poll=&quot;nhung&quot;&gt;",
        "&lt;a href=&quot;https://tally.portal.gov.vn/polls/nhung?back=DIA-CHI-TRANG-NAY&quot;&gt;Tham gia bình chọn&lt;/a&gt;",
        "Thay DIA-CHI-TRANG-NAY bằng địa chỉ của trang đặt câu hỏi",
        r#"<a href="https://tally.portal.gov.vn/polls/nhung">"#,
        r#"data-copy="embed-code" hidden"#,
        // The stylesheet line that keeps the poll's place.
        "Thêm dòng này vào CSS của cổng để giữ chỗ cho câu hỏi",
        r#"<code id="embed-css">[data-tally-poll=&quot;nhung&quot;] { display: flow-root; min-height: "#,
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    app.stop().await;

    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let page = console
        .get("/admin/console/polls/nhung")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("TALLY_PUBLIC_URL") && !page.contains("data-copy"),
        "{page}"
    );
    app.stop().await;
}

/// A new poll can start from the satisfaction template or as a copy of
/// another poll: words and settings, never its id, dates or ballots.
async fn new_polls_start_from_a_template_or_a_copy(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.sign_in(TOKEN).await;
    let empty = console
        .get("/admin/console/new-poll")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        empty.contains("/admin/console/new-poll?template=hai-long"),
        "{empty}"
    );
    let template = console
        .get("/admin/console/new-poll?template=hai-long")
        .await
        .text()
        .await
        .unwrap();
    for part in [
        "Bạn đánh giá như thế nào về cổng thông tin này?",
        r#"value="Rất tốt""#,
        r#"value="Tốt""#,
        r#"value="Bình thường""#,
        r#"value="Chưa tốt""#,
    ] {
        assert!(template.contains(part), "{part}: {template}");
    }
    let csrf = console.csrf().await;
    console
        .post("/admin/console/polls", &poll_form("goc", &csrf))
        .await;
    let page = console
        .get("/admin/console/polls/goc")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/admin/console/new-poll?from=goc"),
        "a Duplicate link: {page}"
    );
    let copy = console
        .get("/admin/console/new-poll?from=goc")
        .await
        .text()
        .await
        .unwrap();
    assert!(copy.contains("Bạn đánh giá thế nào?"), "{copy}");
    assert!(copy.contains(r#"value="Tốt""#), "{copy}");
    assert!(
        !copy.contains(r#"value="goc""#),
        "the copy needs its own id: {copy}"
    );
    assert!(!copy.contains(r#"name="option-id" value="tot""#), "{copy}");
    let missing = console.get("/admin/console/new-poll?from=khong-co").await;
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

on_every_store!(
    new_polls_start_from_a_template_or_a_copy,
    the_poll_page_gives_its_embed_code,
    form_errors_speak_one_language,
    the_previous_counters_figure_is_set_in_the_console,
    signing_in_and_out,
    behind_tls_the_cookie_is_secure,
    forms_without_their_token_change_nothing,
    sessions_expire,
    archive_delete_and_the_audit_log,
    every_page_is_html_under_the_policy,
);

/// An editor who types an admin API address into the browser lands on the
/// console's page for it, not on English JSON; a script still gets JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_asking_for_the_admin_api_is_sent_to_the_console() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, settings).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (asked, sent_to) in [
        ("/admin/polls", "/admin/console/polls"),
        (
            "/admin/polls/danh-gia-cong",
            "/admin/console/polls/danh-gia-cong",
        ),
        (
            "/admin/polls/danh-gia-cong/results?format=csv",
            "/admin/console/polls/danh-gia-cong",
        ),
        (
            "/admin/history/days?from=2026-01-01",
            "/admin/console/history",
        ),
        ("/admin/audit?lang=en", "/admin/console/audit?lang=en"),
        (
            "/admin/polls/danh-gia-cong?site=so-y-te&lang=en",
            "/admin/console/polls/danh-gia-cong?site=so-y-te&lang=en",
        ),
        ("/admin/history/days?site=so-y-te", "/admin/console/history"),
        ("/admin/backup", "/admin/"),
    ] {
        let r = http
            .get(format!("{}{asked}", app.ops))
            .header("accept", browser)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{asked}");
        assert_eq!(r.headers()["location"], sent_to, "{asked}");
    }
    let script = http
        .get(format!("{}/admin/polls", app.ops))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        script.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );
    app.stop().await;
}
