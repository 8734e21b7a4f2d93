//! Ballots that scripts cannot stuff: a poll that asks for a solved
//! challenge refuses a ballot without one, with a wrong, expired or
//! replayed one, and counts a solved one once; 10 000 concurrent replays of
//! one solution count once; in `auto`, a flood under made-up ids from one
//! network raises that network's level and no other's, on every replica,
//! a proof below it is refused, and honest ballots before, during and after
//! it are counted.

use std::sync::Arc;

use crate::support::{BROWSER, Backend, Home, TestApp, cookie};
use futures::StreamExt;
use jiff::SignedDuration;
use serde_json::{Value, json};
use tally::challenge::Challenge;

const TOKEN: &str = "test-admin-token-0123456789";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.votes_per_address = 1_000_000;
    s.votes_per_network = 1_000_000;
    s.votes_per_ipv6_site = 1_000_000;
    // The test's requests say which network they come from.
    s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

pub(crate) async fn put_poll(app: &TestApp, id: &str, challenge: &str) {
    let r = app
        .http
        .put(format!("{}/admin/polls/{id}", app.ops))
        .bearer_auth(TOKEN)
        .json(&json!({
            "question": "Ý kiến của bạn về dự thảo?",
            "options": [{ "id": "tan-thanh", "label": "Tán thành" },
                        { "id": "khong", "label": "Không tán thành" }],
            "challenge": challenge,
        }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

pub(crate) async fn challenge(app: &TestApp, poll: &str) -> Challenge {
    challenge_from(app, poll, "127.0.0.1").await
}

/// A challenge as a client on network `from` is asked it.
async fn challenge_from(app: &TestApp, poll: &str, from: &str) -> Challenge {
    let r = app
        .http
        .get(app.url(&format!("/v1/polls/{poll}/challenge")))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// A fresh challenge, solved.
async fn solved(app: &TestApp, poll: &str) -> String {
    solved_from(app, poll, "127.0.0.1").await
}

/// The challenge a client on network `from` is asked, solved.
async fn solved_from(app: &TestApp, poll: &str, from: &str) -> String {
    challenge_from(app, poll, from)
        .await
        .solve()
        .expect("a challenge has a solution")
        .to_compact()
}

/// The level a client on network `from` is asked in `poll` now.
async fn level_from(app: &TestApp, poll: &str, from: &str) -> u8 {
    challenge_from(app, poll, from).await.level.get()
}

/// A ballot under a made-up `Tally-Visitor` id, as a script sends it, on
/// network `from`, with `proof`.
async fn vote_made_up(app: &TestApp, poll: &str, from: &str, proof: &str) -> (u16, Value) {
    let r = app
        .http
        .post(app.url(&format!("/v1/polls/{poll}/votes")))
        .header("user-agent", BROWSER)
        .header("x-forwarded-for", from)
        .header("tally-visitor", cookie())
        .json(&json!({ "options": ["tan-thanh"], "proof": proof }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A ballot from `visitor` (a cookie; none: a fresh identity) on network
/// `from`, with `proof`.
async fn vote(
    app: &TestApp,
    poll: &str,
    visitor: Option<&str>,
    from: &str,
    proof: Option<&str>,
) -> (u16, Value) {
    let mut body = json!({ "options": ["tan-thanh"] });
    if let Some(proof) = proof {
        body["proof"] = json!(proof);
    }
    let mut req = app
        .http
        .post(app.url(&format!("/v1/polls/{poll}/votes")))
        .header("user-agent", BROWSER)
        .header("x-forwarded-for", from)
        .json(&body);
    if let Some(visitor) = visitor {
        req = req.header("cookie", format!("tally_vid={visitor}"));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn total(app: &TestApp, poll: &str) -> u64 {
    let r: Value = app
        .http
        .get(app.url(&format!("/v1/polls/{poll}/results")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["total_votes"].as_u64().unwrap()
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn a_solution_that_holds_counts_once(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(&app, "du-thao", "on").await;
    put_poll(&app, "khac", "on").await;
    let poll: Value = app
        .http
        .get(app.url("/v1/polls/du-thao"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(poll["challenge"], "on");
    let ip = "203.0.113.7";

    let (status, body) = vote(&app, "du-thao", Some(&cookie()), ip, None).await;
    assert_eq!((status, code(&body)), (403, "challenge_required"));
    let (status, body) = vote(&app, "du-thao", Some(&cookie()), ip, Some("xyz")).await;
    assert_eq!((status, code(&body)), (400, "challenge_malformed"));
    // A wrong number.
    let issued = challenge(&app, "du-thao").await;
    let right = issued.solve().unwrap();
    let wrong = format!(
        "{}{}.{}",
        issued.salt,
        (right.number() + 1) % (issued.maxnumber + 1),
        issued.signature
    );
    let (status, body) = vote(&app, "du-thao", Some(&cookie()), ip, Some(&wrong)).await;
    assert_eq!((status, code(&body)), (403, "challenge_invalid"));
    // Another poll's solution.
    let other = solved(&app, "khac").await;
    let (status, body) = vote(&app, "du-thao", Some(&cookie()), ip, Some(&other)).await;
    assert_eq!((status, code(&body)), (403, "challenge_other_poll"));
    // Solved, but sent after it expired.
    let late = solved(&app, "du-thao").await;
    app.clock.advance(SignedDuration::from_mins(11));
    let (status, body) = vote(&app, "du-thao", Some(&cookie()), ip, Some(&late)).await;
    assert_eq!((status, code(&body)), (403, "challenge_expired"));
    assert_eq!(total(&app, "du-thao").await, 0, "nothing refused counts");

    // Solved: counted; the same solution from someone else is a replay.
    let proof = solved(&app, "du-thao").await;
    let voter = cookie();
    let (status, _) = vote(&app, "du-thao", Some(&voter), ip, Some(&proof)).await;
    assert_eq!(status, 201);
    let (status, body) = vote(&app, "du-thao", Some(&cookie()), ip, Some(&proof)).await;
    assert_eq!((status, code(&body)), (403, "challenge_replayed"));
    assert_eq!(total(&app, "du-thao").await, 1);

    let metrics = app.metrics().await;
    for code in [
        "challenge_required",
        "challenge_malformed",
        "challenge_invalid",
        "challenge_other_poll",
        "challenge_expired",
        "challenge_replayed",
    ] {
        assert!(
            metrics.contains(&format!(
                "tally_challenge_failures_total{{code=\"{code}\"}} 1"
            )),
            "{code}: {metrics}"
        );
    }

    // A form post cannot solve one: it counts under the form's cap.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |visitor: String| {
        browser
            .post(app.url("/polls/du-thao"))
            .header("user-agent", BROWSER)
            .header("origin", app.base.clone())
            .header("x-forwarded-for", "198.51.100.20")
            .header("cookie", format!("tally_vid={visitor}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("option=khong")
    };
    let mut answered = Vec::new();
    for _ in 0..7 {
        let r = form(cookie()).send().await.unwrap();
        answered.push(r.status().as_u16());
    }
    assert_eq!(
        answered,
        [303, 303, 303, 303, 303, 429, 429],
        "5 a day by form"
    );
    assert_eq!(total(&app, "du-thao").await, 6);
    app.stop().await;
}

async fn a_poll_without_a_challenge_takes_ballots_as_before(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(&app, "thuong", "off").await;
    let (status, _) = vote(&app, "thuong", Some(&cookie()), "203.0.113.8", None).await;
    assert_eq!(status, 201);
    app.stop().await;
}

/// One solved challenge is one person's ballot: the same proof with the
/// same ballot id sent by 40 others (a cookie, a first-party id, or no
/// identity at all) counts nothing more, and neither does the same proof
/// under 40 other ballot ids; its owner's retry is still their ballot.
async fn a_solution_is_one_persons_ballot(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(&app, "du-thao", "on").await;
    let proof = solved(&app, "du-thao").await;
    let ballot = "5eed".repeat(8);
    let send = async |identity: &str, ballot: &str| {
        let mut req = app
            .http
            .post(app.url("/v1/polls/du-thao/votes"))
            .header("user-agent", BROWSER)
            .header("x-forwarded-for", "203.0.113.50")
            .json(&json!({ "options": ["tan-thanh"], "proof": proof, "ballot": ballot }));
        req = match identity.split_once('=') {
            Some(("cookie", id)) => req.header("cookie", format!("tally_vid={id}")),
            Some(("first-party", id)) => req.header("tally-visitor", id),
            _ => req,
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let owner = format!("cookie={}", cookie());
    assert_eq!(send(&owner, &ballot).await.0, 201);
    for n in 0..120 {
        let identity = match n % 3 {
            0 => format!("cookie={}", cookie()),
            1 => format!("first-party={}", cookie()),
            _ => "none".to_owned(),
        };
        let id = if n < 60 {
            ballot.clone()
        } else {
            format!("{n:032x}")
        };
        let (status, body) = send(&identity, &id).await;
        assert_eq!(
            (status, code(&body)),
            (403, "challenge_replayed"),
            "{n}: {identity}"
        );
    }
    // The owner's retry (its answer lost) is the same ballot: 201 again.
    assert_eq!(send(&owner, &ballot).await.0, 201);
    assert_eq!(total(&app, "du-thao").await, 1);
    app.stop().await;
}

on_every_store!(
    a_solution_that_holds_counts_once,
    a_solution_is_one_persons_ballot,
    a_poll_without_a_challenge_takes_ballots_as_before,
);

async fn ten_thousand_replays_of_one_solution_count_once(backend: Backend) {
    let home = Home::open(backend).await;
    let app = Arc::new(TestApp::start(&home, settings).await);
    put_poll(&app, "du-thao", "on").await;
    let proof = Arc::new(solved(&app, "du-thao").await);
    // 10 000 at once, 256 in flight at any moment.
    let statuses: Vec<_> = futures::stream::iter((0..10_000).map(|n| {
        let (app, proof) = (Arc::clone(&app), Arc::clone(&proof));
        tokio::spawn(async move {
            let from = format!("10.{}.{}.1", n / 256 % 256, n % 256);
            vote(&app, "du-thao", Some(&cookie()), &from, Some(&proof)).await
        })
    }))
    .buffer_unordered(256)
    .collect()
    .await;
    let mut counted = 0;
    for answer in statuses {
        let (status, body) = answer.unwrap();
        match status {
            201 => counted += 1,
            403 => assert_eq!(code(&body), "challenge_replayed"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(counted, 1);
    assert_eq!(total(&app, "du-thao").await, 1);
}

mod replays {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn embedded() {
        ten_thousand_replays_of_one_solution_count_once(Backend::Embedded).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn redis() {
        ten_thousand_replays_of_one_solution_count_once(Backend::Redis).await
    }
}

/// The network floods come from in these tests, and one that stays calm.
fn flooding(n: u32) -> String {
    format!("192.0.2.{}", n % 250 + 1)
}
const CALM: &str = "203.0.113.9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_raises_its_networks_level_and_honest_voters_still_vote() {
    let home = Home::open(Backend::Redis).await;
    let app = TestApp::start(&home, settings).await;
    put_poll(&app, "du-thao", "auto").await;
    let mut honest = 0;
    // One honest minute: ten people with their own identities, from ten
    // networks, each solving their challenge.
    let honest_minute = async |minute: u32| {
        let mut answered = Vec::new();
        for n in 0..10 {
            let from = format!("203.0.{}.{}", 100 + n, minute % 250);
            let proof = solved_from(&app, "du-thao", &from).await;
            answered.push(
                vote(&app, "du-thao", Some(&cookie()), &from, Some(&proof))
                    .await
                    .0,
            );
        }
        app.clock.advance(SignedDuration::from_mins(1));
        answered
    };
    for minute in 0..30 {
        let answered = honest_minute(minute).await;
        assert!(answered.iter().all(|&s| s == 201), "{answered:?}");
        honest += 10;
    }
    assert_eq!(level_from(&app, "du-thao", &flooding(0)).await, 1);

    // The flood: 60 ballots a minute on one /24, each under a made-up
    // Tally-Visitor id (a fresh identity), each solving the challenge its
    // network is asked, as a script would; honest voters go on.
    let mut levels = Vec::new();
    let mut minute = 30;
    while levels.last().is_none_or(|&l| l < 3) {
        assert!(minute < 40, "the level did not rise: {levels:?}");
        for n in 0..60 {
            let from = flooding(n);
            let proof = solved_from(&app, "du-thao", &from).await;
            let (status, body) = vote_made_up(&app, "du-thao", &from, &proof).await;
            assert_eq!(status, 201, "{body}");
        }
        let answered = honest_minute(minute).await;
        assert!(answered.iter().all(|&s| s == 201), "during: {answered:?}");
        honest += 10;
        levels.push(level_from(&app, "du-thao", &flooding(0)).await);
        assert_eq!(
            level_from(&app, "du-thao", CALM).await,
            1,
            "every other network keeps the calm level"
        );
        minute += 1;
    }
    let flood_minutes = levels.len() as u64;
    println!("the flooding network's levels, minute by minute: {levels:?}");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("tally_challenge_level_changes_total{poll=\"du-thao\""),
        "{metrics}"
    );
    // The form (no JavaScript, no work) is paused for the flooding network
    // only, with a page that says so in the site's language.
    let form = async |from: &str| {
        let r = app
            .http
            .post(app.url("/polls/du-thao"))
            .header("user-agent", BROWSER)
            .header("x-forwarded-for", from)
            .header("origin", &app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("option=tan-thanh")
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (status, page) = form(&flooding(3)).await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("tạm ngừng nhận phiếu"), "{page}");
    let (status, page) = form(CALM).await;
    assert!(status == 200 || status == 303, "{status}: {page}");
    honest += 1;
    // A calm network's easy proof buys no ballot from the flooding one.
    let easy = solved_from(&app, "du-thao", CALM).await;
    let (status, body) = vote(&app, "du-thao", None, &flooding(7), Some(&easy)).await;
    assert_eq!((status, code(&body)), (403, "challenge_too_easy"));

    // Calm again: the level falls back, and honest ballots still count.
    let mut calm = Vec::new();
    for minute in minute..minute + 40 {
        let answered = honest_minute(minute).await;
        assert!(answered.iter().all(|&s| s == 201), "after: {answered:?}");
        honest += 10;
        calm.push(level_from(&app, "du-thao", &flooding(0)).await);
    }
    println!("levels after it: {calm:?}");
    assert_eq!(calm.last().copied(), Some(1), "back to the easiest level");
    assert_eq!(total(&app, "du-thao").await, honest + flood_minutes * 60);
    app.stop().await;
}

/// Two replicas behind one load balancer: the flood reaches one, and the
/// level it raises binds the other at its next request; a proof issued
/// before the rise is refused by both, and the widget's way out (a new
/// challenge, solved) is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_raised_on_one_replica_binds_the_other() {
    let home = Home::open(Backend::Redis).await;
    let clock = Arc::new(tally::clock::ManualClock::new(crate::support::noon()));
    let one = TestApp::start_at(&home, clock.clone(), settings).await;
    let other = TestApp::start_at(&home, clock.clone(), settings).await;
    put_poll(&one, "du-thao", "auto").await;
    let early = solved_from(&other, "du-thao", &flooding(1)).await;
    assert_eq!(level_from(&other, "du-thao", &flooding(1)).await, 1);
    for _ in 0..3 {
        for n in 0..60 {
            let from = flooding(n);
            let proof = solved_from(&one, "du-thao", &from).await;
            assert_eq!(vote_made_up(&one, "du-thao", &from, &proof).await.0, 201);
        }
        clock.advance(SignedDuration::from_mins(1));
    }
    let raised = level_from(&one, "du-thao", &flooding(1)).await;
    assert!(raised >= 3, "{raised}");
    assert_eq!(level_from(&other, "du-thao", &flooding(1)).await, raised);
    assert_eq!(level_from(&other, "du-thao", CALM).await, 1);
    for app in [&one, &other] {
        let (status, body) = vote(app, "du-thao", None, &flooding(2), Some(&early)).await;
        assert_eq!((status, code(&body)), (403, "challenge_too_easy"), "{body}");
    }
    let fresh = solved_from(&other, "du-thao", &flooding(2)).await;
    let (status, body) = vote(&other, "du-thao", None, &flooding(2), Some(&fresh)).await;
    assert_eq!(status, 201, "{body}");
    let metrics = other.metrics().await;
    assert!(
        metrics.contains("tally_challenge_failures_total{code=\"challenge_too_easy\"} 1"),
        "{metrics}"
    );
    one.stop().await;
    other.stop().await;
}

/// Caps, with the defaults: a school of 300 behind one address votes in a
/// poll that asks for a challenge, each pupil solving their own; an IPv6
/// /48 (through a trusted proxy) casts at most 2 000 ballots a poll a day
/// however many /64s and /56s it spreads them over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_behind_one_address_votes_and_a_48_is_capped() {
    let home = Home::open(Backend::Redis).await;
    let app = TestApp::start(&home, |s| {
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    put_poll(&app, "du-thao", "auto").await;
    let school = "198.51.100.7";
    for pupil in 0..300 {
        let proof = solved_from(&app, "du-thao", school).await;
        let (status, body) = vote(&app, "du-thao", Some(&cookie()), school, Some(&proof)).await;
        assert_eq!(status, 201, "pupil {pupil}: {body}");
    }
    assert_eq!(total(&app, "du-thao").await, 300);

    put_poll(&app, "y-kien", "off").await;
    // 2 100 ballots from 48 /64s in 8 /56s of one /48: 44 a /64 stays
    // under the address cap (50), 264 a /56 under the network's (1 000).
    let statuses: Vec<u16> = futures::stream::iter(0..2100u32)
        .map(|n| {
            let app = &app;
            async move {
                let (net56, net64) = ((n / 6) % 8, n % 6);
                let from = format!("2001:db8:7:{:x}{:02x}::{:x}", net56, net64, n + 1);
                vote(app, "y-kien", Some(&cookie()), &from, None).await.0
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let accepted = statuses.iter().filter(|&&s| s == 201).count();
    let capped = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((accepted, capped), (2000, 100), "{statuses:?}");
    assert_eq!(total(&app, "y-kien").await, 2000);
    app.stop().await;
}
