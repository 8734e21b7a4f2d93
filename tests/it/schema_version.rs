//! Stores say which schema wrote them, on every store: a new store is
//! stamped; a store with data and no stamp (written before stamps) is
//! stamped and the upgrade audited, once; a store stamped by a newer tally
//! stops the real binary with one line, untouched; and the fixture of each
//! store as this release writes it (`tests/fixtures/stores/schema-1/`)
//! opens and reads back every count, so every later release proves its
//! upgrade from it. `UPDATE_FIXTURES=1` rewrites the fixtures.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tally::config::{Secret, StoreSettings};
use tally::store::schema::{SCHEMA, Settled};
use tally::store::{Store, keys};

use crate::support::{Backend, Binary, Home, TestApp, get_json};

mod fixture;
mod redis_file;

use fixture::{ADMIN_TOKEN, expected, read_back, write_scenario};

/// The embedded store's stamp, as the file holds it.
const META: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");

fn redb_file(home: &Home) -> PathBuf {
    let Home::Embedded(dir) = home else {
        unreachable!("an embedded home")
    };
    dir.path().join("tally.redb")
}

/// Where the binary's one line says the store is.
fn place(home: &Home) -> String {
    match home.store_settings() {
        StoreSettings::Embedded { .. } => redb_file(home).display().to_string(),
        StoreSettings::Redis { url } => url,
        StoreSettings::Cluster { nodes } => nodes.join(","),
    }
}

/// The store's stamp (`None`: none), read as tally keeps it.
async fn stamp(home: &Home) -> Option<u64> {
    match home {
        Home::Embedded(_) => {
            let db = redb::Database::open(redb_file(home)).unwrap();
            let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
            match txn.open_table(META) {
                Ok(meta) => meta.get("schema").unwrap().map(|v| v.value()),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => panic!("{e}"),
            }
        }
        _ => {
            let answers =
                redis_file::send(home, &[::redis::cmd("GET").arg(keys::schema()).clone()]).await;
            let got: Option<String> = ::redis::from_redis_value(answers[0].clone()).unwrap();
            got.map(|v| v.parse().unwrap())
        }
    }
}

/// Stamps the store `version`, or removes its stamp (`None`) as a store
/// written before stamps has none.
async fn restamp(home: &Home, version: Option<u64>) {
    match home {
        Home::Embedded(_) => {
            let db = redb::Database::open(redb_file(home)).unwrap();
            let txn = db.begin_write().unwrap();
            match version {
                Some(v) => {
                    txn.open_table(META).unwrap().insert("schema", v).unwrap();
                }
                None => {
                    txn.delete_table(META).unwrap();
                }
            }
            txn.commit().unwrap();
        }
        _ => {
            let cmd = match version {
                Some(v) => ::redis::cmd("SET").arg(keys::schema()).arg(v).clone(),
                None => ::redis::cmd("DEL").arg(keys::schema()).clone(),
            };
            redis_file::send(home, &[cmd]).await;
        }
    }
}

/// Every upgrade entry in the audit log.
async fn upgrade_entries(app: &TestApp) -> Vec<Value> {
    let audit = app
        .http
        .get(format!("{}/admin/audit", app.ops))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(audit.status(), 200);
    let audit: Value = audit.json().await.unwrap();
    let entries = audit["entries"].as_array().cloned().unwrap_or_default();
    entries
        .into_iter()
        .filter(|e| e["action"] == "upgrade_store")
        .collect()
}

async fn start(home: &Home) -> TestApp {
    TestApp::start(home, |s| {
        s.admin_token = Some(Secret::new(ADMIN_TOKEN.into()))
    })
    .await
}

async fn open(home: &Home) -> Arc<dyn Store> {
    home.open_store().await
}

on_every_store!(
    an_empty_store_is_stamped_without_an_audit_entry,
    a_store_without_a_stamp_is_upgraded_and_audited_once,
    a_newer_store_stops_the_binary_in_one_line_untouched,
    this_releases_store_reads_back_every_count,
    the_schema_1_fixture_opens_and_reads_back_every_count,
);

async fn an_empty_store_is_stamped_without_an_audit_entry(backend: Backend) {
    let home = Home::open(backend).await;
    let app = start(&home).await;
    assert!(upgrade_entries(&app).await.is_empty());
    app.stop().await;
    assert_eq!(stamp(&home).await, Some(u64::from(SCHEMA)));
}

