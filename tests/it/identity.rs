//! Who a visitor is, where portals really run: the widget's first-party id
//! beside the cookie, many people behind one address with one browser
//! build, cookies refused, hits from foreign pages, and counts that agree
//! with each other over random traffic. Against every store.

use std::time::Duration;

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::{BROWSER, Backend, Home, TestApp, cookie, eventually, set_cookie};

const POLL: &str = "danh-gia-cong";

fn polls_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/polls.toml")
}

fn settings(s: &mut tally::config::Settings) {
    s.polls_file = Some(polls_file());
    s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    s.allowed_origins = vec!["https://portal.gov.vn".into()];
}

/// A browser request from `address` (forwarded by a trusted proxy), with
/// whatever identity headers `with` adds.
fn from(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    address: &str,
) -> reqwest::RequestBuilder {
    app.http
        .request(method, app.url(path))
        .header("user-agent", BROWSER)
        .header("x-forwarded-for", address)
}

async fn hit(app: &TestApp, address: &str, identity: &[(&str, String)], page: &str) -> Value {
    let mut req = from(app, reqwest::Method::POST, "/v1/hits", address)
        .header("content-type", "text/plain")
        .body(json!({ "page": page }).to_string());
    for (name, value) in identity {
        req = req.header(*name, value);
    }
    let response = req.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn first_party(id: &str) -> Vec<(&'static str, String)> {
    vec![("tally-visitor", id.to_owned())]
}

fn with_cookie(id: &str) -> Vec<(&'static str, String)> {
    vec![("cookie", format!("tally_vid={id}"))]
}

async fn a_first_party_id_is_a_person_and_gets_its_cookie(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let (a, b) = (cookie(), cookie());
    let first = from(&app, reqwest::Method::POST, "/v1/hits", "203.0.113.5")
        .header("tally-visitor", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_cookie(&first).as_deref(),
        Some(a.as_str()),
        "the cookie takes the first-party id, so a same-site deployment keeps one id"
    );
    // Same address, same browser build: a second person all the same.
    let second = hit(&app, "203.0.113.5", &first_party(&b), "/a").await;
    assert_eq!(
        (second["today"].as_u64(), second["online"].as_u64()),
        (Some(2), Some(2))
    );
    // Reloads by either add nothing.
    hit(&app, "203.0.113.5", &first_party(&a), "/a").await;
    let again = hit(&app, "203.0.113.5", &first_party(&b), "/a").await;
    assert_eq!(again["today"], 2);
    assert_eq!(again["page"]["views"], 2);
    // The cookie with the same id is the same person.
    let same = hit(&app, "203.0.113.5", &with_cookie(&a), "/a").await;
    assert_eq!(
        (same["today"].as_u64(), same["page"]["views"].as_u64()),
        (Some(2), Some(2))
    );
    app.stop().await;
}

async fn a_malformed_first_party_id_is_refused(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let response = from(&app, reqwest::Method::POST, "/v1/hits", "203.0.113.6")
        .header("tally-visitor", "not-an-id")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_visitor");
    assert_eq!(app.counter(None).await["total"], 0);
    app.stop().await;
}

async fn people_behind_one_address_never_speak_for_each_other(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.votes_per_address = 3;
    })
    .await;
    let ballot = |choice: &str, identity: Vec<(&'static str, String)>| {
        let mut req = from(
            &app,
            reqwest::Method::POST,
            &format!("/v1/polls/{POLL}/votes"),
            "198.51.100.20",
        )
        .header("content-type", "application/json")
        .body(json!({ "options": [choice] }).to_string());
        for (name, value) in identity {
            req = req.header(name, value);
        }
        req.send()
    };
    // Person A, with no cookie and no storage, votes.
    let a = ballot("tot", vec![]).await.unwrap();
    assert_eq!(a.status(), 201);
    let a_cookie = set_cookie(&a).expect("a fresh id is issued with the ballot");
    // Person B: same address, same browser build, nothing stored either.
    let b_reads: Value = from(
        &app,
        reqwest::Method::GET,
        &format!("/v1/polls/{POLL}"),
        "198.51.100.20",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(b_reads["voted"], false, "{b_reads}");
    assert!(
        b_reads.get("choices").is_none(),
        "A's choice is not shown to B"
    );
    let b = ballot("chua-tot", vec![]).await.unwrap();
    assert_eq!(b.status(), 201, "B is not refused because A voted");
    // A, with the cookie A was given, has voted: told so, with A's choice.
    let again = ballot("binh-thuong", with_cookie(&a_cookie)).await.unwrap();
    assert_eq!(again.status(), 409);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["choices"], json!(["tot"]));
    // The per-address cap still bounds ballots without an identity.
    assert_eq!(ballot("tot", vec![]).await.unwrap().status(), 201);
    let capped = ballot("tot", vec![]).await.unwrap();
    assert_eq!(capped.status(), 429);
    let body: Value = capped.json().await.unwrap();
    assert_eq!(body["error"]["code"], "address_limit_reached");
    let results: Value =
        crate::support::get_json(&app.http, app.url(&format!("/v1/polls/{POLL}/results"))).await;
    assert_eq!(results["total_votes"], 3);
    assert_eq!(results["total_voters"], 3);
    app.stop().await;
}

