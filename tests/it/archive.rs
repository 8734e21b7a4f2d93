//! Backup, restore and check, through the real binary: a deployment with
//! years of imported history, polls in every state and visibility, many
//! voters, page views and audit entries is backed up over HTTP from the
//! running app, restored into an empty store of another kind, checked
//! count for count, and served again: every old voter still sees their
//! choice and cannot vote twice, and the public JSON reads the same. A
//! non-empty store, a merge that would count twice, a newer format and a
//! cut file are refused; a restore killed half-way leaves a store every
//! command reports as incomplete.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tally::archive::format::{Header, Writer};
use tally::calendar::Day;
use tally::ids::PollId;
use tally::store::piece::Piece;
use tempfile::TempDir;

use crate::support::{Backend, Home, TestApp, cookie, free_port, noon, redis_cli};

const TOKEN: &str = "archive-admin-token-3b8e51f0c6d94a27";

/// The polls: every state and every results visibility.
const POLLS: [(&str, &str); 4] = [
    ("dang-mo", "always"),
    ("sau-khi-bau", "after_vote"),
    ("da-dong", "after_close"),
    ("luu-tru", "never"),
];

/// Runs the tally binary with `args` and `env` to its end.
pub(crate) async fn tally(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || command.output().expect("the tally binary"))
        .await
        .unwrap()
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn start(home: &Home) -> TestApp {
    TestApp::start(home, |s| {
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.votes_per_address = 1_000_000;
        s.votes_per_network = 1_000_000;
        s.votes_per_ipv6_site = 1_000_000;
    })
    .await
}

