//! History imports, all or nothing on every store: every day since 1970
//! at once (a century of days through the store's own interface); an
//! import cut at any point (its call given up, its connection
//! broken in the middle, Redis killed, tally killed -9) leaves the history
//! untouched or complete, and its answer says which (`503` only when
//! nothing changed); a failed import is in the audit log.

use std::time::{Duration, Instant};

use jiff::ToSpan;
use serde_json::Value;
use tally::calendar::Day;
use tally::config::{Secret, StoreSettings};
use tally::ids::SiteId;
use tally::store::{Import, Store};

use crate::support::gate::Gate;
use crate::support::{Backend, Binary, Home, RedisServer, TestApp, eventually, noon};

const SITE: SiteId = SiteId::DEFAULT;
const TOKEN: &str = "imports-admin-token-5f0c2a9e7b3d41c8a6e2f9b0d4c7a1e3";
/// Days in the largest import the store takes: a century.
const DAYS: usize = 40_000;
/// Days in a large file: about every day since 1970, the earliest year a
/// file may name.
const FILE_DAYS: usize = 20_000;
/// Days one admin read covers, within the API's bound.
const WINDOW: i64 = 7_000;

/// `n` days ending `last`, oldest first, each with its visits (`round`
/// moves every day's figure, so each round's import changes every day).
fn days(last: Day, n: usize, round: u64) -> Vec<(Day, u64)> {
    let first = last.days_before(n as u32 - 1);
    first
        .through(last)
        .enumerate()
        .map(|(i, day)| (day, 1_000 + (i as u64 * 7_919) % 5_000 + round))
        .collect()
}

fn csv(days: &[(Day, u64)]) -> String {
    let mut csv = String::from("date,visits\n");
    for (day, visits) in days {
        csv.push_str(&format!("{day},{visits}\n"));
    }
    csv
}

fn day_after(day: Day, n: i64) -> Day {
    Day::new(day.date().checked_add(n.days()).unwrap())
}

/// The app's today, and the last day a test imports (yesterday).
fn app_yesterday() -> Day {
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    Day::new(noon().to_zoned_datetime(zone).date()).yesterday()
}

async fn post_import(http: &reqwest::Client, ops: &str, csv: &str) -> reqwest::Response {
    http.post(format!("{ops}/admin/history/import"))
        .bearer_auth(TOKEN)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("the import was answered")
}

