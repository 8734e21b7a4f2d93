//! The poll over HTTP, against both stores: exactly-once ballots, the
//! per-address cap, multi-choice rules, errors, the HTML flow without
//! JavaScript, and the admin API's guard.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::{BROWSER, Backend, Home, TestApp, cookie, set_cookie};

const TOKEN: &str = "test-admin-token-0123456789";
const POLL: &str = "danh-gia-cong";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
}

async fn results(app: &TestApp, poll: &str) -> Value {
    let r = app
        .http
        .get(app.url(&format!("/v1/polls/{poll}/results")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub fn votes_of(results: &Value, option: &str) -> u64 {
    results["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == option)
        .map(|o| o["votes"].as_u64().unwrap())
        .unwrap()
}

pub async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

pub async fn admin(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.http.request(method, format!("{}{path}", app.ops));
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    req.send().await.unwrap()
}

async fn concurrent_ballots_from_one_visitor_count_once(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let visitor = cookie();
    let answers =
        join_all((0..200).map(|_| app.vote(POLL, &visitor, "203.0.113.1", json!(["tot"])))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 1);
    assert_eq!(statuses.iter().filter(|&&s| s == 409).count(), 199);
    let r = results(&app, POLL).await;
    assert_eq!(r["total_votes"], 1);
    assert_eq!(votes_of(&r, "tot"), 1);
    app.stop().await;
}

async fn a_thousand_visitors_over_many_addresses_count_a_thousand(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let options = ["rat-tot", "tot", "binh-thuong", "chua-tot"];
    let ballots: Vec<(String, String, &str)> = (0..1000)
        .map(|n| (cookie(), format!("198.51.100.{}", n % 40), options[n % 4]))
        .collect();
    let answers = join_all(
        ballots
            .iter()
            .map(|(v, a, o)| app.vote(POLL, v, a, json!([o]))),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let refused = statuses.iter().filter(|&&s| s != 201).count();
    assert_eq!(refused, 0, "{statuses:?}");
    let r = results(&app, POLL).await;
    assert_eq!(r["total_votes"], 1000);
    for option in options {
        assert_eq!(votes_of(&r, option), 250);
    }
    let tenths: f64 = r["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["percent"].as_f64().unwrap())
        .sum();
    assert!((tenths - 100.0).abs() < 1e-9);
    app.stop().await;
}

async fn the_per_address_cap_holds_exactly(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.votes_per_address = 7;
    })
    .await;
    let visitors: Vec<String> = (0..30).map(|_| cookie()).collect();
    let answers = join_all(
        visitors
            .iter()
            .map(|v| app.vote(POLL, v, "192.0.2.50", json!(["tot"]))),
    )
    .await;
    let accepted = answers.iter().filter(|r| r.status() == 201).count();
    assert_eq!(accepted, 7);
    let refused = answers.into_iter().find(|r| r.status() == 429).unwrap();
    assert!(refused.headers().get("retry-after").is_some());
    assert_eq!(
        error_code(refused).await,
        (429, "address_limit_reached".into())
    );
    assert_eq!(results(&app, POLL).await["total_votes"], 7);
    // Another address still votes.
    assert_eq!(
        app.vote(POLL, &cookie(), "192.0.2.51", json!(["tot"]))
            .await
            .status(),
        201
    );
    app.stop().await;
}

async fn multi_choice_counts_each_option_once(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let poll = "chuyen-muc-quan-tam";
    let r = app
        .vote(poll, &cookie(), "192.0.2.1", json!(["tin-tuc", "du-lich"]))
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["choices"], json!(["tin-tuc", "du-lich"]));
    let dup = app
        .vote(poll, &cookie(), "192.0.2.1", json!(["tin-tuc", "tin-tuc"]))
        .await;
    assert_eq!(error_code(dup).await, (400, "invalid_option".into()));
    let many = app
        .vote(
            poll,
            &cookie(),
            "192.0.2.1",
            json!(["tin-tuc", "du-lich", "dau-tu", "van-ban"]),
        )
        .await;
    assert_eq!(error_code(many).await, (400, "too_many_choices".into()));
    let none = app.vote(poll, &cookie(), "192.0.2.1", json!([])).await;
    assert_eq!(error_code(none).await, (400, "invalid_option".into()));
    let r = results(&app, poll).await;
    assert_eq!(r["total_votes"], 2);
    assert_eq!(
        (
            votes_of(&r, "tin-tuc"),
            votes_of(&r, "du-lich"),
            votes_of(&r, "dau-tu")
        ),
        (1, 1, 0)
    );
    app.stop().await;
}

async fn errors_follow_the_contract(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let unknown = app
        .vote("khong-co", &cookie(), "192.0.2.1", json!(["tot"]))
        .await;
    assert_eq!(error_code(unknown).await, (404, "poll_not_found".into()));
    let bad_id = app
        .http
        .get(app.url("/v1/polls/Not_An_Id"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(bad_id).await, (404, "poll_not_found".into()));
    let option = app
        .vote(POLL, &cookie(), "192.0.2.1", json!(["khong-co"]))
        .await;
    assert_eq!(error_code(option).await, (400, "invalid_option".into()));
    let malformed = app.vote(POLL, &cookie(), "192.0.2.1", json!("tot")).await;
    assert_eq!(error_code(malformed).await, (400, "invalid_json".into()));
    let broken = app
        .http
        .post(app.url(&format!("/v1/polls/{POLL}/votes")))
        .header("content-type", "application/json")
        .body("{\"options\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(broken).await, (400, "invalid_json".into()));
    let foreign = app
        .http
        .post(app.url(&format!("/v1/polls/{POLL}/votes")))
        .header("content-type", "application/json")
        .header("origin", "https://evil.example")
        .body(json!({ "options": ["tot"] }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(foreign).await,
        (403, "origin_not_allowed".into())
    );
    // Close it through the admin API: ballots are refused, results stay.
    let voter = cookie();
    assert_eq!(
        app.vote(POLL, &voter, "192.0.2.1", json!(["tot"]))
            .await
            .status(),
        201
    );
    let closed = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/close"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(closed.status(), 200);
    let late = app.vote(POLL, &cookie(), "192.0.2.1", json!(["tot"])).await;
    assert_eq!(error_code(late).await, (403, "poll_closed".into()));
    assert_eq!(results(&app, POLL).await["status"], "closed");
    assert_eq!(results(&app, POLL).await["total_votes"], 1);
    let poll: Value = app.poll_for(POLL, &voter).await;
    assert_eq!(
        (poll["voted"].as_bool(), poll["status"].as_str()),
        (Some(true), Some("closed"))
    );
    assert_eq!(poll["choices"], json!(["tot"]));
    app.stop().await;
}

async fn an_already_voted_answer_carries_the_choice_and_results(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let visitor = cookie();
    assert_eq!(
        app.vote(POLL, &visitor, "192.0.2.1", json!(["rat-tot"]))
            .await
            .status(),
        201
    );
    let again = app
        .vote(POLL, &visitor, "192.0.2.1", json!(["chua-tot"]))
        .await;
    assert_eq!(again.status(), 409);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "already_voted");
    assert_eq!(body["error"]["choices"], json!(["rat-tot"]));
    assert_eq!(body["error"]["results"]["total_votes"], 1);
    app.stop().await;
}

async fn the_html_flow_works_without_javascript(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = no_redirects
        .get(app.url(&format!("/polls/{POLL}")))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let csp = form.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let visitor = set_cookie(&form).expect("the form page issues the visitor cookie");
    let html = form.text().await.unwrap();
    assert!(html.contains("Gửi bình chọn") && html.contains("Xem kết quả"));
    assert!(html.contains("type=\"radio\" name=\"option\" value=\"tot\""));
    assert!(!html.contains("<script"));

    let post = no_redirects
        .post(app.url(&format!("/polls/{POLL}")))
        .header("user-agent", BROWSER)
        .header("cookie", format!("tally_vid={visitor}"))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("option=tot")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 303);
    // Relative, so the pages work wherever a proxy mounts tally.
    let location = post.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{POLL}/results?lang=vi"));
    // The results page thanks the person who voted, and no one else: it
    // knows them by their cookie, not by anything in the address.
    let page = no_redirects
        .get(app.url(&format!("/polls/{location}")))
        .header("cookie", format!("tally_vid={visitor}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Cảm ơn bạn đã tham gia bình chọn!"), "{html}");
    assert!(html.contains("Tốt (Lựa chọn của bạn)"), "{html}");
    assert!(html.contains("<progress max=\"1000\" value=\"1000\""));
    assert!(html.contains("100,0%"));
    // In English too, the notice is a sentence of its own.
    let html = no_redirects
        .get(app.url(&format!("/polls/{POLL}/results?lang=en")))
        .header("cookie", format!("tally_vid={visitor}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Thank you for voting! Your choice: <strong>Tốt</strong>."),
        "{html}"
    );
    for stranger in [
        format!("/polls/{location}&notice=thanks"),
        format!("/polls/{location}"),
    ] {
        let html = no_redirects
            .get(app.url(&stranger))
            .header("cookie", format!("tally_vid={}", cookie()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("Cảm ơn"), "{stranger}: {html}");
        assert!(!html.contains("Lựa chọn của bạn"), "{stranger}");
    }

    // The same visitor again: already voted, nothing counted.
    let again = no_redirects
        .post(app.url(&format!("/polls/{POLL}")))
        .header("cookie", format!("tally_vid={visitor}"))
        .header("referer", format!("{}/polls/{POLL}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("option=chua-tot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.headers()["location"],
        format!("{POLL}/results?lang=vi")
    );
    assert_eq!(results(&app, POLL).await["total_votes"], 1);

    // A form post from a foreign page is refused.
    let foreign = no_redirects
        .post(app.url(&format!("/polls/{POLL}")))
        .header("accept", "text/html")
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("option=tot")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.text().await.unwrap().contains("origin_not_allowed"));

    // A form post that names no origin is not a visitor's form.
    let anonymous = no_redirects
        .post(app.url(&format!("/polls/{POLL}")))
        .header("accept", "text/html")
        .header("cookie", format!("tally_vid={}", cookie()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("option=tot")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
    assert!(
        anonymous
            .text()
            .await
            .unwrap()
            .contains("origin_not_allowed")
    );
    assert_eq!(results(&app, POLL).await["total_votes"], 1);

    // Nothing chosen: the form again, with an error, status 400.
    let empty = no_redirects
        .post(app.url(&format!("/polls/{POLL}?lang=en")))
        .header("cookie", format!("tally_vid={}", cookie()))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("Please choose at least one option.")
    );

    // An English-language browser reads the site's language; `?lang=en`
    // switches.
    let browser = app
        .http
        .get(app.url(&format!("/polls/{POLL}/results")))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        browser.contains("Tổng số phiếu: <strong>1</strong>"),
        "{browser}"
    );
    let english = app
        .http
        .get(app.url(&format!("/polls/{POLL}/results?lang=en")))
        .send()
        .await
        .unwrap();
    assert!(
        english
            .text()
            .await
            .unwrap()
            .contains("Total votes: <strong>1</strong>")
    );
    app.stop().await;
}

async fn labels_render_as_text(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let spec = json!({
        "question": "<img src=x onerror=alert(1)>?",
        "options": [
            { "id": "a", "label": "<script>alert(1)</script>" },
            { "id": "b", "label": "\"quoted\" & 'single'" }
        ]
    });
    let created = admin(
        &app,
        reqwest::Method::PUT,
        "/admin/polls/xss",
        Some(TOKEN),
        Some(spec),
    )
    .await;
    assert_eq!(created.status(), 201);
    for path in ["/polls/xss", "/polls/xss/results"] {
        let html = app
            .http
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("<script>alert(1)</script>"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
        assert!(html.contains("&quot;quoted&quot; &amp; 'single'"), "{path}");
    }
    app.stop().await;
}

async fn the_admin_api_needs_the_token(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let spec = json!({ "question": "Q?", "options": [{ "id": "a", "label": "A" }, { "id": "b", "label": "B" }] });
    // Wrong tokens, a near miss, and the right one with a space around it.
    for token in [
        "wrong-token-0123456789",
        "test-admin-token-012345678",
        " test-admin-token-0123456789",
    ] {
        let put = admin(
            &app,
            reqwest::Method::PUT,
            "/admin/polls/moi",
            Some(token),
            Some(spec.clone()),
        )
        .await;
        assert_eq!(put.status(), 401, "{token:?}");
        assert!(put.headers().contains_key("www-authenticate"));
        assert_eq!(error_code(put).await.1, "unauthorized");
    }
    // No token at all, on every admin endpoint.
    let put = admin(
        &app,
        reqwest::Method::PUT,
        "/admin/polls/moi",
        None,
        Some(spec),
    )
    .await;
    assert_eq!(put.status(), 401);
    let close = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/close"),
        None,
        None,
    )
    .await;
    assert_eq!(close.status(), 401);
    let baseline = admin(
        &app,
        reqwest::Method::PUT,
        "/admin/counter/baseline",
        None,
        Some(json!({ "baseline": 5 })),
    )
    .await;
    assert_eq!(baseline.status(), 401);
    // Nothing changed.
    assert_eq!(
        app.http
            .get(app.url("/v1/polls/moi"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(results(&app, POLL).await["status"], "open");
    assert_eq!(app.counter(None).await["total"], 0);

    let list: Value = admin(
        &app,
        reqwest::Method::GET,
        "/admin/polls",
        Some(TOKEN),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let ids: Vec<&str> = list["polls"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["poll"]["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "chuyen-muc-quan-tam",
            "danh-gia-cong",
            "lay-y-kien-quy-hoach"
        ],
        "{list}"
    );
    let baseline = admin(
        &app,
        reqwest::Method::PUT,
        "/admin/counter/baseline",
        Some(TOKEN),
        Some(json!({ "baseline": 7582803 })),
    )
    .await;
    assert_eq!(baseline.status(), 200);
    assert_eq!(
        app.counter_eventually("total", 7_582_803).await["total"],
        7_582_803
    );
    app.stop().await;
}

async fn replacing_options_with_ballots_needs_force(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    assert_eq!(
        app.vote(POLL, &cookie(), "192.0.2.1", json!(["chua-tot"]))
            .await
            .status(),
        201
    );
    let fewer = json!({
        "question": "Bạn đánh giá như thế nào về cổng thông tin này?",
        "options": [{ "id": "rat-tot", "label": "Rất tốt" }, { "id": "tot", "label": "Tốt" }]
    });
    let refused = admin(
        &app,
        reqwest::Method::PUT,
        &format!("/admin/polls/{POLL}"),
        Some(TOKEN),
        Some(fewer.clone()),
    )
    .await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "poll_has_ballots");
    assert_eq!(
        body["error"]["options"],
        json!([{ "id": "chua-tot", "votes": 1 }])
    );
    assert_eq!(
        results(&app, POLL).await["options"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let forced = admin(
        &app,
        reqwest::Method::PUT,
        &format!("/admin/polls/{POLL}?force=true"),
        Some(TOKEN),
        Some(fewer),
    )
    .await;
    assert_eq!(forced.status(), 200);
    let r = results(&app, POLL).await;
    assert_eq!(r["options"].as_array().unwrap().len(), 2);
    assert_eq!(r["total_votes"], 0);
    let invalid = admin(
        &app,
        reqwest::Method::PUT,
        "/admin/polls/x",
        Some(TOKEN),
        Some(json!({ "question": "Q", "options": [] })),
    )
    .await;
    assert_eq!(error_code(invalid).await, (400, "invalid_poll".into()));
    app.stop().await;
}

async fn reloading_the_polls_file_changes_nothing(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    assert_eq!(
        app.vote(POLL, &cookie(), "192.0.2.1", json!(["tot"]))
            .await
            .status(),
        201
    );
    admin(
        &app,
        reqwest::Method::POST,
        "/admin/polls/chuyen-muc-quan-tam/close",
        Some(TOKEN),
        None,
    )
    .await;
    let clock = app.clock.clone();
    app.stop().await;
    let again = TestApp::start_at(&home, clock, settings).await;
    let r = results(&again, POLL).await;
    assert_eq!(
        (r["total_votes"].as_u64(), r["status"].as_str()),
        (Some(1), Some("open"))
    );
    // The editor closed this one; the file does not reopen it.
    assert_eq!(
        results(&again, "chuyen-muc-quan-tam").await["status"],
        "closed"
    );
    again.stop().await;
}

on_every_store!(
    concurrent_ballots_from_one_visitor_count_once,
    a_thousand_visitors_over_many_addresses_count_a_thousand,
    the_per_address_cap_holds_exactly,
    multi_choice_counts_each_option_once,
    errors_follow_the_contract,
    an_already_voted_answer_carries_the_choice_and_results,
    the_html_flow_works_without_javascript,
    labels_render_as_text,
    the_admin_api_needs_the_token,
    replacing_options_with_ballots_needs_force,
    reloading_the_polls_file_changes_nothing,
);
