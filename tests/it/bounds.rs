//! Hostile input bounded, over HTTP against the real app: a poll's text
//! refuses control and direction-changing characters (admin API, console,
//! polls file), `Tally-Visitor` is taken exactly as sent, a history import
//! stays in sane years and totals, and one address cannot take every live
//! stream.

use std::process::Command;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{Backend, Home, TestApp, cookie};

const TOKEN: &str = "bounds-test-token-0123456789";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

async fn put_poll(app: &TestApp, id: &str, spec: Value) -> reqwest::Response {
    app.http
        .put(format!("{}/admin/polls/{id}", app.ops))
        .bearer_auth(TOKEN)
        .json(&spec)
        .send()
        .await
        .unwrap()
}

fn spec(question: &str, labels: [&str; 2]) -> Value {
    json!({
        "question": question,
        "options": [{ "id": "tot", "label": labels[0] }, { "id": "chua-tot", "label": labels[1] }],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_names_the_field_and_the_character_it_refuses() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, settings).await;
    let cases = [
        (
            spec("Bạn\0 đánh giá?", ["Tốt", "Chưa tốt"]),
            "The question holds U+0000, a control character",
        ),
        (
            spec("Hai\ndòng?", ["Tốt", "Chưa tốt"]),
            "The question holds U+000A",
        ),
        (
            spec("Bạn?", ["Tốt", "Chưa\u{202E}tốt"]),
            "Option 2 ('chua-tot') holds U+202E, a character that changes the direction",
        ),
        (
            spec("Bạn?", ["\u{2066}Tốt", "Chưa tốt"]),
            "Option 1 ('tot') holds U+2066",
        ),
        (
            spec("Bạn?", ["Tốt\u{200F}", "Chưa tốt"]),
            "Option 1 ('tot') holds U+200F",
        ),
        (
            spec("Bạn?", ["Tố\u{85}t", "Chưa tốt"]),
            "Option 1 ('tot') holds U+0085",
        ),
    ];
    for (spec, said) in cases {
        let r = put_poll(&app, "p", spec.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{spec}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_character", "{body}");
        // The admin API speaks English; the console speaks the site's language.
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(said), "{message}");
    }
    // Nothing was created; the same poll in plain text is.
    let r = put_poll(&app, "p", spec("Bạn đánh giá?", ["Tốt", "Chưa tốt"])).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_says_which_field_and_character_in_vietnamese() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, settings).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = browser
        .post(format!("{}/admin/sign-in", app.ops))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    let session = signed_in.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = browser
        .get(format!("{}/admin/", app.ops))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
    let csrf = &page[at..at + 64];
    let form = [
        ("csrf", csrf),
        ("id", "nhan-xet"),
        ("question", "Bạn đánh giá thế nào?"),
        ("label", "Tốt"),
        ("option-id", ""),
        ("label", "Chưa\u{202E}tốt"),
        ("option-id", ""),
        ("max_choices", "1"),
        ("results", "always"),
    ];
    let r = browser
        .post(format!("{}/admin/console/polls", app.ops))
        .header(header::COOKIE, &session)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Phương án thứ 2 (chua-tot) chứa ký tự đổi chiều hiển thị văn bản U+202E"),
        "{page}"
    );
    let listed = app
        .http
        .get(format!("{}/admin/polls/nhan-xet", app.ops))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::NOT_FOUND, "nothing was saved");
    app.stop().await;
}

#[test]
fn a_polls_file_with_a_direction_override_stops_the_start_naming_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("polls.toml");
    std::fs::write(
        &path,
        "[[polls]]\nid = \"danh-gia\"\nquestion = \"Bạn đánh giá?\"\n\
         options = [{ id = \"tot\", label = \"T\\u202Eốt\" }, { id = \"chua-tot\", label = \"Chưa tốt\" }]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tally"))
        .arg("check-config")
        .env_clear()
        .env("TALLY_POLLS_FILE", &path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("tally: TALLY_POLLS_FILE: poll danh-gia: Option 1 ('tot') holds U+202E"),
        "{stderr}"
    );
}