/// Each day's visits over `from..=to`, read through the admin API a window
/// at a time.
async fn visits(http: &reqwest::Client, ops: &str, from: Day, to: Day) -> Vec<u64> {
    let mut found = Vec::new();
    let mut start = from;
    while start <= to {
        let end = day_after(start, WINDOW - 1).min(to);
        let read: Value = http
            .get(format!("{ops}/admin/history/days?from={start}&to={end}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let days = read["days"].as_array().expect("a day's list");
        found.extend(days.iter().map(|d| d["visits"].as_u64().unwrap()));
        start = day_after(end, 1);
    }
    found
}

/// What the history says of `days`: all of them in, or none.
async fn all_or_none(http: &reqwest::Client, ops: &str, days: &[(Day, u64)]) -> bool {
    let read = visits(http, ops, days[0].0, days[days.len() - 1].0).await;
    let wanted: Vec<u64> = days.iter().map(|(_, v)| *v).collect();
    if read == wanted {
        return true;
    }
    assert!(
        read.iter().all(|v| *v == 0),
        "{} of {} days are in",
        read.iter().filter(|v| **v != 0).count(),
        days.len()
    );
    false
}

async fn audit(http: &reqwest::Client, ops: &str) -> Vec<Value> {
    let log: Value = http
        .get(format!("{ops}/admin/audit"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["entries"].as_array().unwrap().clone()
}

async fn start(store: StoreSettings, store_timeout: Duration) -> TestApp {
    TestApp::start_with_store(store, |s| {
        s.admin_token = Some(Secret::new(TOKEN.into()));
        s.store_timeout = store_timeout;
    })
    .await
}

/// Twenty thousand days are taken whole, on every store: each day, the
/// total, and again changing nothing.
async fn twenty_thousand_days_at_once(backend: Backend) {
    let home = Home::open(backend).await;
    let app = start(home.store_settings(), Duration::from_secs(3)).await;
    let days = days(app_yesterday(), FILE_DAYS, 0);
    let sum: u64 = days.iter().map(|(_, v)| v).sum();
    let before = app.settled_counter(None).await["total"].as_u64().unwrap();
    let response = post_import(&app.http, &app.ops, &csv(&days)).await;
    assert_eq!(response.status(), 200);
    let imported: Value = response.json().await.unwrap();
    assert_eq!(
        (&imported["days"], &imported["changed"], &imported["added"]),
        (&FILE_DAYS.into(), &FILE_DAYS.into(), &sum.into())
    );
    assert!(all_or_none(&app.http, &app.ops, &days).await);
    let total = before + sum;
    assert_eq!(app.counter_eventually("total", total).await["total"], total);
    let again: Value = post_import(&app.http, &app.ops, &csv(&days))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((&again["changed"], &again["added"]), (&0.into(), &0.into()));
    let entries = audit(&app.http, &app.ops).await;
    let noted = entries.iter().filter(|e| e["action"] == "import_visits");
    assert_eq!(noted.count(), 1, "one import changed something");
    app.stop().await;
}

/// Each day's visits the store holds for `days`.
async fn held(store: &dyn Store, days: &[(Day, u64)]) -> Vec<u64> {
    let (from, to) = (days[0].0, days[days.len() - 1].0);
    store.visits_by_day(&SITE, from, to).await.unwrap()
}

/// An import whose call is given up at any point, then settled, is in
/// whole or not at all, as the settling says; settled as not applied, it
/// never is.
async fn an_import_cut_anywhere_is_all_or_nothing(backend: Backend) {
    let home = Home::open(backend).await;
    let store = home.open_store().await;
    let today = app_yesterday().tomorrow().unwrap();
    let mut now: Vec<u64> = vec![0; DAYS];
    let cuts = [0, 2, 10, 30, 60, 100, 150, 300];
    for (round, cut) in cuts.into_iter().enumerate() {
        let days = days(today.yesterday(), DAYS, round as u64 + 1);
        let import = Import::new(days.clone(), today, noon());
        let call = store.import_visits(&SITE, &import);
        let applied = match tokio::time::timeout(Duration::from_millis(cut), call).await {
            Ok(Ok(_)) => true,
            Ok(Err(_)) | Err(_) => {
                let settled = store.settle_import(&SITE, &import.id, noon()).await;
                let applied = settled.unwrap().is_some();
                if !applied {
                    // Fenced off: the same import, sent late, changes nothing.
                    assert!(store.import_visits(&SITE, &import).await.is_err());
                }
                applied
            }
        };
        if applied {
            now = days.iter().map(|(_, v)| *v).collect();
        }
        assert!(held(store.as_ref(), &days).await == now, "cut at {cut} ms");
    }
    // Uncut, it applies; its outcome is kept under its id.
    let days = days(today.yesterday(), DAYS, 99);
    let import = Import::new(days.clone(), today, noon());
    let imported = store.import_visits(&SITE, &import).await.unwrap();
    assert_eq!(imported.changed, DAYS as u64);
    let settled = store.settle_import(&SITE, &import.id, noon()).await;
    assert_eq!(settled.unwrap(), Some(imported));
    let wanted: Vec<u64> = days.iter().map(|(_, v)| *v).collect();
    assert!(held(store.as_ref(), &days).await == wanted);
}

on_every_store!(
    twenty_thousand_days_at_once,
    an_import_cut_anywhere_is_all_or_nothing
);

/// Redis's connection broken while a large import is staged: `503`,
/// nothing changed, the failure audited; once Redis is reachable again the
/// same import applies whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_broken_mid_import_changes_nothing() {
    let redis = RedisServer::start();
    let gate = Gate::start(redis.port).await;
    let app = start(
        StoreSettings::Redis { url: gate.url() },
        Duration::from_secs(3),
    )
    .await;
    let days = days(app_yesterday(), FILE_DAYS, 0);
    let before = app.settled_counter(None).await["total"].as_u64().unwrap();
    // About a third of the import's staging (some 190 KB) goes through.
    gate.break_after(60_000);
    let response = post_import(&app.http, &app.ops, &csv(&days)).await;
    assert_eq!(response.status(), 503);
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "store_unavailable");
    assert!(!all_or_none(&app.http, &app.ops, &days).await);
    app.flushed().await;
    assert_eq!(app.settled_counter(None).await["total"], before);
    // What was staged goes by itself.
    let staged = redis.cli(&["--scan", "--pattern", "*imports:staged:*"]);
    for key in staged.lines() {
        let ttl: i64 = redis.cli(&["TTL", key]).parse().unwrap();
        assert!(ttl > 0, "{key} has a time to live");
    }
    // The editor can see what happened.
    let failed = eventually(Duration::from_secs(20), "the failure audited", async || {
        let entries = audit(&app.http, &app.ops).await;
        entries
            .into_iter()
            .find(|e| e["action"] == "import_visits_failed")
    })
    .await;
    assert_eq!(failed["who"], "admin");
    assert_eq!(failed["after"]["days"], FILE_DAYS);
    assert!(
        failed["after"]["why"]
            .as_str()
            .is_some_and(|w| !w.is_empty())
    );
    let response = post_import(&app.http, &app.ops, &csv(&days)).await;
    assert_eq!(response.status(), 200);
    assert!(all_or_none(&app.http, &app.ops, &days).await);
    app.stop().await;
}

/// A refused file is audited too: who, how many lines, why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_import_is_audited() {
    let home = Home::open(Backend::Embedded).await;
    let app = start(home.store_settings(), Duration::from_secs(3)).await;
    let response = post_import(&app.http, &app.ops, "2020-01-01,5\n2020-01-01,6\n").await;
    assert_eq!(response.status(), 400);
    let entries = audit(&app.http, &app.ops).await;
    let refused = entries
        .iter()
        .find(|e| e["action"] == "import_visits_failed")
        .expect("the refusal audited");
    assert_eq!(refused["after"]["lines"], 2);
    assert!(refused["after"]["why"].as_str().unwrap().contains("line 2"));
    app.stop().await;
}

/// Redis killed while a large import is staged or switched in: the answer
/// and the history agree, and after Redis is back the import applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_import_leaves_the_history_untouched_or_complete() {
    let mut redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let app = start(
        StoreSettings::Redis { url: redis.url() },
        Duration::from_secs(3),
    )
    .await;
    let days = days(app_yesterday(), FILE_DAYS, 0);
    let body = csv(&days);
    let posted = {
        let (http, ops, body) = (app.http.clone(), app.ops.clone(), body.clone());
        tokio::spawn(async move { post_import(&http, &ops, &body).await.status() })
    };
    wait_for_stage(redis.port).await;
    // Killed and started again on its append-only file: an import whose
    // switch may have run is settled once Redis answers.
    redis.restart();
    let status = posted.await.unwrap();
    let complete = all_or_none(&app.http, &app.ops, &days).await;
    match status.as_u16() {
        200 => assert!(complete),
        503 => assert!(!complete, "503 means nothing changed"),
        other => assert_eq!(other, 504, "unknown, and then either is right"),
    }
    let response = post_import(&app.http, &app.ops, &body).await;
    assert_eq!(response.status(), 200);
    assert!(all_or_none(&app.http, &app.ops, &days).await);
    app.stop().await;
}