async fn admin(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.ops))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Three years of history ending yesterday, imported as a previous
/// counter's.
async fn import_history(app: &TestApp) {
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let yesterday = Day::new(noon().to_zoned_datetime(zone).date()).yesterday();
    let mut csv = String::from("date,visits\n");
    for (i, day) in yesterday
        .days_before(3 * 365)
        .through(yesterday)
        .enumerate()
    {
        csv.push_str(&format!("{day},{}\n", 1_000 + (i * 7_919) % 5_000));
    }
    let response = app
        .http
        .post(format!("{}/admin/history/import", app.ops))
        .bearer_auth(TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// A voter: their cookie, the poll and the option they chose.
type Voter = (String, &'static str, &'static str);

/// Builds the deployment on `app`: history, baseline, polls, `voters`
/// ballots, page views, a deleted poll, audit entries.
async fn deployment(app: &TestApp, voters: usize) -> Vec<Voter> {
    import_history(app).await;
    let put = reqwest::Method::PUT;
    admin(
        app,
        put.clone(),
        "/admin/counter/baseline",
        Some(json!({"baseline": 7_582_803})),
    )
    .await;
    let options = json!([{"id": "tot", "label": "Tốt"}, {"id": "chua-tot", "label": "Chưa tốt"}]);
    for (id, results) in POLLS
        .iter()
        .copied()
        .chain([("sap-mo", "always"), ("da-xoa", "always")])
    {
        let mut spec =
            json!({"question": "Bạn đánh giá thế nào?", "options": options, "results": results});
        if id == "sap-mo" {
            spec["opens_at"] = json!("2027-01-01T00:00:00+07:00");
        }
        admin(app, put.clone(), &format!("/admin/polls/{id}"), Some(spec)).await;
    }
    admin(app, reqwest::Method::DELETE, "/admin/polls/da-xoa", None).await;
    let cast: Vec<Voter> = (0..voters)
        .map(|i| {
            (
                cookie(),
                POLLS[i % POLLS.len()].0,
                if i % 3 == 0 { "chua-tot" } else { "tot" },
            )
        })
        .collect();
    futures::stream::iter(cast.iter().enumerate())
        .for_each_concurrent(32, |(i, (visitor, poll, option))| async move {
            let address = format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256);
            let response = app.vote(poll, visitor, &address, json!([option])).await;
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        })
        .await;
    let post = reqwest::Method::POST;
    admin(app, post.clone(), "/admin/polls/da-dong/close", None).await;
    admin(app, post.clone(), "/admin/polls/luu-tru/close", None).await;
    admin(app, post, "/admin/polls/luu-tru/archive", None).await;
    for (i, (visitor, ..)) in cast.iter().take(300).enumerate() {
        let page = format!("/tin-tuc/{}", i % 7);
        app.hit_json(Some(visitor), Some(&page)).await;
    }
    app.flushed().await;
    cast
}

/// What the public sees — the counter (without who is online now) and
/// each poll's results — and the history editors read.
async fn public_view(app: &TestApp) -> Value {
    let mut counter = app.settled_counter(Some("/tin-tuc/1")).await;
    counter.as_object_mut().unwrap().remove("online");
    let mut polls = serde_json::Map::new();
    for id in POLLS.iter().map(|p| p.0).chain(["sap-mo"]) {
        let results: Value = app
            .http
            .get(app.url(&format!("/v1/polls/{id}/results")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        polls.insert(id.into(), results);
    }
    // The history, as editors read it: every imported day, the days'
    // most-read pages, a poll's ballots per day.
    let mut history = serde_json::Map::new();
    for path in [
        "/admin/history/days?from=2023-01-01&to=2026-11-27",
        "/admin/history/top-pages?from=2026-11-20&to=2026-11-27",
        "/admin/history/pages?from=2026-11-27&to=2026-11-27",
        "/admin/polls/dang-mo/ballots-per-day",
    ] {
        history.insert(
            path.into(),
            admin(app, reqwest::Method::GET, path, None).await,
        );
    }
    json!({"counter": counter, "polls": polls, "history": history})
}

/// Backs up `app` over HTTP with the binary, into `dir`.
async fn backup(app: &TestApp, dir: &Path) -> PathBuf {
    let out = dir.join("tally.jsonl.gz");
    let env = [("TALLY_ADMIN_TOKEN", TOKEN.to_owned())];
    let done = tally(
        &["backup", "--from", &app.ops, "--out", out.to_str().unwrap()],
        &env,
    )
    .await;
    assert!(done.status.success(), "{}", text(&done.stderr));
    out
}

async fn round_trip(from: Backend, to: Backend, voters: usize) {
    let source = Home::open(from).await;
    let app = start(&source).await;
    let cast = deployment(&app, voters).await;
    let before = public_view(&app).await;
    let dir = TempDir::new().unwrap();
    let started = Instant::now();
    let file = backup(&app, dir.path()).await;
    let took_backup = started.elapsed();
    app.stop().await;
    // The cluster is one per run: the source's turn ends before the
    // target's begins.
    drop(source);

    let target = Home::open(to).await;
    let env = target.env();
    let started = Instant::now();
    let restored = tally(&["restore", "--file", file.to_str().unwrap()], &env).await;
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let took_restore = started.elapsed();
    let checked = tally(&["check", "--file", file.to_str().unwrap()], &env).await;
    assert!(
        checked.status.success(),
        "{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
    assert!(
        text(&checked.stdout).starts_with("no difference"),
        "{}",
        text(&checked.stdout)
    );
    eprintln!(
        "{from:?} → {to:?}: {voters} voters, {} bytes; backup {took_backup:?}, restore {took_restore:?}",
        std::fs::metadata(&file).unwrap().len()
    );

    let app = start(&target).await;
    assert_eq!(public_view(&app).await, before);
    for (visitor, poll, option) in cast.iter().step_by((voters / 40).max(1)) {
        let seen = app.poll_for(poll, visitor).await;
        assert_eq!(seen["voted"], true, "{poll} {visitor}: {seen}");
        assert_eq!(seen["choices"], json!([option]), "{poll} {visitor}: {seen}");
        if *poll == "dang-mo" || *poll == "sau-khi-bau" {
            let again = app.vote(poll, visitor, "10.200.0.1", json!(["tot"])).await;
            assert_eq!(again.status(), 409, "{poll} {visitor}");
            let body: Value = again.json().await.unwrap();
            assert_eq!(body["error"]["code"], "already_voted");
        }
    }
    // The deleted poll stays deleted; the audit log came along.
    let audit = admin(&app, reqwest::Method::GET, "/admin/audit?limit=1000", None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        actions.contains(&"delete_poll") && actions.contains(&"archive_poll"),
        "{audit}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_to_redis_keeps_every_count_and_voter() {
    round_trip(Backend::Embedded, Backend::Redis, 1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_to_cluster_keeps_every_count_and_voter() {
    round_trip(Backend::Redis, Backend::Cluster, 10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_to_embedded_keeps_every_count_and_voter() {
    round_trip(Backend::Cluster, Backend::Embedded, 1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_moves_a_running_deployment_and_proves_it() {
    let source = Home::open(Backend::Embedded).await;
    let app = start(&source).await;
    deployment(&app, 40).await;
    let before = public_view(&app).await;
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("moved.jsonl.gz");
    let target = Home::open(Backend::Redis).await;
    let mut env = target.env();
    env.push(("TALLY_ADMIN_TOKEN", TOKEN.to_owned()));
    let args = [
        "migrate",
        "--from",
        &app.ops,
        "--file",
        file.to_str().unwrap(),
    ];
    let moved = tally(&args, &env).await;
    let said = text(&moved.stdout);
    assert!(moved.status.success(), "{said}{}", text(&moved.stderr));
    assert!(
        said.contains("records restored") && said.contains("no difference"),
        "{said}"
    );
    app.stop().await;
    let app = start(&target).await;
    assert_eq!(public_view(&app).await, before);
    app.stop().await;
}

// ---- refusals ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_not_empty_and_a_merge_that_counts_twice_are_refused() {
    let source = Home::open(Backend::Embedded).await;
    let app = start(&source).await;
    deployment(&app, 40).await;
    let dir = TempDir::new().unwrap();
    let file = backup(&app, dir.path()).await;
    app.stop().await;
    let file = file.to_str().unwrap();

    let target = Home::open(Backend::Redis).await;
    let env = target.env();
    let first = tally(&["restore", "--file", file], &env).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let again = tally(&["restore", "--file", file], &env).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );
    let merged = tally(&["restore", "--merge", "--file", file], &env).await;
    assert_eq!(merged.status.code(), Some(1));
    let why = text(&merged.stderr);
    assert!(why.contains("count twice"), "{why}");
    assert!(why.contains("poll dang-mo has ballots in both"), "{why}");
    assert!(why.contains("has visits in both"), "{why}");
    assert_eq!(why.lines().count(), 1, "{why}");
    // Nothing was added by the refusals.
    let checked = tally(&["check", "--file", file], &env).await;
    assert!(checked.status.success(), "{}", text(&checked.stdout));
}

/// A small export written with the format's own writer: one poll with
/// `voters` voter records.
fn export_file(dir: &Path, voters: usize) -> PathBuf {
    let path = dir.join("small.jsonl.gz");
    let spec = json!({"id": "lon", "question": "Câu hỏi?",
        "options": [{"id": "tot", "label": "Tốt"}, {"id": "kem", "label": "Kém"}]});
    let poll = tally::poll::Poll::new(serde_json::from_value(spec).unwrap()).unwrap();
    let n = voters as u64;
    let counts = [("tot".to_owned(), n), ("_voters".to_owned(), n)].into();
    let site = || "default".to_owned();
    let header = Header::new("embedded", noon(), &["default"]);
    let mut writer = Writer::new(
        std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
        &header,
    )
    .unwrap();
    writer
        .piece(&Piece::Counters {
            site: site(),
            baseline: 0,
            visits: 5,
        })
        .unwrap();
    writer
        .piece(&Piece::Poll {
            site: site(),
            poll: Box::new(poll),
            counts,
        })
        .unwrap();
    for i in 0..voters {
        let piece = Piece::Voter {
            site: site(),
            poll: PollId::parse("lon").unwrap(),
            visitor: format!("c.{i:036x}"),
            record: format!("{i:032x}/00|tot"),
        };
        writer.piece(&piece).unwrap();
    }
    writer.finish().unwrap().flush().unwrap();
    path
}

/// `path` with its header's `format_version` raised to 2.
fn newer(path: &Path) -> PathBuf {
    let mut lines = Vec::new();
    let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
        std::fs::File::open(path).unwrap(),
    ));
    for line in reader.lines() {
        lines.push(line.unwrap());
    }
    let mut head: Value = serde_json::from_str(&lines[0]).unwrap();
    head["format_version"] = json!(2);
    lines[0] = head.to_string();
    let out = path.with_file_name("newer.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&out).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    gz.finish().unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_format_and_a_cut_file_are_refused_and_write_nothing() {
    let dir = TempDir::new().unwrap();
    let whole = export_file(dir.path(), 2_000);
    let target = Home::open(Backend::Redis).await;
    let env = target.env();

    let newer = newer(&whole);
    for command in ["restore", "check"] {
        let refused = tally(&[command, "--file", newer.to_str().unwrap()], &env).await;
        assert_eq!(refused.status.code(), Some(1), "{command}");
        let line = text(&refused.stderr);
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(
            line.contains("version 2") && line.contains("version 1"),
            "{line}"
        );
    }

    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let refused = tally(&["restore", "--file", cut.to_str().unwrap()], &env).await;
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        text(&refused.stderr).lines().count(),
        1,
        "{}",
        text(&refused.stderr)
    );

    let store = target.open_store().await;
    let held = store.holding(&tally::ids::SiteId::DEFAULT).await.unwrap();
    assert!(held.empty && held.restoring.is_none(), "{held:?}");
    // The whole file restores.
    let restored = tally(&["restore", "--file", whole.to_str().unwrap()], &env).await;
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let checked = tally(
        &[
            "check",
            "--file",
            whole.to_str().unwrap(),
            "--against",
            whole.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert!(checked.status.success());
}

/// Serves `body` once as a `200` whose connection closes early.
async fn serve_once(body: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0; 4096];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/gzip\r\nconnection: close\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&body).await.unwrap();
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_short_leaves_no_file() {
    let dir = TempDir::new().unwrap();
    let bytes = std::fs::read(export_file(dir.path(), 2_000)).unwrap();
    let url = serve_once(bytes[..bytes.len() * 2 / 3].to_vec()).await;
    let out = dir.path().join("backup.jsonl.gz");
    let env = [("TALLY_ADMIN_TOKEN", TOKEN.to_owned())];
    let done = tally(
        &["backup", "--from", &url, "--out", out.to_str().unwrap()],
        &env,
    )
    .await;
    assert_eq!(done.status.code(), Some(1));
    assert!(!out.exists());
    assert!(!dir.path().join("backup.jsonl.gz.partial").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_killed_half_way_is_reported_incomplete_everywhere() {
    let dir = TempDir::new().unwrap();
    let file = export_file(dir.path(), 300_000);
    let file = file.to_str().unwrap();
    let target = Home::open(Backend::Redis).await;
    let Home::Redis(server) = &target else {
        unreachable!()
    };
    let env = target.env();
    let mut restore = Command::new(env!("CARGO_BIN_EXE_tally"));
    restore
        .args(["restore", "--file", file])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let mut child = restore
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    while redis_cli(server.port, &["exists", "tally:{default}:restoring"]).trim() != "1" {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the restore ended before it was seen"
        );
        assert!(Instant::now() < deadline, "the restore did not begin");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let voters = redis_cli(server.port, &["hlen", "tally:{default/p/lon}:voters"]);
    let voters: u64 = voters.trim().parse().unwrap();
    assert!(
        voters < 300_000,
        "killed after it finished ({voters} voters)"
    );

    for args in [
        vec!["check", "--file", file],
        vec!["restore", "--file", file],
    ] {
        let refused = tally(&args, &env).await;
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        let line = text(&refused.stderr);
        assert!(
            line.contains("incomplete restore") && line.lines().count() == 1,
            "{line}"
        );
    }
    let (public, ops) = (free_port(), free_port());
    let mut serve = Command::new(env!("CARGO_BIN_EXE_tally"));
    serve
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("TALLY_LISTEN", format!("127.0.0.1:{public}"))
        .env("TALLY_OPS_LISTEN", format!("127.0.0.1:{ops}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = serve.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tally served on an incomplete restore");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut said = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    assert!(!status.success());
    assert!(
        said.contains("incomplete restore") && said.trim().lines().count() == 1,
        "{said}"
    );
}

// ---- backups kept in a directory ---------------------------------------

/// The backups `tally backup --out-dir` keeps in `dir`, oldest first.
fn kept(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Counts the records of a whole export (panics on a cut one) and gives
/// its header and its visits.
fn whole(path: &Path) -> (Header, u64) {
    let mut reader = tally::archive::restore::open(path).unwrap();
    let header = reader.header().clone();
    let mut visits = None;
    for piece in &mut reader {
        if let Piece::Counters { visits: n, .. } = piece.unwrap() {
            visits = Some(n);
        }
    }
    (header, visits.expect("a counters record"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_into_a_directory_keep_the_newest_and_a_failure_removes_nothing() {
    let home = Home::open(Backend::Embedded).await;
    let app = start(&home).await;
    let dir = TempDir::new().unwrap();
    // Files the backups did not make are never pruned.
    std::fs::write(dir.path().join("notes.txt"), "giữ lại").unwrap();
    std::fs::write(dir.path().join("tally-before.jsonl.gz"), "not ours").unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let env = [("TALLY_ADMIN_TOKEN", TOKEN.to_owned())];
    let args = [
        "backup",
        "--from",
        &app.ops,
        "--out-dir",
        dir_arg,
        "--keep",
        "1",
    ];

    app.hit_json(Some(&cookie()), Some("/a")).await;
    app.flushed().await;
    let first = tally(&args, &env).await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let first_name = "tally-2026-11-27T050000Z.jsonl.gz";
    assert_eq!(
        kept(dir.path()),
        ["notes.txt", first_name, "tally-before.jsonl.gz"]
    );
    assert!(
        text(&first.stdout).contains(first_name),
        "{}",
        text(&first.stdout)
    );

    app.clock.advance(jiff::SignedDuration::from_hours(1));
    app.hit_json(Some(&cookie()), Some("/a")).await;
    app.flushed().await;
    let second = tally(&args, &env).await;
    assert!(second.status.success(), "{}", text(&second.stderr));
    let newer = "tally-2026-11-27T060000Z.jsonl.gz";
    assert_eq!(
        kept(dir.path()),
        ["notes.txt", newer, "tally-before.jsonl.gz"]
    );
    assert!(
        text(&second.stdout).contains("removed"),
        "{}",
        text(&second.stdout)
    );
    let (header, visits) = whole(&dir.path().join(newer));
    assert_eq!(header.cut, "2026-11-27T06:00:00Z".parse().unwrap());
    assert_eq!(visits, 2, "the newer backup holds both visits");

    // A backup that fails (refused, or its download cut short) leaves the
    // directory as it was: nothing pruned, no partial file.
    app.clock.advance(jiff::SignedDuration::from_hours(1));
    let wrong = [("TALLY_ADMIN_TOKEN", "not-the-token-at-all-0000".to_owned())];
    let refused = tally(&args, &wrong).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    let bytes = std::fs::read(dir.path().join(newer)).unwrap();
    let url = serve_once(bytes[..bytes.len() / 2].to_vec()).await;
    let cut_args = [
        "backup",
        "--from",
        &url,
        "--out-dir",
        dir_arg,
        "--keep",
        "1",
    ];
    let cut = tally(&cut_args, &env).await;
    assert_eq!(cut.status.code(), Some(1), "{}", text(&cut.stderr));
    assert_eq!(
        kept(dir.path()),
        ["notes.txt", newer, "tally-before.jsonl.gz"]
    );
    whole(&dir.path().join(newer));

    // --keep only means something with --out-dir; --out and --out-dir
    // exclude each other.
    let out = dir.path().join("x.jsonl.gz");
    let out = out.to_str().unwrap();
    for bad in [
        vec!["backup", "--from", &app.ops, "--out", out, "--keep", "1"],
        vec![
            "backup",
            "--from",
            &app.ops,
            "--out",
            out,
            "--out-dir",
            dir_arg,
        ],
        vec!["backup", "--from", &app.ops],
    ] {
        let refused = tally(&bad, &env).await;
        assert_eq!(refused.status.code(), Some(2), "{bad:?}");
    }
    app.stop().await;
}
