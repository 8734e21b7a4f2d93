//! What one client, one crash or one careless setting can do to everyone:
//! slow bodies, a visitor opening thousands of pages, the page cap, the
//! baseline's bound, secrets in logs, a crash of the embedded store, and
//! SIGTERM while Redis is down. (Admin token guessing: `sign_in.rs`.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::future::join_all;
use jiff::SignedDuration;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{
    BROWSER, Backend, Binary, Home, RedisServer, TestApp, cookie, eventually, get_json,
};

/// Opens `n` connections to `to` from ten loopback addresses, each sending
/// the head of a hit that announces a 4000-byte body, then one byte of it.
async fn slow_bodies(to: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut open = Vec::with_capacity(n);
    for i in 0..n {
        let from: SocketAddr = format!("127.0.0.{}:0", 2 + i % 10).parse().unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(from).unwrap();
        let mut stream = socket.connect(to).await.unwrap();
        stream
            .write_all(
                b"POST /v1/hits HTTP/1.1\r\nHost: tally\r\nUser-Agent: Mozilla/5.0\r\n\
                  Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{",
            )
            .await
            .unwrap();
        open.push(stream);
    }
    open
}

/// Keeps the slow connections trickling a byte a second until dropped.
fn trickle(mut streams: Vec<TcpStream>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            for s in &mut streams {
                let _ = s.write_all(b" ").await;
            }
        }
    })
}

async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app
        .http
        .get(format!("{}/readyz?exclude=store", app.ops))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// 200 GET /v1/counter, one every 10 ms; their times, sorted.
async fn counter_times(app: &TestApp) -> Vec<Duration> {
    let mut took = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let response = app.http.get(app.url("/v1/counter")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        took.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    took.sort();
    took
}

/// 300 connections sending their bodies a byte a second hold no worker:
/// another client's counter stays fast, and the listener stays ready.
async fn slow_bodies_do_not_starve_other_clients(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        s.limits.max_in_flight = 64;
    })
    .await;
    let addr = app.running.as_ref().unwrap().public_addr;
    let p99 = |took: &[Duration]| took[took.len() * 99 / 100 - 1];
    let quiet = counter_times(&app).await;
    let slow = trickle(slow_bodies(addr, 300).await);
    let busy = counter_times(&app).await;
    let (q99, b99) = (p99(&quiet), p99(&busy));
    println!(
        "GET /v1/counter alone: p50 {:?}, p99 {q99:?}; beside 300 slow bodies: p50 {:?}, p99 {b99:?}",
        quiet[quiet.len() / 2],
        busy[busy.len() / 2]
    );
    // Measured against the same requests without the slow bodies, so a
    // loaded machine slows both. Were a slow body to hold a worker, the
    // counter would wait behind them for the body timeout, seconds: far
    // past five times the quiet p99, or 50 ms more than it.
    let bound = (5 * q99).max(q99 + Duration::from_millis(50));
    assert!(
        b99 <= bound,
        "p99 {b99:?} beside slow bodies, {q99:?} without them"
    );
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["public_listener"], "serving");
    slow.abort();
    app.stop().await;
}