/// A `Tally-Visitor` value is taken exactly as sent: HTTP/2 carries spaces
/// around a value as they are (HTTP/1 drops them before any server sees
/// them), and a second value is refused too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tally_visitor_is_taken_exactly_as_sent() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, settings).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let id = cookie();
    let hit = |value: String| {
        h2.post(app.url("/v1/hits"))
            .header("user-agent", crate::support::BROWSER)
            .header("tally-visitor", value)
            .send()
    };
    let exact = hit(id.clone()).await.unwrap();
    assert_eq!(exact.version(), reqwest::Version::HTTP_2);
    assert_eq!(exact.status(), StatusCode::OK);
    for padded in [format!(" {id}"), format!("{id} "), format!("\t{id}")] {
        let r = hit(padded.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{padded:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_visitor", "{body}");
    }
    let twice = app
        .http
        .post(app.url("/v1/hits"))
        .header("user-agent", crate::support::BROWSER)
        .header("tally-visitor", &id)
        .header("tally-visitor", &id)
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

async fn import(app: &TestApp, csv: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/admin/history/import?lang=en", app.ops))
        .bearer_auth(TOKEN)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

async fn history_import_keeps_to_sane_years_and_totals(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let cases = [
        (
            "2024-03-01,5\n0000-03-02,6\n",
            "line 2: the year is outside 1970–9999",
        ),
        ("01/03/-999,5\n", "line 1: the year is outside 1970–9999"),
        ("1969-12-31,5\n", "line 1: the year is outside 1970–9999"),
        (
            "2024-03-01,1000000000001\n",
            "line 1: visits is larger than tally keeps (10^12)",
        ),
        (
            "2024-03-01,600000000000\n2024-03-02,300000000000\n2024-03-03,100000000001\n",
            "line 3: the visits up to this line add up to more than tally keeps (10^12)",
        ),
    ];
    for (csv, said) in cases {
        let r = import(&app, csv).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{csv:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_import", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.ends_with(said), "{csv:?}: {message}");
    }
    // Nothing was taken (the counter has read the store again since); at
    // the bound, the file is.
    app.flushed().await;
    assert_eq!(app.counter(None).await["total"], 0);
    let r = import(&app, "2024-03-01,600000000000\n2024-03-02,400000000000\n").await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let total = 1_000_000_000_000u64;
    assert_eq!(app.counter_eventually("total", total).await["total"], total);
    app.stop().await;
}

on_every_store!(history_import_keeps_to_sane_years_and_totals);

/// Opens a live stream of poll `p` as a client at `address` (through the
/// trusted proxy).
async fn open_stream(app: &TestApp, address: &str) -> reqwest::Response {
    app.http
        .get(app.url("/v1/polls/p/events"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_at_its_share_of_streams_leaves_streams_for_others() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.max_streams = 6;
        s.max_streams_per_address = 2;
    })
    .await;
    let r = put_poll(&app, "p", spec("Bạn đánh giá?", ["Tốt", "Chưa tốt"])).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mut open = Vec::new();
    for _ in 0..2 {
        let r = open_stream(&app, "198.51.100.7").await;
        assert_eq!(r.status(), StatusCode::OK);
        open.push(r);
    }
    let refused = open_stream(&app, "198.51.100.7").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams_from_address");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tối đa 2"),
        "{body}"
    );
    // An IPv6 client's /64 is one address; another /64 and another IPv4
    // address still get theirs.
    for address in ["2001:db8:0:1::1", "2001:db8:0:1::2"] {
        let r = open_stream(&app, address).await;
        assert_eq!(r.status(), StatusCode::OK, "{address}");
        open.push(r);
    }
    let same_64 = open_stream(&app, "2001:db8:0:1:ffff::9").await;
    assert_eq!(same_64.status(), StatusCode::TOO_MANY_REQUESTS);
    for address in ["2001:db8:0:2::1", "203.0.113.9"] {
        let r = open_stream(&app, address).await;
        assert_eq!(r.status(), StatusCode::OK, "{address}");
        open.push(r);
    }
    // The replica's own bound still holds.
    let full = open_stream(&app, "192.0.2.1").await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    drop(open);
    app.stop().await;
}