/// Redis pausing writes longer than `TALLY_REQUEST_TIMEOUT` while an
/// import waits: the import has its own deadline, and applies whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_outlasts_the_request_timeout_while_redis_pauses() {
    let redis = RedisServer::start();
    let app = TestApp::start_with_store(StoreSettings::Redis { url: redis.url() }, |s| {
        s.admin_token = Some(Secret::new(TOKEN.into()));
        s.limits.request_timeout = Duration::from_secs(1);
    })
    .await;
    let days = days(app_yesterday(), FILE_DAYS, 0);
    // Its first write waits for the pause, past the request timeout.
    redis.cli(&["CLIENT", "PAUSE", "2500", "WRITE"]);
    let response = post_import(&app.http, &app.ops, &csv(&days)).await;
    assert_eq!(response.status(), 200);
    assert!(all_or_none(&app.http, &app.ops, &days).await);
    app.stop().await;
}

/// Waits until an import's stage appears in Redis on `port`.
async fn wait_for_stage(port: u16) {
    let client = ::redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let staged: Vec<String> = ::redis::cmd("KEYS")
            .arg("*imports:staged:*")
            .query_async(&mut conn)
            .await
            .unwrap();
        if !staged.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no import was staged");
    }
}

/// The embedded store under the smallest store timeout: an import is
/// answered whole (or refused with nothing changed), never `503` with its
/// days in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_answers_an_import_truly_under_a_tiny_store_timeout() {
    let home = Home::open(Backend::Embedded).await;
    for round in 0..2 {
        let days = days(app_yesterday(), FILE_DAYS, round);
        let app = start(home.store_settings(), Duration::from_millis(10)).await;
        let status = post_import(&app.http, &app.ops, &csv(&days)).await.status();
        app.stop().await;
        // Read back where reads have time to answer.
        let app = start(home.store_settings(), Duration::from_secs(3)).await;
        let complete = all_or_none(&app.http, &app.ops, &days).await;
        assert!(
            (status == 200 && complete) || (status == 503 && !complete),
            "answered {status}, all days in: {complete}"
        );
        app.stop().await;
    }
}

