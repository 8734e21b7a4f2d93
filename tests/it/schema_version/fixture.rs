//! The fixtures of stores as this release writes them: the scenario that
//! writes one (history imported, hits, a poll with ballots, the audit
//! entries those make), every count it must read back, and the fixtures on
//! disk: the embedded store's `tally.redb` as it is, Redis as a diffable
//! list of commands (one JSON array a line) that recreates every key.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tally::calendar::Day;
use tally::config::Secret;
use tally::ids::{PageId, PollId, SiteId, VisitorKey};
use tally::store::{CounterQuery, Store};

use super::redis_file::{commands, dump, send};
use crate::support::{Home, TestApp, noon};

pub const ADMIN_TOKEN: &str = "schema-version-admin-token-0123456789";
pub const POLL: &str = "danh-gia-cong";
const PAGES: [&str; 2] = ["/tin-tuc/1", "/tin-tuc/2"];
const BASELINE: u64 = 7_582_803;
const IMPORTED: [(&str, u64); 3] = [
    ("2025-01-01", 100),
    ("2025-01-02", 200),
    ("2025-01-03", 300),
];

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stores/schema-1")
}

fn day(s: &str) -> Day {
    s.parse().unwrap()
}

/// The scenario's day, at noon in Hồ Chí Minh City.
fn today() -> Day {
    day("2026-11-27")
}

/// Visitor `n`'s cookie, the same every run.
fn visitor(n: u32) -> String {
    format!("{n:036x}")
}

/// Writes the scenario into `home` through the app, and stops it.
pub async fn write_scenario(home: &Home) {
    let polls = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        polls.path(),
        format!(
            "[[polls]]\nid = \"{POLL}\"\nquestion = \"Bạn đánh giá như thế nào về cổng thông tin này?\"\n\
             options = [{{ id = \"rat-tot\", label = \"Rất tốt\" }}, {{ id = \"tot\", label = \"Tốt\" }}, \
             {{ id = \"chua-tot\", label = \"Chưa tốt\" }}]\n"
        ),
    )
    .unwrap();
    let app = TestApp::start(home, |s| {
        s.admin_token = Some(Secret::new(ADMIN_TOKEN.into()));
        s.polls_file = Some(polls.path().to_owned());
        s.counter_baseline = Some(BASELINE);
    })
    .await;
    let csv: String = IMPORTED.iter().map(|(d, v)| format!("{d},{v}\n")).collect();
    let imported = app
        .http
        .post(format!("{}/admin/history/import", app.ops))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(format!("date,visits\n{csv}"))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    for n in 1..=5 {
        let page = PAGES[(n as usize + 1) % 2];
        assert_eq!(app.hit(Some(&visitor(n)), Some(page)).await.status(), 200);
    }
    for (n, choice) in [(1, "tot"), (2, "tot"), (3, "rat-tot")] {
        let address = format!("198.51.100.{n}");
        let cast = app
            .vote(POLL, &visitor(n), &address, serde_json::json!([choice]))
            .await;
        assert_eq!(cast.status(), 201);
    }
    app.stop().await;
}

/// Every count a store holds after the scenario.
#[derive(Debug, PartialEq)]
pub struct Readout {
    pub baseline: u64,
    pub visits: u64,
    pub today: u64,
    pub this_month: u64,
    pub pages: Vec<u64>,
    pub imported_days: Vec<u64>,
    pub top_pages: Vec<(String, u64)>,
    pub polls: Vec<String>,
    pub votes: Vec<u64>,
    pub voters: u64,
    /// What visitors 1 to 4 chose (4 did not vote).
    pub voted: Vec<Option<Vec<String>>>,
    pub ballots_by_day: Vec<(String, String, u64)>,
    /// `(action, target)`, newest first.
    pub audit: Vec<(String, String)>,
}

pub fn expected() -> Readout {
    let s = |v: &str| v.to_owned();
    Readout {
        baseline: BASELINE,
        visits: 5 + 600,
        today: 5,
        this_month: 5,
        pages: vec![3, 2],
        imported_days: vec![100, 200, 300],
        top_pages: vec![(s("/tin-tuc/1"), 3), (s("/tin-tuc/2"), 2)],
        polls: vec![s(POLL)],
        votes: vec![1, 2, 0],
        voters: 3,
        voted: vec![
            Some(vec![s("tot")]),
            Some(vec![s("tot")]),
            Some(vec![s("rat-tot")]),
            None,
        ],
        ballots_by_day: vec![
            (s("2026-11-27"), s("_voters"), 3),
            (s("2026-11-27"), s("rat-tot"), 1),
            (s("2026-11-27"), s("tot"), 2),
        ],
        audit: vec![
            (s("import_visits"), s("counter")),
            (s("create_poll"), s(POLL)),
            // TALLY_COUNTER_BASELINE seeding the new store.
            (s("set_baseline"), s("counter")),
        ],
    }
}

