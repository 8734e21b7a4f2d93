//! Several replicas of the real binary on one Redis (and on a Redis
//! Cluster): the same counts everywhere, and ballots counted exactly once
//! whichever replica takes them.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::{BROWSER, Backend, Binary, Home, cookie, get_json};

async fn counter(http: &reqwest::Client, replica: &Binary, page: &str) -> Value {
    get_json(http, format!("{}/v1/counter?page={page}", replica.public)).await
}

async fn hit(http: &reqwest::Client, replica: &Binary, visitor: &str, page: &str) -> u16 {
    http.post(format!("{}/v1/hits", replica.public))
        .header("user-agent", BROWSER)
        .header("cookie", format!("tally_vid={visitor}"))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(json!({ "page": page }).to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn vote(http: &reqwest::Client, replica: &Binary, visitor: &str, n: usize) -> u16 {
    http.post(format!("{}/v1/polls/danh-gia-cong/votes", replica.public))
        .header("user-agent", BROWSER)
        .header("cookie", format!("tally_vid={visitor}"))
        .header("x-forwarded-for", format!("198.51.100.{}", n % 250))
        .header("content-type", "application/json")
        .body(json!({ "options": ["tot"] }).to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn two_replicas_agree(backend: Backend) {
    let home = Home::open(backend).await;
    let mut env = home.env();
    env.push((
        "TALLY_POLLS_FILE",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into(),
    ));
    env.push(("TALLY_TRUSTED_PROXIES", "127.0.0.1/32".into()));
    let replicas = [Binary::start(&env).await, Binary::start(&env).await];
    let http = reqwest::Client::new();

    // 400 visitors, each landing on one replica and reloading on the other.
    let visitors: Vec<String> = (0..400).map(|_| cookie()).collect();
    let first = join_all(
        visitors
            .iter()
            .enumerate()
            .map(|(n, v)| hit(&http, &replicas[n % 2], v, "/hot")),
    )
    .await;
    let reload = join_all(
        visitors
            .iter()
            .enumerate()
            .map(|(n, v)| hit(&http, &replicas[(n + 1) % 2], v, "/hot")),
    )
    .await;
    assert!(first.iter().chain(&reload).all(|&s| s == 200));

    // Each replica writes its increments within a flush interval; then both
    // read the same numbers.
    let deadline = Instant::now() + Duration::from_secs(5);
    let (a, b) = loop {
        let a = counter(&http, &replicas[0], "/hot").await;
        let b = counter(&http, &replicas[1], "/hot").await;
        if (a == b && a["total"] == 400) || Instant::now() > deadline {
            break (a, b);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(a, b, "both replicas answer the same counter");
    assert_eq!(
        a["total"], 400,
        "a reload on the other replica is not a new visit"
    );
    assert_eq!(a["page"]["views"], 400);
    assert_eq!(a["online"], 400);

    // 200 concurrent ballots of one visitor, spread over both: one counts.
    let voter = cookie();
    let mut same = join_all((0..200).map(|n| vote(&http, &replicas[n % 2], &voter, n))).await;
    // A ballot the store did not decide in time (a loaded machine) is
    // answered 503 and counted nowhere: sent again, it is decided.
    for (n, status) in same.iter_mut().enumerate() {
        for _ in 0..10 {
            if *status != 503 {
                break;
            }
            *status = vote(&http, &replicas[n % 2], &voter, n).await;
        }
    }
    assert_eq!(same.iter().filter(|&&s| s == 201).count(), 1, "{same:?}");
    assert_eq!(same.iter().filter(|&&s| s == 409).count(), 199);
    // 300 visitors over both: 300.
    let voters: Vec<String> = (0..300).map(|_| cookie()).collect();
    let many = join_all(
        voters
            .iter()
            .enumerate()
            .map(|(n, v)| vote(&http, &replicas[n % 2], v, n)),
    )
    .await;
    assert!(many.iter().all(|&s| s == 201), "{many:?}");
    // Results read by others are at most a flush interval old.
    for replica in &replicas {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let results: Value = get_json(
                &http,
                format!("{}/v1/polls/danh-gia-cong/results", replica.public),
            )
            .await;
            if results["total_votes"] == 301 {
                break;
            }
            assert!(Instant::now() < deadline, "{results}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for replica in replicas {
        replica.signal("TERM");
        assert!(replica.wait(Duration::from_secs(25)).await.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_redis_agree() {
    two_replicas_agree(Backend::Redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_a_redis_cluster_agree() {
    two_replicas_agree(Backend::Cluster).await;
}
