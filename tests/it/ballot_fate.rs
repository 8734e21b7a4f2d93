//! A ballot's fate is one fact, whatever fails: a ballot counted but
//! answered 503 is retracted even across `kill -9`; a retry of the same
//! ballot during its retraction gets one verdict; replicas whose clocks
//! disagree give the same verdicts.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::gate::{Gate, Mode};
use crate::support::{Binary, RedisServer, TestApp, cookie, eventually, redis_cli};
use serde_json::{Value, json};
use tally::config::StoreSettings;

const POLL: &str = "danh-gia-cong";
const COUNTS: &str = "tally:{default/p/danh-gia-cong}:counts";
const VOTERS: &str = "tally:{default/p/danh-gia-cong}:voters";

fn polls_file() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into()
}

/// Ballots Redis itself holds for the poll.
fn stored_voters(redis: &RedisServer) -> u64 {
    redis
        .cli(&["HGET", COUNTS, "_voters"])
        .trim()
        .parse()
        .unwrap_or(0)
}

async fn cast(http: &reqwest::Client, base: &str, visitor: &str, ballot: &str) -> (u16, Value) {
    let response = http
        .post(format!("{base}/v1/polls/{POLL}/votes"))
        .header("cookie", format!("tally_vid={visitor}"))
        .header("content-type", "application/json")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")
        .body(json!({ "options": ["tot"], "ballot": ballot }).to_string())
        .send()
        .await
        .expect("ballot answered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn wait_until(what: &str, within: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn journalled(data: &Path) -> usize {
    std::fs::read_dir(data.join("retractions"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .map(|text| text.lines().count())
                .sum()
        })
        .unwrap_or(0)
}

/// The environment of a binary on `redis` with `data` for its journal.
fn env(redis: String, data: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("TALLY_REDIS_URL", redis),
        ("TALLY_DATA_DIR", data.display().to_string()),
        ("TALLY_POLLS_FILE", polls_file()),
    ]
}

/// One ballot answered 201 (`counted`), then one that Redis counts but
/// whose answer is lost (`refused`, answered 503 and journalled under
/// `data`), and the binary killed (`kill -9`) before it could retract it.
async fn lose_a_ballot(redis: &RedisServer, data: &Path) -> (String, String) {
    let gate = Gate::start(redis.port).await;
    let http = reqwest::Client::new();
    let tally = Binary::start(&env(gate.url(), data)).await;

    let (counted, refused) = (cookie(), cookie());
    let (status, _) = cast(
        &http,
        &tally.public,
        &counted,
        "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
    )
    .await;
    assert_eq!(status, 201);

    // The next ballot reaches Redis and is counted; its answer is lost.
    gate.set(Mode::LoseReplies);
    let lost = {
        let (http, base, refused) = (http.clone(), tally.public.clone(), refused.clone());
        tokio::spawn(async move {
            cast(&http, &base, &refused, "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2").await
        })
    };
    wait_until(
        "Redis counts the second ballot",
        Duration::from_secs(5),
        async || stored_voters(redis) == 2,
    )
    .await;
    // Nothing more reaches Redis: the retraction cannot be made now.
    gate.set(Mode::Cut);
    let (status, body) = lost.await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "store_unavailable");
    assert_eq!(journalled(data), 1, "journalled before the 503");

    tally.signal("KILL");
    tally.wait(Duration::from_secs(5)).await;
    assert_eq!(
        stored_voters(redis),
        2,
        "Redis still counts the lost ballot"
    );
    (counted, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_answered_503_stays_uncounted_across_kill_9() {
    let redis = RedisServer::start();
    let data = tempfile::TempDir::new().unwrap();
    let http = reqwest::Client::new();
    let (counted, refused) = lose_a_ballot(&redis, data.path()).await;

    // The next start, on the same data directory, retracts it.
    let again = Binary::start(&env(redis.url(), data.path())).await;
    wait_until("the retraction", Duration::from_secs(10), async || {
        stored_voters(&redis) == 1
    })
    .await;
    let voters = redis.cli(&["HKEYS", VOTERS]);
    assert!(
        voters.contains(&counted) && !voters.contains(&refused),
        "{voters}"
    );
    let results: Value = http
        .get(format!("{}/v1/polls/{POLL}/results", again.public))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        results["total_votes"], 1,
        "the store agrees with the voters"
    );
    wait_until("the journal empties", Duration::from_secs(5), async || {
        journalled(data.path()) == 0
    })
    .await;
    let metrics = http
        .get(format!("{}/metrics", again.ops))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tally_ballots_retracted_total 1"),
        "{metrics}"
    );
}