async fn a_hit_from_a_foreign_page_is_answered_but_not_counted(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let send = |origin: Option<&str>| {
        let mut req = from(&app, reqwest::Method::POST, "/v1/hits", "203.0.113.9")
            .header("tally-visitor", cookie());
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        req.send()
    };
    let foreign = send(Some("https://copycat.example")).await.unwrap();
    assert_eq!(foreign.status(), 200, "answered");
    let body: Value = foreign.json().await.unwrap();
    assert_eq!(body["total"], 0, "not counted");
    assert_eq!(
        send(Some("https://portal.gov.vn")).await.unwrap().status(),
        200
    );
    assert_eq!(send(None).await.unwrap().status(), 200);
    // A pixel on a foreign page names it in Referer.
    let pixel = from(&app, reqwest::Method::GET, "/v1/pixel.gif", "203.0.113.9")
        .header("referer", "https://copycat.example/trang")
        .send()
        .await
        .unwrap();
    assert_eq!(pixel.status(), 200);
    assert_eq!(app.settled_counter(None).await["total"], 2);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"tally_hits_total{outcome="foreign_origin"} 2"#),
        "{metrics}"
    );
    app.stop().await;
}

/// The Redis memory in use, in bytes.
fn redis_memory(port: u16) -> i64 {
    crate::support::redis_cli(port, &["info", "memory"])
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("INFO memory answers used_memory")
}

/// The size of every file under `dir`, in bytes.
fn dir_size(dir: &std::path::Path) -> i64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                dir_size(&e.path())
            } else {
                meta.len() as i64
            }
        })
        .sum()
}

/// The store's size once every write has landed: two measures 200 ms
/// apart agree.
async fn steady_size(grown: &impl Fn(i64) -> i64) -> i64 {
    let mut last = grown(0);
    eventually(
        Duration::from_secs(15),
        "the store's size settling",
        async || {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = grown(0);
            let steady = now == last;
            last = now;
            steady.then_some(now)
        },
    )
    .await
}

/// 10 000 hits from one address and one browser build that refuses every
/// identity, over 512 pages: the store grows by less than a megabyte.
async fn refusing_every_identity_costs_no_store_growth(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let grown = |before: i64| -> i64 {
        match &home {
            Home::Redis(server) => redis_memory(server.port) - before,
            Home::Embedded(dir) => dir_size(dir.path()) - before,
            Home::Cluster(_) => unreachable!("measured on one server"),
        }
    };
    // The day's hashing key and the site's keys exist before measuring.
    hit(&app, "192.0.2.1", &[], "/p/0").await;
    app.flushed().await;
    let before = steady_size(&grown).await;
    let pages: Vec<String> = (0..512).map(|n| format!("/p/{n}")).collect();
    for round in 0..(10_000 / 100) {
        let batch = (0..100).map(|i| {
            let page = &pages[(round * 100 + i) % pages.len()];
            from(&app, reqwest::Method::POST, "/v1/hits", "192.0.2.1")
                .body(json!({ "page": page }).to_string())
                .header("content-type", "text/plain")
                .send()
        });
        for response in join_all(batch).await {
            assert_eq!(response.unwrap().status(), 200);
        }
        app.clock.advance(SignedDuration::from_millis(100));
    }
    let counter = app.settled_counter(Some("/p/1")).await;
    assert_eq!(counter["total"], 1, "one visitor, one visit");
    assert_eq!(counter["page"]["views"], 1);
    app.flushed().await;
    let growth = steady_size(&grown).await - before;
    println!("store growth after 10 000 cookie-less hits: {growth} bytes");
    assert!(growth < 1_000_000, "the store grew by {growth} bytes");
    app.stop().await;
}

