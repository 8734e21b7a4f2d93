//! A Redis Cluster whose masters fail over while hits and ballots flow:
//! tally follows the new masters (MOVED) and loses nothing it answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tally::config::StoreSettings;
use tokio::sync::Mutex;

use crate::support::{RedisCluster, TestApp, cookie, eventually, get_json, redis_cli};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masters_failing_over_lose_nothing_answered() {
    let cluster = RedisCluster::start_with(3, 1);
    let nodes = cluster.nodes();
    let app = Arc::new(
        TestApp::start_with_store(StoreSettings::Cluster { nodes }, |s| {
            s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
            s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
            // Ballots go as fast as the failovers last: 250 addresses at
            // the default cap (50 each) refused the 12 501st with 429 when
            // the promotions took long. The cap is not what is tested here.
            s.votes_per_address = 1_000_000;
            s.votes_per_network = 1_000_000;
            s.votes_per_ipv6_site = 1_000_000;
        })
        .await,
    );
    let running = Arc::new(AtomicBool::new(true));
    let hits = Arc::new(Mutex::new(0u64));
    let ballots = Arc::new(Mutex::new(Vec::<(String, u16)>::new()));
    let mut tasks = Vec::new();
    {
        let (app, running, hits) = (app.clone(), running.clone(), hits.clone());
        tasks.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let status = app.hit(Some(&cookie()), Some("/a")).await.status();
                assert_eq!(status, 200);
                *hits.lock().await += 1;
            }
        }));
    }
    {
        let (app, running, ballots) = (app.clone(), running.clone(), ballots.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while running.load(Ordering::Relaxed) {
                n += 1;
                let visitor = cookie();
                let address = format!("198.51.100.{}", n % 250);
                let status = app
                    .vote("danh-gia-cong", &visitor, &address, json!(["tot"]))
                    .await
                    .status()
                    .as_u16();
                ballots.lock().await.push((visitor, status));
            }
        }));
    }
    // Hits and ballots answered by the first masters.
    let answered = async || (*hits.lock().await, ballots.lock().await.len());
    eventually(
        Duration::from_secs(20),
        "50 hits and 30 ballots answered before the failovers",
        async || {
            let (h, b) = answered().await;
            (h >= 50 && b >= 30).then_some(())
        },
    )
    .await;
    // Promote every replica: each master's slots move to another node.
    let replicas: Vec<u16> = cluster
        .ports
        .iter()
        .copied()
        .filter(|p| redis_cli(*p, &["role"]).starts_with("slave"))
        .collect();
    assert_eq!(replicas.len(), 3);
    // One at a time: a failover needs the votes of the other masters.
    for port in &replicas {
        let deadline = Instant::now() + Duration::from_secs(30);
        'promoted: loop {
            assert_eq!(redis_cli(*port, &["cluster", "failover"]), "OK");
            let asked = Instant::now();
            while asked.elapsed() < Duration::from_secs(6) {
                if redis_cli(*port, &["role"]).starts_with("master") {
                    break 'promoted;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // A manual failover that timed out is simply asked again.
            assert!(Instant::now() < deadline, "node {port} was not promoted");
        }
    }
    // Hits and ballots answered by the new masters.
    let (hits_then, ballots_then) = answered().await;
    eventually(
        Duration::from_secs(20),
        "50 more hits and 30 more ballots answered after the failovers",
        async || {
            let (h, b) = answered().await;
            (h >= hits_then + 50 && b >= ballots_then + 30).then_some(())
        },
    )
    .await;
    running.store(false, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let counter = app.counter(None).await;
        let total = counter["total"].as_u64().unwrap();
        if total == *hits.lock().await && counter["stale"] == false {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "counted {total}, answered {}",
            hits.lock().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ballots = ballots.lock().await.clone();
    assert!(
        ballots.iter().all(|(_, s)| *s == 201 || *s == 503),
        "{ballots:?}"
    );
    let accepted = ballots.iter().filter(|(_, s)| *s == 201).count() as u64;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let results: Value = get_json(&app.http, app.url("/v1/polls/danh-gia-cong/results")).await;
        if results["total_votes"].as_u64() == Some(accepted) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "counted {}, accepted {accepted}",
            results["total_votes"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Arc::into_inner(app)
        .expect("the tasks are done")
        .stop()
        .await;
}
