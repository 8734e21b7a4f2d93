//! The counter over HTTP, against both stores: visits, windows, days in
//! Asia/Ho_Chi_Minh, concurrency, bots, cookies and restarts.

use futures::future::join_all;
use jiff::SignedDuration;
use serde_json::Value;

use crate::support::{Backend, Home, TestApp, cookie, set_cookie};

async fn total(app: &TestApp) -> u64 {
    app.counter(None).await["total"].as_u64().unwrap()
}

async fn a_reload_within_the_window_is_not_a_new_visit(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    let c = cookie();
    let first = app.hit_json(Some(&c), Some("/tin-tuc/1")).await;
    assert_eq!(first["total"], 1);
    assert_eq!(first["page"]["views"], 1);
    app.clock.advance(SignedDuration::from_mins(29));
    let reload = app.hit_json(Some(&c), Some("/tin-tuc/1")).await;
    assert_eq!(reload["total"], 1);
    assert_eq!(reload["today"], 1);
    assert_eq!(reload["page"]["views"], 1);
    app.stop().await;
}

async fn a_hit_after_the_window_is_a_new_visit(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        s.visit_window = std::time::Duration::from_secs(600)
    })
    .await;
    let c = cookie();
    app.hit_json(Some(&c), Some("/a")).await;
    app.clock.advance(SignedDuration::from_mins(10));
    let later = app.hit_json(Some(&c), Some("/a")).await;
    assert_eq!(later["total"], 2);
    assert_eq!(later["page"]["views"], 2);
    app.stop().await;
}

