//! Every client error is JSON with a code, and nothing a client sends can
//! produce a 5xx.

use crate::support::{BROWSER, Backend, Home, TestApp, get_json};
use serde_json::Value;

async fn error_of(response: reqwest::Response) -> (u16, String, reqwest::header::HeaderMap) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"], "application/json; charset=utf-8",
        "status {status}"
    );
    let body: Value = response.json().await.unwrap();
    let code = body["error"]["code"]
        .as_str()
        .expect("an error code")
        .to_owned();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    (status, code, headers)
}

#[tokio::test]
async fn client_errors_are_json_with_a_code() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |_| {}).await;
    let post = |body: String, content_type: &'static str| {
        app.http
            .post(app.url("/v1/hits"))
            .header("user-agent", BROWSER)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let (status, code, _) = error_of(
        post("{\"page\":".to_string(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid_json"));

    let (status, code, _) = error_of(
        post("{\"page\": 42}".to_string(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid_json"));

    let (status, code, _) = error_of(
        post("page=/a".to_string(), "application/x-www-form-urlencoded")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

    let long_page = format!("{{\"page\":\"/{}\"}}", "a".repeat(256));
    let response = post(long_page, "application/json").await.unwrap();
    let (status, code, _) = error_of(response).await;
    assert_eq!((status, code.as_str()), (400, "invalid_page"));

    let (status, code, _) = error_of(
        post("{\"page\":\"/a\\u0000b\"}".to_string(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid_page"));

    let huge = format!("{{\"page\":\"/a\",\"x\":\"{}\"}}", "x".repeat(10_000));
    let response = post(huge, "application/json").await.unwrap();
    let (status, code, _) = error_of(response).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));

    let response = app
        .http
        .get(app.url("/v1/counter?page="))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(response).await;
    assert_eq!((status, code.as_str()), (400, "invalid_page"));

    let response = app
        .http
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(response).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));

    let response = app.http.get(app.url("/v1/hits")).send().await.unwrap();
    let (status, code, headers) = error_of(response).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
    assert_eq!(headers["allow"], "POST");

    let response = app
        .http
        .delete(app.url("/v1/counter"))
        .send()
        .await
        .unwrap();
    let (status, _, headers) = error_of(response).await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, HEAD");

    let response = app.http.post(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn an_empty_or_null_body_counts_the_site_only() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |_| {}).await;
    for (body, content_type) in [
        ("", "text/plain"),
        ("{}", "application/json"),
        ("{\"page\":null}", "text/plain;charset=UTF-8"),
    ] {
        let response = app
            .http
            .post(app.url("/v1/hits"))
            .header("user-agent", BROWSER)
            .header("content-type", content_type)
            .header("cookie", format!("tally_vid={}", crate::support::cookie()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{body:?}");
        let counter: Value = response.json().await.unwrap();
        assert!(counter.get("page").is_none());
    }
    assert_eq!(app.counter(None).await["total"], 3);
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_on_the_ops_listener() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |_| {}).await;
    let health: Value = get_json(&app.http, format!("{}/healthz", app.ops)).await;
    assert_eq!(health["status"], "ok");
    let ready: Value = get_json(&app.http, format!("{}/readyz", app.ops)).await;
    assert_eq!(ready["store"], "embedded");
    app.hit_json(Some(&crate::support::cookie()), Some("/a"))
        .await;
    let metrics = app.metrics().await;
    assert!(metrics.contains("tally_visits_total 1"), "{metrics}");
    assert!(metrics.contains(r#"tally_http_requests_total{listener="public",method="POST",route="/v1/hits",status="2xx"} 1"#));
    // The public listener does not serve ops endpoints.
    assert_eq!(
        app.http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn json_bodies_must_be_objects() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
    })
    .await;
    let hit = app
        .http
        .post(app.url("/v1/hits"))
        .header("user-agent", BROWSER)
        .header("content-type", "application/json")
        .body(r#"["/tin-tuc/1"]"#)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(hit).await;
    assert_eq!((status, code.as_str()), (400, "invalid_json"));
    let ballot = app
        .http
        .post(app.url("/v1/polls/danh-gia-cong/votes"))
        .header("user-agent", BROWSER)
        .header("content-type", "application/json")
        .body(r#"[["tot"]]"#)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(ballot).await;
    assert_eq!((status, code.as_str()), (400, "invalid_json"));
    assert_eq!(app.counter(None).await["total"], 0);
    app.stop().await;
}

#[tokio::test]
async fn a_plain_options_request_answers_allow() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.allowed_origins = vec!["https://portal.gov.vn".into()]
    })
    .await;
    let plain = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/v1/counter"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 204);
    assert_eq!(plain.headers()["allow"], "GET, HEAD");
    let page = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/polls/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["allow"], "GET, HEAD, POST");
    app.stop().await;
}

#[tokio::test]
async fn html_error_pages_say_what_went_wrong_and_keep_their_headers() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
        s.rate_limit = tally::config::Rate {
            per_second: 1,
            burst: 2,
        };
    })
    .await;
    let wrong = app
        .http
        .put(app.url("/polls/danh-gia-cong/results"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "GET, HEAD");
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains("method_not_allowed") && html.contains("không được hỗ trợ"),
        "{html}"
    );
    let mut last = None;
    for _ in 0..3 {
        last = Some(
            app.http
                .get(app.url("/polls/danh-gia-cong"))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap(),
        );
    }
    let limited = last.unwrap();
    assert_eq!(limited.status(), 429);
    for name in [
        "retry-after",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "content-security-policy",
    ] {
        assert!(limited.headers().contains_key(name), "{name}");
    }
    assert!(
        limited.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    app.stop().await;
}
