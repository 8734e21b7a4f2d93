//! The visitor's side: the site's language whatever the browser's, pages
//! that belong to the portal, each poll's results visibility, the archive,
//! and live results with a bound on open streams.

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::support::{BROWSER, Backend, Binary, Home, TestApp, cookie};

const TOKEN: &str = "test-admin-token-0123456789";
const PORTAL: &str = "https://portal.gov.vn";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.allowed_origins = vec![PORTAL.into()];
    s.portal.name = Some("Cổng thông tin điện tử tỉnh Mẫu".into());
    s.portal.home = Some(format!("{PORTAL}/"));
}

async fn put_poll(app: &TestApp, id: &str, extra: Value) {
    let mut spec = json!({
        "question": "Bạn đánh giá thế nào?",
        "options": [{ "id": "tot", "label": "Tốt" }, { "id": "chua-tot", "label": "Chưa tốt" }],
    });
    spec.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = app
        .http
        .put(format!("{}/admin/polls/{id}", app.ops))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(spec.to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

async fn close(app: &TestApp, id: &str) {
    let r = app
        .http
        .post(format!("{}/admin/polls/{id}/close", app.ops))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn page(app: &TestApp, path: &str, who: Option<&str>) -> (u16, String) {
    let mut req = app
        .http
        .get(app.url(path))
        .header("user-agent", BROWSER)
        .header("accept", "text/html")
        .header("accept-language", "en-US,en;q=0.9");
    if let Some(who) = who {
        req = req.header("cookie", format!("tally_vid={who}"));
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn results_json(app: &TestApp, id: &str, who: Option<&str>) -> (u16, Value) {
    let mut req = app.http.get(app.url(&format!("/v1/polls/{id}/results")));
    if let Some(who) = who {
        req = req.header("tally-visitor", who);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn the_site_speaks_its_language_whatever_the_browser(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(&app, "p", json!({})).await;
    for path in ["/polls/p", "/polls/p/results", "/polls", "/"] {
        let (status, html) = page(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("<html lang=\"vi\">"), "{path}: {html}");
        assert!(html.contains("Cổng thông tin điện tử tỉnh Mẫu"), "{path}");
        let (_, english) = page(&app, &format!("{path}?lang=en"), None).await;
        assert!(english.contains("<html lang=\"en\">"), "{path}?lang=en");
    }
    let badge = app
        .http
        .get(app.url("/v1/counter.svg"))
        .header("accept-language", "en-US")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(badge.contains("Số lượt truy cập"), "{badge}");
    // JSON errors too speak the site's language, or the one asked for.
    let vi: Value = app
        .http
        .get(app.url("/v1/polls/khong-co"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(vi["error"]["message"], "Không tìm thấy cuộc bình chọn này.");
    let en: Value = app
        .http
        .get(app.url("/v1/polls/khong-co?lang=en"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(en["error"]["message"], "There is no such poll.");
    app.stop().await;
}

async fn pages_lead_back_to_the_portal_and_nowhere_else(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(&app, "p", json!({})).await;
    let article = format!("{PORTAL}/tin-tuc/123");
    let (_, html) = page(
        &app,
        &format!("/polls/p?back={}", urlencode(&article)),
        None,
    )
    .await;
    assert!(html.contains(&format!("href=\"{article}\"")), "{html}");
    assert!(html.contains("Quay lại bài viết"));
    assert!(
        html.contains(&format!("href=\"{PORTAL}/\"")),
        "the portal's home"
    );
    // The article goes along with the form, to the results.
    assert!(
        html.contains(&format!("name=\"back\" value=\"{article}\"")),
        "{html}"
    );
    for foreign in [
        "https://evil.example/x",
        "javascript:alert(1)",
        "//evil.example/",
    ] {
        let (_, html) = page(&app, &format!("/polls/p?back={}", urlencode(foreign)), None).await;
        assert!(!html.contains(foreign), "{foreign}");
        assert!(!html.contains("Quay lại bài viết"), "{foreign}");
    }
    // The Referer of an allowed page works as well.
    let html = app
        .http
        .get(app.url("/polls/p"))
        .header("referer", &article)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"{article}\"")));
    // A Referer trimmed to the origin (browsers' default across origins)
    // names no article: no "back to the article" to the portal's root.
    let html = app
        .http
        .get(app.url("/polls/p"))
        .header("referer", format!("{PORTAL}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Quay lại bài viết"), "{html}");
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn each_poll_shows_its_results_to_whom_it_says(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    for mode in ["always", "after_vote", "after_close", "never"] {
        let id = format!("p-{}", mode.replace('_', "-"));
        put_poll(&app, &id, json!({ "results": mode })).await;
        let (voter, other) = (cookie(), cookie());
        let status = app
            .vote(&id, &voter, "198.51.100.7", json!(["tot"]))
            .await
            .status();
        assert_eq!(status, 201, "{mode}");
        // While the poll is open: the voter, and someone who has not voted.
        let (voter_sees, other_sees) = (mode == "always" || mode == "after_vote", mode == "always");
        let after_close = (mode != "never", mode != "never");
        let (status, body) = results_json(&app, &id, Some(&voter)).await;
        assert_eq!(status == 200, voter_sees, "{mode}, voter, open: {body}");
        let (status, body) = results_json(&app, &id, Some(&other)).await;
        assert_eq!(status == 200, other_sees, "{mode}, other, open: {body}");
        if status == 403 {
            assert_eq!(body["error"]["code"], "results_hidden");
        }
        let (_, html) = page(&app, &format!("/polls/{id}/results"), Some(&other)).await;
        assert_eq!(
            html.contains("<progress"),
            other_sees,
            "{mode}: the page agrees"
        );
        let (_, html) = page(&app, &format!("/polls/{id}/results"), Some(&voter)).await;
        assert_eq!(
            html.contains("<progress"),
            voter_sees,
            "{mode}: the voter's page agrees"
        );
        close(&app, &id).await;
        app.clock.advance(SignedDuration::from_secs(1));
        let (status, _) = results_json(&app, &id, Some(&voter)).await;
        assert_eq!(status == 200, after_close.0, "{mode}, voter, closed");
        let (status, _) = results_json(&app, &id, None).await;
        assert_eq!(status == 200, after_close.1, "{mode}, anyone, closed");
        let (_, html) = page(&app, &format!("/polls/{id}/results"), None).await;
        assert!(
            html.contains("Cuộc bình chọn đã kết thúc. Kết thúc lúc"),
            "{mode}: {html}"
        );
        assert_eq!(
            html.contains("<progress"),
            after_close.1,
            "{mode}: the closed page agrees"
        );
    }
    app.stop().await;
}

async fn the_archive_lists_polls_with_their_dates(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(
        &app,
        "dang-mo",
        json!({ "closes_at": "2026-12-31T10:00:00Z" }),
    )
    .await;
    put_poll(
        &app,
        "sap-mo",
        json!({ "opens_at": "2027-01-05T01:00:00Z" }),
    )
    .await;
    put_poll(&app, "da-dong", json!({ "results": "after_close" })).await;
    close(&app, "da-dong").await;
    let (status, html) = page(&app, "/polls", None).await;
    assert_eq!(status, 200);
    let open = html.find("Đang diễn ra").expect("an open section");
    let upcoming = html.find("Sắp diễn ra").expect("a coming-up section");
    let closed = html.find("Đã kết thúc").expect("a closed section");
    assert!(open < upcoming && upcoming < closed, "{html}");
    assert!(
        html.contains("Kết thúc lúc 17:00 ngày 31/12/2026"),
        "{html}"
    );
    assert!(html.contains("Bắt đầu lúc 08:00 ngày 05/01/2027"), "{html}");
    app.stop().await;
}

async fn a_poll_not_yet_open_says_when_it_opens(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(
        &app,
        "sap-mo",
        json!({ "opens_at": "2027-01-05T01:00:00Z" }),
    )
    .await;
    let (_, html) = page(&app, "/polls/sap-mo", None).await;
    assert!(
        html.contains("Cuộc bình chọn chưa bắt đầu. Bắt đầu lúc 08:00 ngày 05/01/2027."),
        "{html}"
    );
    assert!(!html.contains("<form"));
    let (_, html) = page(&app, "/polls/sap-mo?lang=en", None).await;
    assert!(html.contains("Opens on 5 January 2027, 08:00."), "{html}");
    // The widget shows the same dates: the JSON names the zone to show them in.
    let poll: Value = app
        .http
        .get(app.url("/v1/polls/sap-mo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(poll["time_zone"], "Asia/Ho_Chi_Minh");
    assert_eq!(poll["status"], "not_yet_open");
    app.stop().await;
}

on_every_store!(
    the_site_speaks_its_language_whatever_the_browser,
    pages_lead_back_to_the_portal_and_nowhere_else,
    each_poll_shows_its_results_to_whom_it_says,
    the_archive_lists_polls_with_their_dates,
    a_poll_not_yet_open_says_when_it_opens,
);

/// Reads server-sent events from `response` until `want` returns true or
/// `within` passes; the last event's data.
async fn next_results(response: &mut reqwest::Response, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    let mut text = String::new();
    while Instant::now() < deadline {
        let chunk = tokio::time::timeout(Duration::from_millis(200), response.chunk()).await;
        if let Ok(Ok(Some(bytes))) = chunk {
            text.push_str(&String::from_utf8_lossy(&bytes));
            if let Some(data) = text
                .split("\n\n")
                .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
                .last()
            {
                return serde_json::from_str(data).ok();
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_results_follow_ballots_and_streams_are_bounded() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.max_streams = 3;
    })
    .await;
    put_poll(&app, "p", json!({})).await;
    let open = || app.http.get(app.url("/v1/polls/p/events")).send();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let r = open().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        streams.push(r);
    }
    let refused = open().await.unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams");
    for s in &mut streams {
        let first = next_results(s, Duration::from_secs(5))
            .await
            .expect("the results at once");
        assert_eq!(first["total_votes"], 0);
    }
    assert_eq!(
        app.vote("p", &cookie(), "198.51.100.9", json!(["tot"]))
            .await
            .status(),
        201
    );
    for s in &mut streams {
        let next = next_results(s, Duration::from_secs(5))
            .await
            .expect("the change");
        assert_eq!(next["total_votes"], 1);
    }
    // A stream whose client leaves gives its place back (within a
    // keep-alive or two).
    drop(streams.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = open().await.unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the place was never freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(streams);
    app.stop().await;
}

/// A stream ends when its lifetime is over (the browser reconnects), and
/// its place is free again at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_end_after_their_lifetime() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.max_streams = 1;
        s.stream_lifetime = Duration::from_millis(800);
    })
    .await;
    put_poll(&app, "p", json!({})).await;
    let started = Instant::now();
    let first = app
        .http
        .get(app.url("/v1/polls/p/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let refused = app
        .http
        .get(app.url("/v1/polls/p/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        503,
        "one stream at most while the first is open"
    );
    let body = tokio::time::timeout(Duration::from_secs(10), first.text())
        .await
        .expect("the stream ended by itself")
        .unwrap();
    let lived = started.elapsed();
    assert!(body.starts_with("event: results\n"), "{body}");
    assert!(lived >= Duration::from_millis(800), "ended after {lived:?}");
    let again = app
        .http
        .get(app.url("/v1/polls/p/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "the ended stream gave its place back");
    drop(again);
    app.stop().await;
}

/// Opens rounds of streams past the bound against the real binary: every
/// extra one is refused, and the process's memory does not grow with the
/// rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_keep_memory_flat() {
    let home = Home::new(Backend::Embedded);
    let mut env = home.env();
    env.push(("TALLY_MAX_STREAMS", "50".into()));
    // Every stream comes from this one address: the replica's bound is
    // what this test is about.
    env.push(("TALLY_MAX_STREAMS_PER_ADDRESS", "1000".into()));
    env.push((
        "TALLY_POLLS_FILE",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into(),
    ));
    let tally = Binary::start(&env).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = format!("{}/v1/polls/danh-gia-cong/events", tally.public);
    let mut rss = Vec::new();
    for _ in 0..5 {
        let answers = futures::future::join_all((0..80).map(|_| http.get(&url).send())).await;
        let (open, refused): (Vec<_>, Vec<_>) = answers
            .into_iter()
            .map(Result::unwrap)
            .partition(|r| r.status() == 200);
        let statuses: Vec<u16> = refused.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(open.len(), 50, "the bound holds: {statuses:?}");
        assert!(refused.iter().all(|r| r.status() == 503));
        let mut open = open;
        for r in &mut open {
            let _ = tokio::time::timeout(Duration::from_secs(2), r.chunk()).await;
        }
        drop(open);
        drop(refused);
        // Every place is given back before the next round.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let metrics = http
                .get(format!("{}/metrics", tally.ops))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if metrics.lines().any(|l| l == "tally_live_streams 0") {
                break;
            }
            assert!(Instant::now() < deadline, "streams stayed open");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        rss.push(tally.resident_kib());
    }
    println!("resident memory after each round (KiB): {rss:?}");
    let growth = rss[4] as i64 - rss[1] as i64;
    assert!(
        growth < 4096,
        "memory grew by {growth} KiB over three rounds: {rss:?}"
    );
}
