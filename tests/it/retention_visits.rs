//! Retention of what a hit leaves, over the running app with its clock
//! moved by hand: a visitor record kept for the visit window and a minute
//! (still counting the returning visitor once before then; in Redis a key
//! TTL of exactly that, in the embedded store deleted by the housekeeping
//! once it is past), and each day's most-read pages kept
//! `TALLY_HISTORY_PAGE_DAYS` days (still listed on the last, deleted from
//! the store on the next). Helpers to read the real Redis keys are here.

use jiff::{SignedDuration, Timestamp};
use tally::calendar::Day;
use tally::ids::{SiteId, VisitorKey};
use tally::store::keys;

use crate::support::{Backend, Home, TestApp, cookie, noon, redis_cli};

const TOKEN: &str = "test-admin-token-0123456789";

pub(crate) fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

pub(crate) fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

/// The ports of the Redis servers under `home` (none for the embedded store).
pub(crate) fn redis_ports(home: &Home) -> Vec<u16> {
    match home {
        Home::Embedded(_) => Vec::new(),
        Home::Redis(server) => vec![server.port],
        Home::Cluster(guard) => guard
            .nodes
            .iter()
            .map(|n| n.rsplit(':').next().unwrap().parse().unwrap())
            .collect(),
    }
}

/// The node holding `key` and the key's TTL in milliseconds, as the server
/// reports it (`-2`: no such key anywhere).
pub(crate) fn pttl(home: &Home, key: &str) -> i64 {
    redis_ports(home)
        .into_iter()
        .map(|port| redis_cli(port, &["pttl", key]).parse::<i64>().unwrap_or(-2))
        .find(|ttl| *ttl != -2)
        .unwrap_or(-2)
}

/// Asserts that `key`'s TTL is `expected` less at most the few seconds a
/// test takes (a real server counts it down in real time).
pub(crate) fn assert_ttl(home: &Home, key: &str, expected: SignedDuration) {
    let ttl = pttl(home, key);
    let expected = expected.as_millis() as i64;
    assert!(
        ttl <= expected && ttl > expected - 10_000,
        "{key}: PTTL {ttl} ms, expected {expected} ms"
    );
}

fn site() -> SiteId {
    SiteId::DEFAULT
}

/// Whether the store still holds `visitor`'s record at all: read with the
/// clock set back to before it could have expired, so only a record the
/// store deleted reads as missing. The app must be stopped (one process
/// holds the embedded store).
async fn visitor_stored(home: &Home, visitor: &str) -> bool {
    let store = home.open_store().await;
    let key = VisitorKey::from_cookie(visitor).unwrap();
    store
        .visitor_known(&site(), &key, noon() - mins(1))
        .await
        .unwrap()
}

async fn visitor_records_go_a_minute_after_the_window(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let lan = cookie();
    let key = keys::visitor(&site(), &VisitorKey::from_cookie(&lan).unwrap());
    let first = app.hit_json(Some(&lan), Some("/tin-tuc/1")).await;
    assert_eq!(
        (&first["total"], &first["page"]["views"]),
        (&1.into(), &1.into())
    );
    if !matches!(backend, Backend::Embedded) {
        // The visit window and a minute, on the real key.
        assert_ttl(&home, &key, mins(31));
    }
    // Within the window the record still makes the return the same visit
    // and the same page view; it is then kept 31 minutes from this hit.
    app.clock.set(noon() + mins(29));
    let back = app.hit_json(Some(&lan), Some("/tin-tuc/1")).await;
    assert_eq!(
        (&back["total"], &back["page"]["views"]),
        (&1.into(), &1.into())
    );
    if !matches!(backend, Backend::Embedded) {
        assert_ttl(&home, &key, mins(31));
        app.stop().await;
        return;
    }
    // A second before its time, the housekeeping keeps it...
    let gone_at = noon() + mins(29 + 31);
    app.clock.set(gone_at - SignedDuration::from_secs(1));
    app.flushed().await;
    app.stop().await;
    assert!(visitor_stored(&home, &lan).await, "deleted early");
    // ...and a second after, deletes it.
    let clock = std::sync::Arc::new(tally::clock::ManualClock::new(
        gone_at + SignedDuration::from_secs(1),
    ));
    let app = TestApp::start_at(&home, clock, settings).await;
    app.flushed().await;
    app.stop().await;
    assert!(!visitor_stored(&home, &lan).await, "kept past its time");
}

/// `day`'s most-read pages as the store holds them (app stopped).
async fn stored_pages(home: &Home, day: Day) -> usize {
    let store = home.open_store().await;
    store.pages_by_day(&site(), &[day], 100).await.unwrap()[0].len()
}

fn today(at: Timestamp) -> Day {
    tally::calendar::Calendar::new(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).day(at)
}

async fn listed_pages(app: &TestApp, from: Day, to: Day) -> serde_json::Value {
    let r = app
        .http
        .get(format!(
            "{}/admin/history/pages?from={from}&to={to}",
            app.ops
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn a_days_pages_go_after_their_days(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        settings(s);
        s.history_page_days = 90;
    })
    .await;
    let first = today(noon());
    app.hit_json(Some(&cookie()), Some("/tin-tuc/1")).await;
    app.flushed().await;
    let key = keys::pages_day(&site(), first);
    if !matches!(backend, Backend::Embedded) {
        assert_ttl(&home, &key, SignedDuration::from_hours(90 * 24));
    }
    // The 90th day, after its first write: the first day still listed.
    let last = noon() + SignedDuration::from_hours(89 * 24);
    app.clock.set(last);
    app.hit_json(Some(&cookie()), Some("/tin-tuc/2")).await;
    app.flushed().await;
    let listed = listed_pages(&app, first, today(last)).await;
    let days = listed["days"].as_array().unwrap();
    assert_eq!(days.len(), 90);
    assert_eq!(days[0]["day"], first.to_string());
    assert_eq!(days[0]["pages"][0]["page"], "/tin-tuc/1", "{listed}");
    // The next day's first write deletes it from the store.
    app.clock.set(last + SignedDuration::from_hours(24));
    app.hit_json(Some(&cookie()), Some("/tin-tuc/3")).await;
    app.flushed().await;
    if !matches!(backend, Backend::Embedded) {
        assert_eq!(pttl(&home, &key), -2, "{key} is still there");
    }
    app.stop().await;
    assert_eq!(stored_pages(&home, first).await, 0, "kept past its days");
    assert_eq!(stored_pages(&home, first.tomorrow().unwrap()).await, 0);
    assert_eq!(stored_pages(&home, today(last)).await, 1);
}

on_every_store!(
    visitor_records_go_a_minute_after_the_window,
    a_days_pages_go_after_their_days,
);
