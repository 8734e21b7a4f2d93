//! What a ballot answered `201` survives, with real Redis processes: a
//! master and a real replica (`redis-server --replicaof`), the master killed
//! with `kill -9` and the replica promoted; the same without the wait; a
//! replica that is away (503 within the deadline, hits unhurried); a Redis
//! restarted from its append-only file; a cluster losing a master.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};
use tally::config::{BallotDurability, Settings, StoreSettings};

use crate::support::{
    RedisCluster, RedisServer, TestApp, cookie, eventually, free_port, get_json, redis_cli,
};

const POLL: &str = "danh-gia-cong";
const VOTERS: &str = "tally:{default/p/danh-gia-cong}:voters";
const META: &str = "tally:{default/p/danh-gia-cong}:meta";
/// The store timeout of these tests; ballots wait at most a quarter of it.
const STORE_TIMEOUT: Duration = Duration::from_secs(2);
const DEADLINE: Duration = Duration::from_millis(500);

fn settings(durability: BallotDurability) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.store_timeout = STORE_TIMEOUT;
        s.ballot_durability = durability;
    }
}

async fn app_on(url: String, durability: BallotDurability) -> TestApp {
    TestApp::start_with_store(StoreSettings::Redis { url }, settings(durability)).await
}

/// A replica of `master`, its link up.
fn replica_of(master: &RedisServer) -> RedisServer {
    let replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    wait_for(&replica, "master_link_status:up");
    replica
}