/// tally killed -9 in the middle of a large import, then started again:
/// all of the days are in, or none; the same import then applies.
async fn killed_mid_import(home: &Home) {
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("tally.log");
    let mut env = home.env();
    env.push(("TALLY_ADMIN_TOKEN", TOKEN.into()));
    if !matches!(home, Home::Embedded(_)) {
        // Its own local disk (spill files).
        env.push(("TALLY_DATA_DIR", log_dir.path().display().to_string()));
    }
    let tally = Binary::start_logging(&env, std::fs::File::create(&log_path).unwrap()).await;
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = Day::new(jiff::Timestamp::now().to_zoned_datetime(zone).date());
    let days = days(today.days_before(2), FILE_DAYS, 0);
    let body = csv(&days);
    let http = reqwest::Client::new();
    let posted = {
        let (http, ops, body) = (http.clone(), tally.ops.clone(), body.clone());
        tokio::spawn(async move { post_import(&http, &ops, &body).await })
    };
    // Killed once the import reached the store.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log_path).is_ok_and(|l| l.contains("history import")) {
        assert!(Instant::now() < deadline, "the import did not start");
        tokio::task::yield_now().await;
    }
    tally.signal("KILL");
    tally.wait(Duration::from_secs(5)).await;
    let _ = posted.await;
    let again = Binary::start(&env).await;
    all_or_none(&http, &again.ops, &days).await;
    let response = post_import(&http, &again.ops, &body).await;
    assert_eq!(response.status(), 200);
    assert!(all_or_none(&http, &again.ops, &days).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_import_leaves_all_days_or_none_embedded() {
    killed_mid_import(&Home::open(Backend::Embedded).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_import_leaves_all_days_or_none_redis() {
    killed_mid_import(&Home::open(Backend::Redis).await).await;
}
