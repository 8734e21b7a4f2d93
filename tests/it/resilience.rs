//! When things go wrong: Redis dies and comes back while hits and ballots
//! flow, and the real binary is stopped with SIGTERM under load.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::support::{
    BROWSER, Backend, Binary, Home, RedisServer, TestApp, cookie, eventually, get_json,
};

const POLL: &str = "danh-gia-cong";

fn polls_file() -> std::path::PathBuf {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_loses_no_answered_hit_and_no_acknowledged_ballot() {
    // Every write fsynced before Redis answers: what it acknowledged survives
    // a SIGKILL, so the test can tell tally's losses from Redis's.
    let mut home = Home::Redis(RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ]));
    let app = Arc::new(
        TestApp::start(&home, |s| {
            s.polls_file = Some(polls_file());
            s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        })
        .await,
    );
    let running = Arc::new(AtomicBool::new(true));
    let hits = Arc::new(Mutex::new(Vec::<u16>::new()));
    let ballots = Arc::new(Mutex::new(Vec::<(String, u16)>::new()));
    let readiness = Arc::new(Mutex::new(Vec::<u16>::new()));

    let mut tasks = Vec::new();
    for worker in 0..2 {
        let (app, running, hits) = (app.clone(), running.clone(), hits.clone());
        tasks.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let status = app
                    .hit(Some(&cookie()), Some(&format!("/p/{worker}")))
                    .await
                    .status()
                    .as_u16();
                hits.lock().await.push(status);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }
    {
        let (app, running, ballots) = (app.clone(), running.clone(), ballots.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u32;
            while running.load(Ordering::Relaxed) {
                let visitor = cookie();
                n += 1;
                let address = format!("198.51.100.{}", n % 200);
                let status = app
                    .vote(POLL, &visitor, &address, json!(["tot"]))
                    .await
                    .status()
                    .as_u16();
                ballots.lock().await.push((visitor, status));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    {
        let (app, running, readiness) = (app.clone(), running.clone(), readiness.clone());
        tasks.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let status = app
                    .http
                    .get(format!("{}/readyz", app.ops))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                readiness.lock().await.push(status);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }

    // Load flowing before the outage: hits and ballots answered.
    eventually(
        Duration::from_secs(20),
        "100 hits and 30 ballots answered before the outage",
        async || (hits.lock().await.len() >= 100 && ballots.lock().await.len() >= 30).then_some(()),
    )
    .await;
    let Home::Redis(redis) = &mut home else {
        unreachable!()
    };
    redis.kill();
    // The outage is seen, hits go on being answered (into the buffer), and
    // ballots and /readyz meet it.
    let answered = hits.lock().await.len();
    eventually(
        Duration::from_secs(20),
        "the outage seen, 100 more hits answered, a ballot and /readyz refused",
        async || {
            let seen = app.counter(None).await["stale"] == true
                && app.metric("tally_store_up").await == 0.0
                && app.metric("tally_hit_buffer").await > 0.0;
            let refused = ballots.lock().await.iter().any(|(_, s)| *s == 503)
                && readiness.lock().await.contains(&503);
            (seen && refused && hits.lock().await.len() >= answered + 100).then_some(())
        },
    )
    .await;
    redis.restart();
    // Traffic goes on while the store comes back.
    let (answered, cast) = (hits.lock().await.len(), ballots.lock().await.len());
    eventually(
        Duration::from_secs(20),
        "100 hits and 10 ballots answered after the restart",
        async || {
            (hits.lock().await.len() >= answered + 100 && ballots.lock().await.len() >= cast + 10)
                .then_some(())
        },
    )
    .await;
    running.store(false, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }

    // Everything buffered is written once Redis is back.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.metric("tally_hit_buffer").await > 0.0
        || app.metric("tally_ballot_retractions_waiting").await > 0.0
        || app.counter(None).await["stale"] == true
    {
        assert!(Instant::now() < deadline, "the buffer did not drain");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hits = hits.lock().await.clone();
    assert!(
        hits.iter().all(|&s| s == 200),
        "hits are always answered: {hits:?}"
    );
    let counted = app.counter(None).await;
    assert_eq!(
        counted["total"].as_u64().unwrap(),
        hits.len() as u64,
        "every answered hit is counted once"
    );
    assert_eq!(app.metric("tally_hit_buffer_dropped_total").await, 0.0);

    let ballots = ballots.lock().await.clone();
    let accepted: Vec<&String> = ballots
        .iter()
        .filter(|(_, s)| *s == 201)
        .map(|(v, _)| v)
        .collect();
    let refused: Vec<&String> = ballots
        .iter()
        .filter(|(_, s)| *s == 503)
        .map(|(v, _)| v)
        .collect();
    assert_eq!(
        accepted.len() + refused.len(),
        ballots.len(),
        "ballots are 201 or 503"
    );
    assert!(!refused.is_empty(), "some ballots met the outage");
    let results: Value = get_json(&app.http, app.url(&format!("/v1/polls/{POLL}/results"))).await;
    assert_eq!(
        results["total_votes"].as_u64().unwrap(),
        accepted.len() as u64
    );
    let mut voted = HashMap::new();
    for (visitor, status) in &ballots {
        let poll: Value = app.poll_for(POLL, visitor).await;
        voted.insert(visitor.clone(), (poll["voted"].as_bool().unwrap(), *status));
    }
    for (visitor, (voted, status)) in &voted {
        assert_eq!(
            *voted,
            *status == 201,
            "visitor {visitor} answered {status}"
        );
    }

    let readiness = readiness.lock().await.clone();
    assert!(readiness.contains(&503), "/readyz reported the outage");
    assert_eq!(readiness.last(), Some(&200), "/readyz recovered");
    assert_eq!(app.metric("tally_store_up").await, 1.0);
    Arc::into_inner(app)
        .expect("the tasks are done")
        .stop()
        .await;
}

async fn sigterm_under_load_keeps_every_answered_hit(backend: Backend) {
    let home = Home::open(backend).await;
    let mut env = vec![("TALLY_VISIT_WINDOW", "30m".to_string())];
    match home.store_settings() {
        tally::config::StoreSettings::Embedded { data_dir } => {
            env.push(("TALLY_DATA_DIR", data_dir.display().to_string()))
        }
        tally::config::StoreSettings::Redis { url } => env.push(("TALLY_REDIS_URL", url)),
        tally::config::StoreSettings::Cluster { nodes } => {
            env.push(("TALLY_REDIS_CLUSTER_NODES", nodes.join(",")))
        }
    }
    let tally = Binary::start(&env).await;
    let http = reqwest::Client::new();
    let answered = Arc::new(Mutex::new(0u64));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (http, answered, stop, url) = (
            http.clone(),
            answered.clone(),
            stop.clone(),
            format!("{}/v1/hits", tally.public),
        );
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let sent = http
                    .post(&url)
                    .header("user-agent", BROWSER)
                    .header("cookie", format!("tally_vid={}", cookie()))
                    .body(r#"{"page":"/a"}"#)
                    .header("content-type", "application/json")
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => *answered.lock().await += 1,
                    Ok(r) => panic!("unexpected {}", r.status()),
                    // Refused once the listener closed.
                    Err(_) => break,
                }
            }
        }));
    }
    eventually(
        Duration::from_secs(20),
        "200 hits answered before SIGTERM",
        async || (*answered.lock().await >= 200).then_some(()),
    )
    .await;
    tally.signal("TERM");
    let status = tally.wait(Duration::from_secs(25)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    assert!(status.success(), "exit status {status}");
    let answered = *answered.lock().await;
    assert!(answered > 100, "only {answered} hits were answered");

    let again = Binary::start(&env).await;
    let counter: Value = get_json(&http, format!("{}/v1/counter?page=/a", again.public)).await;
    assert_eq!(
        counter["total"].as_u64(),
        Some(answered),
        "every answered hit is in the store"
    );
    assert_eq!(counter["page"]["views"].as_u64(), Some(answered));
    again.signal("TERM");
    assert!(again.wait(Duration::from_secs(25)).await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_keeps_every_answered_hit_embedded() {
    sigterm_under_load_keeps_every_answered_hit(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_keeps_every_answered_hit_redis() {
    sigterm_under_load_keeps_every_answered_hit(Backend::Redis).await;
}

/// Stopped while the store it started without is still down, the app is
/// let go: the start's writes, retried until the store answers, stop with
/// it (they held the app, and an embedded store's file, for good).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_before_the_store_comes_up_nothing_holds_the_app() {
    let store = tally::config::StoreSettings::Redis {
        url: format!("redis://127.0.0.1:{}", crate::support::free_port()),
    };
    let mut app = TestApp::start_with_store(store, |s| {
        s.polls_file = Some(polls_file());
    })
    .await;
    let running = app.running.take().unwrap();
    let held = std::sync::Arc::downgrade(&running.app);
    running.stop().await;
    crate::support::eventually(
        Duration::from_secs(5),
        "the app is let go once stopped",
        async || (held.strong_count() == 0).then_some(()),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tally_starts_while_redis_is_down_and_catches_up() {
    let port = crate::support::free_port();
    let store = tally::config::StoreSettings::Redis {
        url: format!("redis://127.0.0.1:{port}"),
    };
    let app = TestApp::start_with_store(store, |s| {
        s.polls_file = Some(polls_file());
        s.counter_baseline = Some(7_582_803);
    })
    .await;
    let early = app.hit_json(Some(&cookie()), None).await;
    assert_eq!(early["stale"], true);
    // Hits while the store is down do not queue, one store timeout each,
    // behind the fetch of the day's hashing key (each took 1.5 s, one at a
    // time, before a failed fetch was remembered).
    let started = Instant::now();
    let cookies: Vec<String> = (0..40).map(|_| cookie()).collect();
    let hits = futures::future::join_all(cookies.iter().map(|c| app.hit_json(Some(c), None))).await;
    assert!(hits.iter().all(|h| h["stale"] == true));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "40 hits while the store is down took {:?}",
        started.elapsed()
    );
    let poll = app
        .http
        .get(app.url(&format!("/v1/polls/{POLL}")))
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), 503);
    assert!(poll.headers().contains_key("retry-after"));
    let ready = app
        .http
        .get(format!("{}/readyz", app.ops))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);

    let _redis = RedisServer::start_on(port, &[]);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let counter = app.counter(None).await;
        let poll = app
            .http
            .get(app.url(&format!("/v1/polls/{POLL}")))
            .send()
            .await
            .unwrap()
            .status();
        if counter["total"] == 7_582_844 && counter["stale"] == false && poll == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "{counter} / poll {poll}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_tally"))
        .env("TALLY_VISIT_WINDOW", "forever")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("tally: TALLY_VISIT_WINDOW:"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_keeps_ballots_through_kill_9_and_hits_within_a_second() {
    let home = Home::open(Backend::Embedded).await;
    let mut env = home.env();
    env.push(("TALLY_POLLS_FILE", polls_file().display().to_string()));
    env.push(("TALLY_TRUSTED_PROXIES", "127.0.0.1/32".into()));
    let tally = Binary::start(&env).await;
    let http = reqwest::Client::new();
    let mut accepted = 0;
    for n in 0..40 {
        let status = http
            .post(format!("{}/v1/polls/{POLL}/votes", tally.public))
            .header("user-agent", BROWSER)
            .header("cookie", format!("tally_vid={}", cookie()))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .header("content-type", "application/json")
            .body(json!({ "options": ["tot"] }).to_string())
            .send()
            .await
            .unwrap()
            .status();
        accepted += u64::from(status == 201);
    }
    assert_eq!(accepted, 40);
    for _ in 0..25 {
        let status = http
            .post(format!("{}/v1/hits", tally.public))
            .header("user-agent", BROWSER)
            .header("cookie", format!("tally_vid={}", cookie()))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    // Hits are written every flush and made durable within a second: this
    // wait is the documented bound under test, not a wait for a condition.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    tally.signal("KILL");
    tally.wait(Duration::from_secs(5)).await;

    let again = Binary::start(&env).await;
    let results: Value = get_json(&http, format!("{}/v1/polls/{POLL}/results", again.public)).await;
    assert_eq!(
        results["total_votes"], accepted,
        "every acknowledged ballot survived"
    );
    let counter: Value = get_json(&http, format!("{}/v1/counter", again.public)).await;
    assert_eq!(counter["total"], 25, "hits older than a second survived");
}