/// Reads every count of the scenario from `store`.
pub async fn read_back(store: &dyn Store) -> Readout {
    let site = SiteId::DEFAULT;
    let pages: Vec<PageId> = PAGES.iter().map(|p| PageId::parse(p).unwrap()).collect();
    let query = CounterQuery {
        today: today(),
        yesterday: today().yesterday(),
        week: today().week(),
        month: today().month(),
        online_since: noon(),
        pages: pages.clone(),
    };
    let counters = store.read(&site, &query).await.unwrap();
    let imported_days = store
        .visits_by_day(&site, day(IMPORTED[0].0), day(IMPORTED[2].0))
        .await
        .unwrap();
    let top_pages = store.pages_by_day(&site, &[today()], 10).await.unwrap();
    let poll = PollId::parse(POLL).unwrap();
    let mut polls: Vec<String> = store
        .list_polls(&site)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id.to_string())
        .collect();
    polls.sort();
    let state = store.poll_state(&site, &poll, None).await.unwrap().unwrap();
    let mut voted = Vec::new();
    for n in 1..=4 {
        let key = VisitorKey::from_cookie(&visitor(n)).unwrap();
        let mine = store
            .poll_state(&site, &poll, Some(&key))
            .await
            .unwrap()
            .unwrap();
        voted.push(
            mine.voted
                .map(|o| o.iter().map(ToString::to_string).collect()),
        );
    }
    let mut ballots_by_day: Vec<(String, String, u64)> = store
        .ballots_by_day(&site, &poll)
        .await
        .unwrap()
        .into_iter()
        .map(|(d, o, n)| (d.to_string(), o, n))
        .collect();
    ballots_by_day.sort();
    let audit = store
        .audit(&site, 100)
        .await
        .unwrap()
        .iter()
        .map(|json| {
            let entry: Value = serde_json::from_str(json).unwrap();
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (text(&entry["action"]), text(&entry["target"]))
        })
        .collect();
    Readout {
        baseline: counters.baseline,
        visits: counters.visits,
        today: counters.today,
        this_month: counters.this_month,
        pages: counters.pages,
        imported_days,
        top_pages: top_pages[0]
            .iter()
            .map(|(p, n)| (p.to_string(), *n))
            .collect(),
        polls,
        votes: state.votes,
        voters: state.voters,
        voted,
        ballots_by_day,
        audit,
    }
}

/// Puts the fixture into the (empty) store of `home`.
pub async fn load(home: &Home) {
    match home {
        Home::Embedded(dir_) => {
            std::fs::copy(dir().join("tally.redb"), dir_.path().join("tally.redb")).unwrap();
        }
        _ => {
            let cmds: Vec<redis::Cmd> = commands()
                .iter()
                .map(|args| {
                    let mut cmd = redis::cmd(&args[0]);
                    cmd.arg(&args[1..]);
                    cmd
                })
                .collect();
            send(home, &cmds).await;
        }
    }
}

/// What the store holds, to see that tally wrote nothing: each table's
/// length and the stamp (redb rewrites its own header when it opens a
/// file), or every key as the commands that recreate it.
pub async fn snapshot(home: &Home) -> Vec<String> {
    match home {
        Home::Embedded(d) => {
            use redb::{ReadableDatabase, ReadableTableMetadata, TableHandle};
            let db = redb::Database::open(d.path().join("tally.redb")).unwrap();
            let txn = db.begin_read().unwrap();
            let mut tables: Vec<String> = txn
                .list_tables()
                .unwrap()
                .map(|t| {
                    let name = t.name().to_owned();
                    let len = txn.open_untyped_table(t).unwrap().len().unwrap();
                    format!("{name}: {len}")
                })
                .collect();
            let meta: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
            let stamp = txn
                .open_table(meta)
                .unwrap()
                .get("schema")
                .unwrap()
                .map(|v| v.value());
            tables.push(format!("stamp: {stamp:?}"));
            tables
        }
        _ => dump(home, false).await,
    }
}

/// Writes the fixture of the store in `home` (the cluster's is Redis's).
pub async fn save(home: &Home) {
    std::fs::create_dir_all(dir()).unwrap();
    match home {
        Home::Embedded(d) => {
            std::fs::copy(d.path().join("tally.redb"), dir().join("tally.redb")).unwrap();
        }
        Home::Redis(_) => {
            let header = "# Redis as tally schema 1 wrote it (tests/it/schema_version): one command \
                          a line, a JSON array of its arguments; times to live rounded up to the \
                          minute, and expiring keys that are not text (hashing keys) left out.";
            let mut text = vec![header.to_owned()];
            text.extend(dump(home, true).await);
            std::fs::write(dir().join("redis.jsonl"), text.join("\n") + "\n").unwrap();
        }
        Home::Cluster(_) => {}
    }
}