async fn the_day_turns_at_midnight_in_ho_chi_minh_city(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    // 23:59 local is 16:59 UTC.
    app.clock.set("2026-11-27T16:59:00Z".parse().unwrap());
    app.hit_json(Some(&cookie()), None).await;
    // 00:01 local: a new day there, though UTC still says the 27th.
    app.clock.set("2026-11-27T17:01:00Z".parse().unwrap());
    let after = app.hit_json(Some(&cookie()), None).await;
    assert_eq!(
        (after["today"].as_u64(), after["yesterday"].as_u64()),
        (Some(1), Some(1))
    );
    // UTC midnight is 07:00 local: nothing turns over then.
    app.clock.set("2026-11-28T00:01:00Z".parse().unwrap());
    let morning = app.hit_json(Some(&cookie()), None).await;
    assert_eq!(
        (morning["today"].as_u64(), morning["yesterday"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(morning["total"], 3);
    // The 27th was a Friday, the 28th a Saturday: the same week and month.
    assert_eq!(morning["this_week"], 3);
    assert_eq!(morning["this_month"], 3);
    // Monday 30 November begins a new week; 1 December a new month.
    app.clock.set("2026-11-30T00:30:00+07:00".parse().unwrap());
    let monday = app.hit_json(Some(&cookie()), None).await;
    assert_eq!(
        (monday["today"].as_u64(), monday["this_week"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(monday["this_month"], 4);
    app.clock.set("2026-12-01T00:30:00+07:00".parse().unwrap());
    let december = app.hit_json(Some(&cookie()), None).await;
    assert_eq!(
        (
            december["yesterday"].as_u64(),
            december["this_month"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(december["this_week"], 2);
    app.stop().await;
}

async fn a_thousand_concurrent_visitors_are_a_thousand_visits(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    let before = total(&app).await;
    let cookies: Vec<String> = (0..1000).map(|_| cookie()).collect();
    let answers = join_all(cookies.iter().map(|c| app.hit(Some(c), Some("/hot")))).await;
    assert!(answers.iter().all(|r| r.status() == 200));
    let after = app.settled_counter(Some("/hot")).await;
    assert_eq!(after["stale"], false);
    assert_eq!(after["total"].as_u64().unwrap() - before, 1000);
    assert_eq!(after["page"]["views"], 1000);
    assert_eq!(after["online"], 1000);
    app.stop().await;
}

async fn bots_are_answered_but_not_counted(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    app.hit_json(Some(&cookie()), Some("/a")).await;
    for ua in [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "",
        "curl/8.5.0",
    ] {
        let response = app
            .http
            .post(app.url("/v1/hits"))
            .header("user-agent", ua)
            .header("content-type", "application/json")
            .body(r#"{"page":"/a"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(set_cookie(&response).is_none(), "no cookie for {ua:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["total"], 1, "{ua:?}");
        assert_eq!(body["page"]["views"], 1, "{ua:?}");
    }
    assert_eq!(total(&app).await, 1);
    app.stop().await;
}

async fn a_visitor_without_cookie_gets_one_and_keeps_their_visit(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    let first = app.hit(None, Some("/a")).await;
    let issued = set_cookie(&first).expect("a cookie is issued");
    assert_eq!(issued.len(), 36);
    let header = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Max-Age=63072000", "Path=/"] {
        assert!(header.contains(attr), "{header}");
    }
    // The next load sends the cookie: same visit, same page view.
    let second = app.hit(Some(&issued), Some("/a")).await;
    assert!(set_cookie(&second).is_none());
    let body: Value = second.json().await.unwrap();
    assert_eq!(
        (body["total"].as_u64(), body["page"]["views"].as_u64()),
        (Some(1), Some(1))
    );
    // A browser that refuses cookies is known by address and User-Agent.
    let refused = app.hit_json(None, Some("/a")).await;
    assert_eq!(
        (refused["total"].as_u64(), refused["page"]["views"].as_u64()),
        (Some(1), Some(1))
    );
    app.stop().await;
}

async fn the_baseline_adds_to_the_total(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| s.counter_baseline = Some(7_582_803)).await;
    let body = app.hit_json(Some(&cookie()), None).await;
    assert_eq!(body["total"], 7_582_804);
    assert_eq!(body["today"], 1);
    app.stop().await;
}

/// `TALLY_COUNTER_BASELINE` seeds a store without a baseline; a baseline an
/// editor sets afterwards survives restarts with the setting unchanged,
/// and the audit log says who set which.
async fn an_editors_baseline_outlives_the_setting(backend: Backend) {
    const TOKEN: &str = "test-admin-token-0123456789";
    let home = Home::open(backend).await;
    let settings = |s: &mut tally::config::Settings| {
        s.counter_baseline = Some(7_582_803);
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    };
    let app = TestApp::start(&home, settings).await;
    assert_eq!(
        app.hit_json(Some(&cookie()), None).await["total"],
        7_582_804
    );
    let set = app
        .http
        .put(format!("{}/admin/counter/baseline", app.ops))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "baseline": 8_000_000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(
        app.hit_json(Some(&cookie()), None).await["total"],
        8_000_002
    );
    app.stop().await;

    let app = TestApp::start(&home, settings).await;
    assert_eq!(
        app.hit_json(Some(&cookie()), None).await["total"],
        8_000_003
    );
    let audit: serde_json::Value = app
        .http
        .get(format!("{}/admin/audit", app.ops))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let baselines: Vec<(String, u64)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "set_baseline")
        .map(|e| {
            (
                e["who"].as_str().unwrap().to_owned(),
                e["after"]["baseline"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        baselines,
        [
            ("admin".to_owned(), 8_000_000),
            ("TALLY_COUNTER_BASELINE".to_owned(), 7_582_803)
        ],
        "{audit}"
    );
    app.stop().await;
}

async fn online_counts_the_last_five_minutes(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    let (a, b) = (cookie(), cookie());
    app.hit_json(Some(&a), None).await;
    app.clock.advance(SignedDuration::from_mins(3));
    let both = app.hit_json(Some(&b), None).await;
    assert_eq!(both["online"], 2);
    app.clock.advance(SignedDuration::from_mins(3));
    let later = app.counter_eventually("online", 1).await;
    assert_eq!(later["online"], 1);
    app.clock.advance(SignedDuration::from_mins(3));
    assert_eq!(app.counter_eventually("online", 0).await["online"], 0);
    app.stop().await;
}

async fn counts_survive_a_restart(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    let c = cookie();
    for n in 0..5 {
        app.hit_json(Some(&cookie()), Some(&format!("/p/{n}")))
            .await;
    }
    app.hit_json(Some(&c), Some("/p/0")).await;
    let clock = app.clock.clone();
    app.stop().await;
    let again = TestApp::start_at(&home, clock, |_| {}).await;
    let counter = again.counter(Some("/p/0")).await;
    assert_eq!(counter["total"], 6);
    assert_eq!(counter["today"], 6);
    assert_eq!(counter["page"]["views"], 2);
    // The visitor's visit survived too: a reload is still not a new visit.
    let reload = again.hit_json(Some(&c), Some("/p/0")).await;
    assert_eq!(reload["total"], 6);
    again.stop().await;
}

/// Who is online is still online after a restart (a deployment), and
/// leaves when their five minutes are over.
async fn online_survives_a_restart(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    for _ in 0..3 {
        app.hit_json(Some(&cookie()), None).await;
    }
    assert_eq!(app.counter_eventually("online", 3).await["online"], 3);
    let clock = app.clock.clone();
    app.stop().await;
    clock.advance(SignedDuration::from_mins(1));
    let again = TestApp::start_at(&home, clock.clone(), |_| {}).await;
    assert_eq!(again.counter(None).await["online"], 3);
    clock.advance(SignedDuration::from_mins(5));
    assert_eq!(again.counter_eventually("online", 0).await["online"], 0);
    again.stop().await;
}

on_every_store!(
    a_reload_within_the_window_is_not_a_new_visit,
    a_hit_after_the_window_is_a_new_visit,
    the_day_turns_at_midnight_in_ho_chi_minh_city,
    a_thousand_concurrent_visitors_are_a_thousand_visits,
    bots_are_answered_but_not_counted,
    a_visitor_without_cookie_gets_one_and_keeps_their_visit,
    the_baseline_adds_to_the_total,
    an_editors_baseline_outlives_the_setting,
    online_counts_the_last_five_minutes,
    counts_survive_a_restart,
    online_survives_a_restart,
);