/// With the connection cap reached by slow clients, readiness says the
/// listener is starved while it lasts, and ready again after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_reports_a_starved_listener_while_it_lasts() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.limits.max_connections = 40;
        s.limits.body_timeout = Duration::from_secs(30);
    })
    .await;
    let (status, _) = readiness(&app).await;
    assert_eq!(status, 200);
    let addr = app.running.as_ref().unwrap().public_addr;
    let slow = trickle(slow_bodies(addr, 60).await);
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let (status, body) = readiness(&app).await;
        if status == 503 {
            break body;
        }
        assert!(Instant::now() < deadline, "never reported starved: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(body["checks"]["public_listener"], "at_connection_cap");
    // The whole readiness (with the store) says so too.
    let full = app
        .http
        .get(format!("{}/readyz", app.ops))
        .send()
        .await
        .unwrap();
    assert_eq!(full.status(), 503);
    slow.abort();
    let deadline = Instant::now() + Duration::from_secs(10);
    while readiness(&app).await.0 != 200 {
        assert!(Instant::now() < deadline, "never ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.stop().await;
}

/// A body slower than `TALLY_BODY_TIMEOUT` is answered 408.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_too_slow_is_refused() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| s.limits.body_timeout = Duration::from_secs(1)).await;
    let addr = app.running.as_ref().unwrap().public_addr;
    let mut streams = slow_bodies(addr, 1).await;
    let mut stream = streams.pop().unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("answered and closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3));
    app.stop().await;
}

/// One cookie opening 2 000 distinct pages in one visit: a page it comes
/// back to is never counted again, and what is not counted is counted in
/// the metric.
async fn thousands_of_pages_in_one_visit_never_inflate_a_page(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |_| {}).await;
    let c = cookie();
    let first = app.hit_json(Some(&c), Some("/tin-tuc/muc-tieu")).await;
    assert_eq!(first["page"]["views"], 1);
    for chunk in 0..20 {
        let hits = (0..100).map(|i| {
            let page = format!("/p/{}", chunk * 100 + i);
            let c = c.clone();
            let app = &app;
            async move { app.hit(Some(&c), Some(&page)).await.status() }
        });
        assert!(join_all(hits).await.iter().all(|s| *s == 200));
        app.clock.advance(SignedDuration::from_secs(1));
        let back = app.hit_json(Some(&c), Some("/tin-tuc/muc-tieu")).await;
        assert_eq!(
            back["page"]["views"],
            1,
            "after {} pages",
            (chunk + 1) * 100
        );
    }
    let counter = app.settled_counter(Some("/tin-tuc/muc-tieu")).await;
    assert_eq!(counter["total"], 1);
    assert_eq!(counter["page"]["views"], 1);
    // 512 pages remembered (the target among them): 1 489 not counted.
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"tally_page_views_dropped_total{reason="visitor_cap"} 1489"#),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("dropped"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    app.stop().await;
}

/// Past `TALLY_MAX_PAGES`, a view of a new page is answered as what is
/// kept (none), and every view dropped is counted.
async fn a_dropped_view_is_answered_as_dropped(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| s.max_pages = 3).await;
    for page in ["/a", "/b", "/c"] {
        assert_eq!(
            app.hit_json(Some(&cookie()), Some(page)).await["page"]["views"],
            1
        );
    }
    app.settled_counter(None).await;
    // The three pages are in the store.
    app.flushed().await;
    for n in 0..5 {
        let over = app.hit_json(Some(&cookie()), Some("/d")).await;
        assert_eq!(over["page"]["views"], 0, "hit {n} on a page beyond the cap");
    }
    let kept = app.hit_json(Some(&cookie()), Some("/a")).await;
    assert_eq!(kept["page"]["views"], 2);
    assert_eq!(app.settled_counter(Some("/d")).await["page"]["views"], 0);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"tally_page_views_dropped_total{reason="site_cap"} 5"#),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("dropped"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    app.stop().await;
}

on_every_store!(
    slow_bodies_do_not_starve_other_clients,
    thousands_of_pages_in_one_visit_never_inflate_a_page,
    a_dropped_view_is_answered_as_dropped,
);

const TOKEN: &str = "test-admin-token-0123456789";