/// Damaged lines in the journal a killed run left (garbage, bytes that are
/// not text, a line cut short) are kept aside in `<journal>.damaged` and
/// counted in one log line; the good line beside them is still retracted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_journal_lines_are_kept_aside_and_no_retraction_is_lost() {
    let redis = RedisServer::start();
    let data = tempfile::TempDir::new().unwrap();
    let (counted, refused) = lose_a_ballot(&redis, data.path()).await;
    let dir = data.path().join("retractions");
    let journal = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("the killed run's journal");
    let good = std::fs::read(&journal).unwrap();
    let damaged: [&[u8]; 3] = [b"garbage", b"\xff\xfe\x00", b"{\"poll\":\"danh"];
    let mut text = [damaged[0], b"\n", &good, damaged[1], b"\n"].concat();
    text.extend_from_slice(damaged[2]);
    std::fs::write(&journal, text).unwrap();

    let log_path = data.path().join("tally.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut env = env(redis.url(), data.path());
    env.push(("TALLY_LOG_FORMAT", "json".into()));
    let again = Binary::start_logging(&env, log).await;
    wait_until("the retraction", Duration::from_secs(10), async || {
        stored_voters(&redis) == 1
    })
    .await;
    let voters = redis.cli(&["HKEYS", VOTERS]);
    assert!(
        voters.contains(&counted) && !voters.contains(&refused),
        "{voters}"
    );
    let name = journal.file_name().unwrap().to_string_lossy().into_owned();
    let kept = std::fs::read(dir.join(format!("{name}.damaged"))).expect("kept aside");
    assert_eq!(kept, [&damaged.join(&b'\n')[..], b"\n"].concat());
    let said: Vec<Value> = std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &Value| l["message"].as_str().is_some_and(|m| m.contains("journal")))
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0]["damaged"], 3, "{said:?}");
    assert!(
        said[0]["kept"]
            .as_str()
            .unwrap()
            .ends_with(".jsonl.damaged"),
        "{said:?}"
    );
    drop(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_during_its_retraction_gets_one_verdict() {
    let redis = RedisServer::start();
    let gate = Gate::start(redis.port).await;
    let app = TestApp::start_with_store(StoreSettings::Redis { url: gate.url() }, |s| {
        s.polls_file = Some(polls_file().into());
        s.store_timeout = Duration::from_millis(300);
    })
    .await;
    // A first ballot, answered, loads the script into Redis: a lost reply
    // to a script Redis does not know yet would count nothing.
    let (status, _) = cast(&app.http, &app.base, &cookie(), &"f".repeat(32)).await;
    assert_eq!(status, 201);
    let mut retracted_first = 0;
    let mut expected = 1;
    let mut counted_unanswered = 0;
    let rounds = 12;
    for round in 1..=rounds {
        let visitor = cookie();
        let ballot = format!("{round:032x}");
        // Reconnected since the last round's fault: another voter's ballot
        // is answered.
        wait_until("a ballot answered", Duration::from_secs(5), async || {
            let (status, _) = cast(
                &app.http,
                &app.base,
                &cookie(),
                &format!("{:032x}", 1000 + round),
            )
            .await;
            status == 201
        })
        .await;
        expected += 1;
        gate.set(Mode::LoseReplies);
        let (status, _) = cast(&app.http, &app.base, &visitor, &ballot).await;
        assert_eq!(status, 503);
        // Usually the try reached Redis and was counted; now and then the
        // client was reconnecting and it never left (then nothing counts).
        expected += 1;
        if stored_voters(&redis) == expected {
            counted_unanswered += 1;
        }
        let before = app.metric("tally_ballots_retracted_total").await;
        gate.set(Mode::Pass);
        // The retry races the retraction (tried every flush interval).
        // As the widget does, the voter sends the same ballot again until
        // it is answered (the first try after a network fault may meet the
        // broken connection and hear 503 once more).
        tokio::time::sleep(Duration::from_millis(15 * round)).await;
        let mut answer = cast(&app.http, &app.base, &visitor, &ballot).await;
        for _ in 0..20 {
            if answer.0 != 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            answer = cast(&app.http, &app.base, &visitor, &ballot).await;
        }
        let (status, body) = answer;
        assert_eq!(status, 201, "round {round}: {body}");
        assert_eq!(body["choices"], json!(["tot"]));
        assert_eq!(body["ballot"], ballot);
        wait_until("retractions done", Duration::from_secs(5), async || {
            app.metric("tally_ballot_retractions_waiting").await == 0.0
        })
        .await;
        if app.metric("tally_ballots_retracted_total").await > before {
            retracted_first += 1;
        }
        assert_eq!(
            stored_voters(&redis),
            expected,
            "round {round}: counted once, as the voter was told"
        );
        assert_eq!(app.poll_for(POLL, &visitor).await["voted"], true);
    }
    println!(
        "{counted_unanswered} of {rounds} tries answered 503 had been counted; the retraction \
         came first in {retracted_first}, the retry in the others"
    );
    assert!(
        counted_unanswered >= rounds / 2,
        "most rounds test a counted ballot answered 503"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_with_clocks_5_s_apart_give_the_same_verdicts() {
    let redis = RedisServer::start();
    let store = || StoreSettings::Redis { url: redis.url() };
    let admin_token = "ballot-fate-admin-token-0123456789";
    let right = TestApp::start_drifted(store(), jiff::SignedDuration::ZERO, |s| {
        s.admin_token = Some(tally::config::Secret::new(admin_token.into()));
    })
    .await;
    let ahead = TestApp::start_drifted(store(), jiff::SignedDuration::from_secs(5), |_| {}).await;
    let behind = TestApp::start_drifted(store(), jiff::SignedDuration::from_secs(-5), |_| {}).await;

    // One poll closing 2.5 s from now, one opening 2.5 s from now.
    let now = jiff::Timestamp::now();
    let soon = |s: i64| (now + jiff::SignedDuration::from_millis(s)).to_string();
    for (id, field, at) in [
        ("dong-som", "closes_at", soon(2500)),
        ("mo-som", "opens_at", soon(2500)),
    ] {
        let status = right
            .http
            .put(format!("{}/admin/polls/{id}", right.ops))
            .bearer_auth(admin_token)
            .json(&json!({
                "question": "Câu hỏi?",
                "options": [{ "id": "tot", "label": "Tốt" }, { "id": "chua-tot", "label": "Chưa tốt" }],
                field: at,
            }))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
    }
    let vote = async |app: &TestApp, poll: &str| {
        app.vote(poll, &cookie(), "198.51.100.7", json!(["tot"]))
            .await
            .status()
            .as_u16()
    };
    for app in [&right, &ahead, &behind] {
        assert_eq!(
            vote(app, "dong-som").await,
            201,
            "still open by the store's clock"
        );
        assert_eq!(
            vote(app, "mo-som").await,
            403,
            "not yet open by the store's clock"
        );
    }
    // The store's clock (Redis TIME) passes the 2.5 s mark.
    let mark = (now + jiff::SignedDuration::from_millis(2500)).as_microsecond();
    eventually(
        Duration::from_secs(15),
        "the store's clock passing 2.5 s from the start",
        async || {
            let time = redis_cli(redis.port, &["time"]);
            let mut parts = time.lines().map(|l| l.trim().parse::<i64>().unwrap());
            let (secs, micros) = (parts.next()?, parts.next()?);
            (secs * 1_000_000 + micros >= mark).then_some(())
        },
    )
    .await;
    for app in [&right, &ahead, &behind] {
        assert_eq!(
            vote(app, "dong-som").await,
            403,
            "closed by the store's clock"
        );
        assert_eq!(vote(app, "mo-som").await, 201, "open by the store's clock");
    }
    for app in [right, ahead, behind] {
        app.stop().await;
    }
}