/// A small deterministic generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// How a simulated person shows themselves.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Keeps the cookie tally gives them (starts with none).
    Cookie,
    /// Runs the widget: a first-party id from the first request.
    FirstParty,
    /// Refuses every identity.
    Nothing,
}

struct Person {
    kind: Kind,
    address: String,
    cookie: Option<String>,
    first_party: String,
}

/// Random traffic — cookies, first-party ids, neither; people sharing
/// addresses; returning visitors; clock jumps across midnight — and after
/// every hit: `online ≤ today` (except in the first five minutes after
/// local midnight), `today ≤ this_week`, `today ≤ this_month`.
async fn the_numbers_agree_over_random_traffic(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    // 23:20 local: the run crosses midnight.
    app.clock.set("2026-11-27T16:20:00Z".parse().unwrap());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut people: Vec<Person> = (0..30)
        .map(|n| Person {
            kind: [Kind::Cookie, Kind::FirstParty, Kind::Nothing][n % 3],
            // Ten addresses: people share them, as behind a NAT.
            address: format!("10.9.0.{}", n % 10),
            cookie: None,
            first_party: cookie(),
        })
        .collect();
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    for step in 0..400 {
        let who = rng.below(people.len() as u64) as usize;
        let page = format!("/p/{}", rng.below(8));
        let person = &mut people[who];
        let identity = match person.kind {
            Kind::FirstParty => first_party(&person.first_party),
            Kind::Cookie => person
                .cookie
                .as_deref()
                .map(with_cookie)
                .unwrap_or_default(),
            Kind::Nothing => vec![],
        };
        let mut req = from(&app, reqwest::Method::POST, "/v1/hits", &person.address)
            .header("content-type", "text/plain")
            .body(json!({ "page": page }).to_string());
        for (name, value) in identity {
            req = req.header(name, value);
        }
        let response = req.send().await.unwrap();
        assert_eq!(response.status(), 200);
        if let (Kind::Cookie, Some(issued)) = (person.kind, set_cookie(&response)) {
            person.cookie.get_or_insert(issued);
        }
        let counter: Value = response.json().await.unwrap();
        let (online, today) = (
            counter["online"].as_u64().unwrap(),
            counter["today"].as_u64().unwrap(),
        );
        let now: Timestamp = tally::clock::Clock::now(app.clock.as_ref());
        let local = now.to_zoned_datetime(tz.clone());
        let after_midnight = local.hour() == 0 && local.minute() < 5;
        if !after_midnight {
            assert!(
                online <= today,
                "step {step} at {local}: online {online} > today {today}"
            );
        }
        assert!(
            today <= counter["this_week"].as_u64().unwrap(),
            "step {step}: {counter}"
        );
        assert!(
            today <= counter["this_month"].as_u64().unwrap(),
            "step {step}: {counter}"
        );
        // Mostly seconds apart; now and then a long quiet spell.
        let advance = match rng.below(20) {
            0 => 40 * 60,
            1 => 6 * 60,
            _ => rng.below(30) as i64,
        };
        app.clock.advance(SignedDuration::from_secs(advance));
    }
    let end = tally::clock::Clock::now(app.clock.as_ref()).to_zoned_datetime(tz);
    assert!(end.day() == 28, "the run crossed midnight (ended {end})");
    app.stop().await;
}

async fn results_count_people_beside_votes(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let multi = "chuyen-muc-quan-tam";
    for choices in [json!(["tin-tuc", "van-ban"]), json!(["tin-tuc"])] {
        let status = app
            .vote(multi, &cookie(), "198.51.100.30", choices)
            .await
            .status();
        assert_eq!(status, 201);
    }
    let results: Value =
        crate::support::get_json(&app.http, app.url(&format!("/v1/polls/{multi}/results"))).await;
    assert_eq!(results["total_votes"], 3);
    assert_eq!(results["total_voters"], 2);
    assert_eq!(results["percent_base"], "votes");
    app.stop().await;
}

on_every_store!(
    a_first_party_id_is_a_person_and_gets_its_cookie,
    a_malformed_first_party_id_is_refused,
    people_behind_one_address_never_speak_for_each_other,
    a_hit_from_a_foreign_page_is_answered_but_not_counted,
    the_numbers_agree_over_random_traffic,
    results_count_people_beside_votes,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_every_identity_costs_no_redis_memory() {
    refusing_every_identity_costs_no_store_growth(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_every_identity_costs_no_embedded_disk() {
    refusing_every_identity_costs_no_store_growth(Backend::Embedded).await;
}