async fn admin(app: &TestApp, token: &str, from: &str, body: Value) -> reqwest::Response {
    app.http
        .put(format!("{}/admin/counter/baseline", app.ops))
        .header("authorization", format!("Bearer {token}"))
        .header("x-forwarded-for", from)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_baseline_is_bounded() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    })
    .await;
    for bad in [
        json!({ "baseline": 18446744073709551615u64 }),
        json!({ "baseline": 1_000_000_000_001u64 }),
        json!({ "baseline": -1 }),
        json!({ "baseline": 1.5 }),
        json!({ "baseline": "7582803" }),
    ] {
        let r = admin(&app, TOKEN, "127.0.0.1", bad.clone()).await;
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_baseline", "{bad}");
    }
    assert_eq!(app.counter(None).await["total"], 0, "nothing was set");
    let r = admin(
        &app,
        TOKEN,
        "127.0.0.1",
        json!({ "baseline": 1_000_000_000_000u64 }),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.counter_eventually("total", 1_000_000_000_000).await["total"],
        1_000_000_000_000u64
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_log() {
    let redis = RedisServer::start_with(&["--requirepass", "pa55-w0rd-secret"]);
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("tally.log");
    let env = [
        (
            "TALLY_REDIS_URL",
            format!("redis://:pa55-w0rd-secret@127.0.0.1:{}", redis.port),
        ),
        (
            "TALLY_ADMIN_TOKEN",
            "admin-token-never-logged-0123".to_string(),
        ),
        ("TALLY_DATA_DIR", dir.path().display().to_string()),
        ("TALLY_LOG", "debug".to_string()),
    ];
    let log = std::fs::File::create(&log_path).unwrap();
    let tally = Binary::start_logging(&env, log).await;
    let http = reqwest::Client::new();
    let hit = http
        .post(format!("{}/v1/hits", tally.public))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(hit.status(), 200);
    tally.signal("TERM");
    assert!(tally.wait(Duration::from_secs(25)).await.success());
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("redis at redis://:***@127.0.0.1"), "{text}");
    assert!(!text.contains("pa55-w0rd-secret"), "{text}");
    assert!(!text.contains("admin-token-never-logged"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour codes in a log file");

    // Wrong credentials: the start stops, in one line naming the setting.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .env(
            "TALLY_REDIS_URL",
            format!("redis://:wrong-guess@127.0.0.1:{}", redis.port),
        )
        .env("TALLY_LISTEN", "127.0.0.1:0")
        .env("TALLY_OPS_LISTEN", "127.0.0.1:0")
        .env("TALLY_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("tally: TALLY_REDIS_URL: Redis refused the credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-guess"), "{stderr}");
}

/// Hits answered while Redis is down, then SIGTERM with Redis still down:
/// they are spilled to disk and written by the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_the_store_down_spills_and_loses_nothing() {
    // Redis keeps what it acknowledged across its own restart (a batch
    // flushed before the kill is Redis's to keep, not the spill's).
    let mut redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("TALLY_REDIS_URL", redis.url()),
        ("TALLY_DATA_DIR", dir.path().display().to_string()),
        ("TALLY_SHUTDOWN_GRACE", "2s".to_string()),
    ];
    let tally = Binary::start(&env).await;
    let http = reqwest::Client::new();
    let send = |page: &'static str| {
        http.post(format!("{}/v1/hits", tally.public))
            .header("user-agent", BROWSER)
            .header("cookie", format!("tally_vid={}", cookie()))
            .header("content-type", "application/json")
            .body(json!({ "page": page }).to_string())
            .send()
    };
    for _ in 0..10 {
        assert_eq!(send("/truoc").await.unwrap().status(), 200);
    }
    redis.kill();
    let mut answered = 0;
    for _ in 0..40 {
        let r = send("/trong-su-co").await.unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["stale"], true);
        answered += 1;
    }
    tally.signal("TERM");
    assert!(tally.wait(Duration::from_secs(25)).await.success());
    let spill = dir.path().join("spill");
    let files: Vec<_> = std::fs::read_dir(&spill).unwrap().collect();
    assert_eq!(files.len(), 1, "one spill file");

    redis.restart();
    let again = Binary::start(&env).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let counter = loop {
        let c: Value = get_json(
            &http,
            format!("{}/v1/counter?page=/trong-su-co", again.public),
        )
        .await;
        if c["total"] == 10 + answered || Instant::now() > deadline {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(counter["total"], 10 + answered, "{counter}");
    assert_eq!(counter["page"]["views"], answered);
    assert_eq!(
        std::fs::read_dir(&spill).unwrap().count(),
        0,
        "the spill was taken"
    );
}

/// `kill -9` of the embedded store under steady hits loses at most the
/// last second of answered hits, as the README says; ballots none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_at_most_the_last_second_of_hits() {
    let home = Home::new(Backend::Embedded);
    let env = home.env();
    let tally = Binary::start(&env).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    // Answered hits, by when they were answered.
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (http, answered, url) = (
            http.clone(),
            answered.clone(),
            format!("{}/v1/hits", tally.public),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let sent = http
                    .post(&url)
                    .header("user-agent", BROWSER)
                    .header("cookie", format!("tally_vid={}", cookie()))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => answered.lock().unwrap().push(started.elapsed()),
                    _ => break,
                }
            }
        }));
    }
    // Seconds of steady hits (some 4 500 a second here), so most of what
    // was answered is older than the last second.
    eventually(
        Duration::from_secs(60),
        "15 000 hits answered before kill -9",
        async || (answered.lock().unwrap().len() >= 15_000).then_some(()),
    )
    .await;
    tally.signal("KILL");
    let killed_at = started.elapsed();
    tally.wait(Duration::from_secs(5)).await;
    for w in workers {
        let _ = w.await;
    }
    let answered = answered.lock().unwrap().clone();
    let again = Binary::start(&env).await;
    let counter: Value = get_json(&http, format!("{}/v1/counter", again.public)).await;
    let kept = counter["total"].as_u64().unwrap();
    let total = answered.len() as u64;
    let lost = total.saturating_sub(kept);
    let last_second = answered
        .iter()
        .filter(|at| **at + Duration::from_secs(1) >= killed_at)
        .count() as u64;
    println!(
        "kill -9: {total} hits answered, {kept} kept, {lost} lost; {last_second} answered in the last second"
    );
    assert!(kept <= total);
    assert!(
        lost <= last_second,
        "lost {lost}, more than the last second's {last_second}"
    );
}