async fn a_store_without_a_stamp_is_upgraded_and_audited_once(backend: Backend) {
    let home = Home::open(backend).await;
    fixture::load(&home).await;
    restamp(&home, None).await;
    assert_eq!(stamp(&home).await, None);

    let app = start(&home).await;
    let entries = upgrade_entries(&app).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["who"], "tally");
    assert_eq!(entries[0]["target"], "store");
    assert_eq!(entries[0]["before"], serde_json::json!({"schema": 0}));
    assert_eq!(entries[0]["after"], serde_json::json!({"schema": SCHEMA}));
    // The console's log says so in words, not as a link to a poll "store".
    let console = crate::support::console::Console::signed_in(&app, ADMIN_TOKEN).await;
    let page = console.text("/admin/console/audit").await;
    assert!(page.contains("Kho dữ liệu"), "{page}");
    assert!(!page.contains("/admin/console/polls/store"), "{page}");
    app.stop().await;
    assert_eq!(stamp(&home).await, Some(u64::from(SCHEMA)));

    // Started again, nothing is left to upgrade and no entry is added.
    let app = start(&home).await;
    assert_eq!(upgrade_entries(&app).await.len(), 1);
    app.stop().await;
    let store = open(&home).await;
    assert_eq!(store.settle_schema().await.unwrap(), Settled::Current);
    let mut counts = read_back(&*store).await;
    // The upgrade's own entry is the newest.
    assert_eq!(counts.audit.remove(0).0, "upgrade_store");
    assert_eq!(counts, expected());
}

async fn a_newer_store_stops_the_binary_in_one_line_untouched(backend: Backend) {
    let home = Home::open(backend).await;
    fixture::load(&home).await;
    let newer = SCHEMA + 1;
    restamp(&home, Some(u64::from(newer))).await;
    let before = fixture::snapshot(&home).await;

    let out = Command::new(env!("CARGO_BIN_EXE_tally"))
        .env_clear()
        .envs(home.env())
        .env("TALLY_LISTEN", "127.0.0.1:0")
        .env("TALLY_OPS_LISTEN", "127.0.0.1:0")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the tally binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, refusal(&home, newer) + "\n");
    assert_eq!(
        fixture::snapshot(&home).await,
        before,
        "the store was written"
    );
}

/// The one line a store stamped `newer` stops tally with.
fn refusal(home: &Home, newer: u32) -> String {
    format!(
        "tally: the store at {} was written by schema {newer}, newer than this tally's \
         {SCHEMA}; run a newer tally or restore from a backup",
        place(home)
    )
}

/// Redis paused while tally starts: it serves, and settles the stamp when
/// Redis answers; a newer one then ends the process with the same line,
/// before the start's writes (the polls file) are made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_stamp_found_when_redis_first_answers_ends_the_process() {
    let home = Home::new(Backend::Redis);
    fixture::load(&home).await;
    let newer = SCHEMA + 1;
    restamp(&home, Some(u64::from(newer))).await;
    let before = fixture::snapshot(&home).await;
    let Home::Redis(server) = &home else {
        unreachable!()
    };
    // Long enough for the start's three calls (500 ms each) to give up.
    assert_eq!(server.cli(&["CLIENT", "PAUSE", "5000", "ALL"]), "OK");
    let polls = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml");
    let log = tempfile::NamedTempFile::new().unwrap();
    let binary = Binary::start_logging(
        &[
            ("TALLY_REDIS_URL", server.url()),
            ("TALLY_POLLS_FILE", polls.to_owned()),
        ],
        log.reopen().unwrap(),
    )
    .await;
    let status = binary.wait(Duration::from_secs(30)).await;
    let stderr = std::fs::read_to_string(log.path()).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some(refusal(&home, newer).as_str()),
        "{stderr}"
    );
    assert_eq!(
        fixture::snapshot(&home).await,
        before,
        "the store was written"
    );
}

async fn this_releases_store_reads_back_every_count(backend: Backend) {
    let home = Home::open(backend).await;
    write_scenario(&home).await;
    assert_eq!(stamp(&home).await, Some(u64::from(SCHEMA)));
    let store = open(&home).await;
    assert_eq!(store.settle_schema().await.unwrap(), Settled::Current);
    assert_eq!(read_back(&*store).await, expected());
    drop(store);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        fixture::save(&home).await;
    }
}

async fn the_schema_1_fixture_opens_and_reads_back_every_count(backend: Backend) {
    let home = Home::open(backend).await;
    fixture::load(&home).await;
    let store = open(&home).await;
    let settled = store.settle_schema().await.unwrap();
    if SCHEMA == 1 {
        assert_eq!(settled, Settled::Current);
    } else {
        assert_eq!(settled, Settled::Upgraded { from: 1 });
    }
    let mut counts = read_back(&*store).await;
    if SCHEMA > 1 {
        assert_eq!(counts.audit.remove(0).0, "upgrade_store");
    }
    assert_eq!(counts, expected());
    drop(store);
    // And the app serves it.
    let app = start(&home).await;
    let counter = get_json(&app.http, app.url("/v1/counter?page=/tin-tuc/1")).await;
    let want = expected();
    assert_eq!(counter["total"], want.baseline + want.visits);
    assert_eq!(counter["page"]["views"], want.pages[0]);
    let results = get_json(
        &app.http,
        app.url(&format!("/v1/polls/{}/results", fixture::POLL)),
    )
    .await;
    assert_eq!(results["total_votes"], want.votes.iter().sum::<u64>());
    app.stop().await;
}