/// Waits until `INFO replication` of `server` says `what`.
fn wait_for(server: &RedisServer, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.cli(&["info", "replication"]).contains(what) {
        assert!(
            Instant::now() < deadline,
            "port {}: never {what}",
            server.port
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One ballot from a fresh visitor and address: (visitor, status, time).
async fn ballot(app: &TestApp, n: u32) -> (String, u16, Duration) {
    let visitor = cookie();
    let address = format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256);
    let started = Instant::now();
    let status = app
        .vote(POLL, &visitor, &address, json!(["tot"]))
        .await
        .status()
        .as_u16();
    (visitor, status, started.elapsed())
}

/// `n` ballots, `at_once` at a time.
async fn ballots(app: &TestApp, n: u32, at_once: u32) -> Vec<(String, u16, Duration)> {
    let mut all = Vec::new();
    for wave in (0..n).collect::<Vec<_>>().chunks(at_once as usize) {
        all.extend(join_all(wave.iter().map(|i| ballot(app, *i))).await);
    }
    all
}

async fn total_votes(app: &TestApp) -> u64 {
    let results: Value = get_json(&app.http, app.url(&format!("/v1/polls/{POLL}/results"))).await;
    results["total_votes"].as_u64().expect("a count")
}

/// Waits until the poll's `total_votes` is `want` (retractions settle).
async fn total_votes_become(app: &TestApp, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let total = total_votes(app).await;
        if total == want || Instant::now() > deadline {
            return total;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_answered_201_survives_the_master_killed_and_its_replica_promoted() {
    let mut master = RedisServer::start();
    let replica = replica_of(&master);
    let app = app_on(master.url(), BallotDurability::Replica).await;

    let cast = ballots(&app, 60, 6).await;
    // Killed the moment the last answer is in: nothing more reaches the replica.
    master.kill();
    assert!(cast.iter().all(|(_, s, _)| *s == 201), "{cast:?}");
    let mut times: Vec<Duration> = cast.iter().map(|(_, _, t)| *t).collect();
    println!(
        "60 ballots waiting for a replica: p50 {:.1} ms, max {:.1} ms",
        millis(percentile(&mut times, 0.5)),
        millis(percentile(&mut times, 1.0))
    );
    drop(app);

    assert_eq!(replica.cli(&["replicaof", "no", "one"]), "OK");
    let promoted = app_on(replica.url(), BallotDurability::Store).await;
    assert_eq!(total_votes(&promoted).await, 60);
    assert_eq!(replica.cli(&["hlen", VOTERS]), "60");
    for (visitor, _, _) in &cast {
        let poll = promoted.poll_for(POLL, visitor).await;
        assert_eq!(poll["voted"], true, "{visitor} was answered 201");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_wait_a_replica_left_behind_loses_ballots_answered_201() {
    let mut master = RedisServer::start();
    let replica = replica_of(&master);
    let store = app_on(master.url(), BallotDurability::Store).await;
    let waiting = app_on(master.url(), BallotDurability::Replica).await;
    // The replica falls behind: it follows a master that is not there, and
    // keeps what it has (the poll, no ballots).
    let nowhere = free_port().to_string();
    assert_eq!(replica.cli(&["replicaof", "127.0.0.1", &nowhere]), "OK");
    wait_for(&master, "connected_slaves:0");

    let told_counted = ballots(&store, 20, 4).await;
    assert!(told_counted.iter().all(|(_, s, _)| *s == 201));
    let told_not = ballots(&waiting, 5, 1).await;
    assert!(told_not.iter().all(|(_, s, _)| *s == 503), "{told_not:?}");
    master.kill();
    drop((store, waiting));

    assert_eq!(replica.cli(&["replicaof", "no", "one"]), "OK");
    let promoted = app_on(replica.url(), BallotDurability::Store).await;
    // Every ballot answered 201 without the wait is gone; those answered
    // 503 with it are gone too, as their voters were told.
    assert_eq!(total_votes(&promoted).await, 0);
    println!("replica left behind, then promoted: 20 of 20 ballots answered 201 lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_replica_away_ballots_get_503_within_the_deadline_and_hits_do_not_wait() {
    let master = RedisServer::start();
    let mut replica = replica_of(&master);
    let app = Arc::new(app_on(master.url(), BallotDurability::Replica).await);
    let page = Some("/tin-tuc/1");
    let mut quiet: Vec<Duration> = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        assert_eq!(app.hit(Some(&cookie()), page).await.status(), 200);
        quiet.push(started.elapsed());
    }

    replica.kill();
    wait_for(&master, "connected_slaves:0");
    let one_by_one = ballots(&app, 5, 1).await;
    for (_, status, took) in &one_by_one {
        assert_eq!(*status, 503);
        assert!(
            *took >= DEADLINE && *took < STORE_TIMEOUT,
            "answered after {took:?}, the wait is {DEADLINE:?}"
        );
    }

    // Ballots keep the ballots' connection waiting while hits flow.
    let running = Arc::new(AtomicBool::new(true));
    let voters: Vec<_> = (0..4)
        .map(|k| {
            let (app, running) = (Arc::clone(&app), Arc::clone(&running));
            tokio::spawn(async move {
                let mut answered = Vec::new();
                let mut n = 1000 + k * 1000;
                while running.load(Ordering::Relaxed) {
                    answered.push(ballot(&app, n).await);
                    n += 1;
                }
                answered
            })
        })
        .collect();
    // A ballot's WAIT holds the ballots' connection on the master.
    eventually(
        Duration::from_secs(15),
        "a ballot waiting for the replica on the master",
        async || {
            let clients = master.cli(&["info", "clients"]);
            let blocked = clients
                .lines()
                .find_map(|l| l.strip_prefix("blocked_clients:"))?
                .trim()
                .parse::<u32>()
                .ok()?;
            (blocked >= 1).then_some(())
        },
    )
    .await;
    let mut busy: Vec<Duration> = Vec::new();
    let hitting = Instant::now();
    while hitting.elapsed() < 4 * DEADLINE {
        let started = Instant::now();
        let answer = app.hit_json(Some(&cookie()), page).await;
        busy.push(started.elapsed());
        assert_ne!(answer["stale"], true, "the hit waited for the store");
    }
    running.store(false, Ordering::Relaxed);
    let mut during: Vec<(String, u16, Duration)> = Vec::new();
    for voter in voters {
        during.extend(voter.await.unwrap());
    }
    assert!(during.iter().all(|(_, s, _)| *s == 503), "{during:?}");
    let mut waits: Vec<Duration> = during.iter().map(|(_, _, t)| *t).collect();
    let (q50, q99) = (percentile(&mut quiet, 0.5), percentile(&mut quiet, 0.99));
    let (b50, b99) = (percentile(&mut busy, 0.5), percentile(&mut busy, 0.99));
    println!(
        "hits alone: p50 {:.2} ms, p99 {:.2} ms; hits while {} ballots waited: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        millis(q50),
        millis(q99),
        during.len(),
        millis(b50),
        millis(b99),
        millis(percentile(&mut busy, 1.0))
    );
    println!(
        "503 one by one: {:?}; four at a time: p50 {:.0} ms, max {:.0} ms",
        one_by_one
            .iter()
            .map(|(_, _, t)| millis(*t).round())
            .collect::<Vec<_>>(),
        millis(percentile(&mut waits, 0.5)),
        millis(percentile(&mut waits, 1.0))
    );
    // Against the same hits before the replica went away, so a loaded
    // machine slows both: a hit queued behind a ballot's wait would take
    // up to the deadline, 500 ms, past five times the quiet p99 or 50 ms
    // more than it.
    assert!(
        b99 <= (5 * q99).max(q99 + DEADLINE / 10),
        "hits waited behind ballots: p99 {b99:?}, {q99:?} alone"
    );

    // The replica comes back: ballots are counted again, and those answered
    // 503 were retracted, so the count is what voters were told.
    replica.restart();
    wait_for(&replica, "master_link_status:up");
    let back = ballots(&app, 10, 2).await;
    assert!(back.iter().all(|(_, s, _)| *s == 201), "{back:?}");
    assert_eq!(total_votes_become(&app, 10).await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_for_a_healthy_replica_costs_about_a_round_trip() {
    let master = RedisServer::start();
    let _replica = replica_of(&master);
    let store = app_on(master.url(), BallotDurability::Store).await;
    let waiting = app_on(master.url(), BallotDurability::Replica).await;
    let (mut plain, mut waited) = (Vec::new(), Vec::new());
    // Alternating, so both see the same noise of a shared machine.
    for n in 0..100 {
        let (_, s, t) = ballot(&store, n).await;
        assert_eq!(s, 201);
        plain.push(t);
        let (_, s, t) = ballot(&waiting, 1000 + n).await;
        assert_eq!(s, 201);
        waited.push(t);
    }
    let (p50, w50) = (percentile(&mut plain, 0.5), percentile(&mut waited, 0.5));
    let (p99, w99) = (percentile(&mut plain, 0.99), percentile(&mut waited, 0.99));
    println!(
        "ballot latency, store: p50 {:.2} ms p99 {:.2} ms; replica: p50 {:.2} ms p99 {:.2} ms",
        millis(p50),
        millis(p99),
        millis(w50),
        millis(w99)
    );
    // About a round trip: against the same ballots without the wait,
    // alternated with them, within five times their p99 or 50 ms more.
    assert!(
        w99 <= (5 * p99).max(p99 + DEADLINE / 10),
        "a healthy replica answered slowly: p99 {w99:?}, {p99:?} without the wait"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_killed_and_restarted_from_its_append_only_file_keeps_what_it_answered() {
    let mut redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "everysec"]);
    let app = app_on(redis.url(), BallotDurability::Store).await;
    let cast = ballots(&app, 60, 6).await;
    // Killed the moment the last answer is in, then started again on the
    // same directory: the process died, the kernel kept what it was given.
    redis.kill();
    assert!(cast.iter().all(|(_, s, _)| *s == 201));
    drop(app);
    redis.restart();
    let again = app_on(redis.url(), BallotDurability::Store).await;
    let kept = total_votes(&again).await;
    println!("Redis killed (appendfsync everysec) and restarted: {kept} of 60 ballots kept");
    assert_eq!(kept, 60, "Redis writes its AOF before it answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsync_durability_needs_waitaof_and_an_append_only_file() {
    let without_aof = RedisServer::start();
    let has_waitaof = !without_aof.cli(&["command", "info", "waitaof"]).is_empty();
    let refused = start_binary(&without_aof, "fsync");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("TALLY_BALLOT_DURABILITY"), "{stderr}");
    let why = if has_waitaof { "appendonly" } else { "WAITAOF" };
    assert!(stderr.contains(why), "{stderr}");
    println!("refused: {}", stderr.trim());
    if !has_waitaof {
        return;
    }
    // A server with WAITAOF and an append-only file keeps the promise.
    let with_aof = RedisServer::start_with(&["--appendonly", "yes"]);
    let app = app_on(with_aof.url(), BallotDurability::Fsync).await;
    assert_eq!(ballot(&app, 1).await.1, 201);
}

/// Runs the binary against `redis` until it exits (it should refuse).
fn start_binary(redis: &RedisServer, durability: &str) -> std::process::Output {
    let data = tempfile::TempDir::new().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_tally"))
        .env("TALLY_DATA_DIR", data.path())
        .env("TALLY_REDIS_URL", redis.url())
        .env("TALLY_BALLOT_DURABILITY", durability)
        .env("TALLY_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("TALLY_OPS_LISTEN", format!("127.0.0.1:{}", free_port()))
        .output()
        .expect("the tally binary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_a_ballot_answered_201_survives_its_master_killed() {
    // tally's warnings in the output of a failure: what each refused ballot met.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("tally=warn")
        .try_init();
    let cluster = RedisCluster::start_with(3, 1);
    let app = Arc::new(
        TestApp::start_with_store(
            StoreSettings::Cluster {
                nodes: cluster.nodes(),
            },
            settings(BallotDurability::Replica),
        )
        .await,
    );
    // The master of the poll's slot has the poll; the others redirect.
    let master = *cluster
        .ports
        .iter()
        .find(|p| redis_cli(**p, &["exists", META]) == "1")
        .expect("a master holds the poll");
    let info = redis_cli(master, &["info", "replication"]);
    let replica: u16 = info
        .lines()
        .find_map(|l| l.strip_prefix("slave0:"))
        .and_then(|l| l.split(',').find_map(|kv| kv.strip_prefix("port=")))
        .and_then(|p| p.parse().ok())
        .expect("the master has a replica");
    wait_until(|| redis_cli(replica, &["info", "replication"]).contains("master_link_status:up"));

    let before = ballots(&app, 30, 3).await;
    assert!(before.iter().all(|(_, s, _)| *s == 201), "{before:?}");
    // Ballots keep coming while the master dies and its replica takes over.
    let running = Arc::new(AtomicBool::new(true));
    let count = Arc::new(AtomicUsize::new(0));
    let voter = {
        let (app, running, count) = (Arc::clone(&app), Arc::clone(&running), Arc::clone(&count));
        tokio::spawn(async move {
            let mut answered = Vec::new();
            let mut n = 10_000;
            while running.load(Ordering::Relaxed) {
                answered.push(ballot(&app, n).await);
                count.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
            answered
        })
    };
    eventually(
        Duration::from_secs(20),
        "30 ballots answered before the master dies",
        async || (count.load(Ordering::Relaxed) >= 30).then_some(()),
    )
    .await;
    let dir = redis_cli(master, &["config", "get", "dir"]);
    let dir = dir.lines().nth(1).expect("the node's directory").to_owned();
    kill_hard(master);
    wait_until(|| redis_cli(replica, &["role"]).starts_with("master"));
    // The new master has no replica: its ballots are refused until the old
    // master comes back and follows it. Two more ballots are tried first.
    let tried = count.load(Ordering::Relaxed);
    eventually(
        Duration::from_secs(20),
        "two ballots tried against the master without a replica",
        async || (count.load(Ordering::Relaxed) >= tried + 2).then_some(()),
    )
    .await;
    let _rejoined = Rejoined::start(master, &dir);
    wait_until(|| {
        redis_cli(master, &["info", "replication"]).contains("master_link_status:up")
            && redis_cli(replica, &["info", "replication"]).contains("connected_slaves:1")
    });
    running.store(false, Ordering::Relaxed);
    let during = voter.await.unwrap();
    assert!(
        during.iter().all(|(_, s, _)| *s == 201 || *s == 503),
        "{during:?}"
    );
    // Once tally has found the new master, ballots are counted again.
    let mut after = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while after.iter().filter(|(_, s, _)| *s == 201).count() < 10 {
        assert!(
            Instant::now() < deadline,
            "no ballot counted after the failover"
        );
        after.push(ballot(&app, 20_000 + after.len() as u32).await);
    }
    assert!(after.iter().all(|(_, s, _)| *s == 201 || *s == 503));
    let answered_201: Vec<&String> = [&before, &during, &after]
        .into_iter()
        .flatten()
        .filter(|(_, s, _)| *s == 201)
        .map(|(v, _, _)| v)
        .collect();
    let want = answered_201.len() as u64;
    println!(
        "cluster failover: {} ballots during it ({} answered 201), {} answered 201 in all",
        during.len(),
        during.iter().filter(|(_, s, _)| *s == 201).count(),
        want
    );
    assert_eq!(total_votes_become(&app, want).await, want);
    for visitor in answered_201 {
        assert_eq!(app.poll_for(POLL, visitor).await["voted"], true);
    }
}

/// A cluster node started again on its port and directory (it rejoins from
/// its nodes file), killed on drop.
struct Rejoined(std::process::Child);

impl Rejoined {
    fn start(port: u16, dir: &str) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--cluster-enabled",
                "yes",
            ])
            .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
            .args(["--cluster-node-timeout", "2000", "--dir", dir])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server");
        Self(child)
    }
}

impl Drop for Rejoined {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `kill -9` of the redis-server on `port`.
fn kill_hard(port: u16) {
    let info = redis_cli(port, &["info", "server"]);
    let pid = info
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .map(|p| p.trim().to_owned())
        .expect("the server's pid");
    let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(killed.success());
}