/// Refused requests are logged at `info`, one line per kind at most every
/// 10 s with how many were not logged, and never with the client's address:
/// a ballot from a foreign page, a ballot without its challenge, requests
/// over the rate limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_logged_without_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("tally.log");
    let polls = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml");
    let env = [
        ("TALLY_DATA_DIR", dir.path().display().to_string()),
        ("TALLY_POLLS_FILE", polls.to_string()),
        ("TALLY_ALLOWED_ORIGINS", "https://portal.gov.vn".to_string()),
        ("TALLY_VOTE_RATE_LIMIT", "1000,1000".to_string()),
        ("TALLY_RATE_LIMIT", "1,5".to_string()),
    ];
    let log = std::fs::File::create(&log_path).unwrap();
    let tally = Binary::start_logging(&env, log).await;
    let http = reqwest::Client::new();
    let ballot = |poll: &str, option: &str, origin: &str| {
        http.post(format!("{}/v1/polls/{poll}/votes", tally.public))
            .header("origin", origin)
            .header("user-agent", BROWSER)
            .header("tally-visitor", cookie())
            .json(&json!({ "options": [option] }))
            .send()
    };
    for _ in 0..3 {
        let foreign = ballot("danh-gia-cong", "tot", "https://evil.example")
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403);
        let unsolved = ballot("lay-y-kien-quy-hoach", "tan-thanh", "https://portal.gov.vn")
            .await
            .unwrap();
        assert_eq!(unsolved.status(), 403);
        let body: Value = unsolved.json().await.unwrap();
        assert_eq!(body["error"]["code"], "challenge_required");
    }
    let mut limited = 0;
    for _ in 0..20 {
        let r = http
            .get(format!("{}/v1/counter", tally.public))
            .send()
            .await
            .unwrap();
        limited += u32::from(r.status() == 429);
    }
    assert!(limited >= 10, "{limited} of 20 reads were rate limited");
    tally.signal("TERM");
    assert!(tally.wait(Duration::from_secs(25)).await.success());
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines = |what: &str| text.lines().filter(|l| l.contains(what)).count();
    assert_eq!(
        lines("refused: the page's origin is not allowed"),
        1,
        "{text}"
    );
    assert_eq!(
        lines("refused: a ballot without a valid challenge solution"),
        1,
        "{text}"
    );
    assert_eq!(lines("refused: over the rate limit"), 1, "{text}");
    let refusals: Vec<&str> = text.lines().filter(|l| l.contains("refused:")).collect();
    assert!(refusals.iter().all(|l| l.contains("INFO")), "{refusals:?}");
    assert!(
        refusals.iter().all(|l| !l.contains("127.0.0.1")),
        "no address in a refusal: {refusals:?}"
    );
}
