//! Retention over the running app, its clock moved by hand: audit entries
//! deleted once `TALLY_AUDIT_DAYS` old and not before; a closed poll's
//! voter records kept until `TALLY_VOTER_DAYS` after its close (the voter
//! still sees their choice and cannot vote again) and deleted after, its
//! results unchanged; a reopen refused from the day before; an open
//! poll's voters never deleted; the settings refused in one line.

use jiff::SignedDuration;
use serde_json::{Value, json};
use tally::retention::Swept;

use crate::support::{Backend, Home, TestApp, cookie, noon};

const TOKEN: &str = "test-admin-token-0123456789";
const POLL: &str = "danh-gia-cong";
const OPEN_POLL: &str = "chuyen-muc-quan-tam";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
    s.audit_days = 10;
    s.voter_days = 30;
}

pub fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

pub async fn sweep(app: &TestApp) -> Swept {
    let running = app.running.as_ref().unwrap();
    running.app.retention.sweep().await.unwrap()
}

async fn admin(app: &TestApp, method: reqwest::Method, path: &str) -> reqwest::Response {
    app.http
        .request(method, format!("{}{path}", app.ops))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    let log: Value = admin(app, reqwest::Method::GET, "/admin/audit?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["action"].as_str().unwrap(), e["target"]))
        .collect()
}

/// A poll's results: its counts per option and in all.
async fn results(app: &TestApp, poll: &str) -> Value {
    let r = app
        .http
        .get(app.url(&format!("/v1/polls/{poll}/results")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    json!([r["options"], r["total_votes"], r["total_voters"]])
}

async fn audit_entries_go_when_their_days_are_over(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    // The polls file's entries, written at noon.
    let seeded = audit_actions(&app).await;
    assert!(!seeded.is_empty());
    app.clock.advance(days(5));
    let closed = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/close"),
    )
    .await;
    assert_eq!(closed.status(), 200);
    let all = audit_actions(&app).await;
    assert_eq!(all.len(), seeded.len() + 1);

    // A minute before the first entries are ten days old: all stay.
    app.clock
        .set(noon() + days(10) - SignedDuration::from_mins(1));
    assert_eq!(sweep(&app).await.audit_entries, 0);
    assert_eq!(audit_actions(&app).await, all);
    // A minute after: the seeding's entries go, the close stays.
    app.clock.advance(SignedDuration::from_mins(2));
    assert_eq!(sweep(&app).await.audit_entries, seeded.len() as u64);
    assert_eq!(
        audit_actions(&app).await,
        vec![format!("close_poll \"{POLL}\"")]
    );
    assert_eq!(sweep(&app).await, Swept::default());
    // Ten days after the close, it goes too.
    app.clock
        .set(noon() + days(15) + SignedDuration::from_mins(1));
    assert_eq!(sweep(&app).await.audit_entries, 1);
    assert!(audit_actions(&app).await.is_empty());
    app.stop().await;
}

async fn voters_are_kept_until_their_days_after_the_close(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let (lan, minh) = (cookie(), cookie());
    for (voter, option) in [(&lan, "tot"), (&minh, "chua-tot")] {
        let r = app.vote(POLL, voter, "203.0.113.7", json!([option])).await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .vote(OPEN_POLL, &lan, "203.0.113.7", json!(["tin-tuc"]))
        .await;
    assert_eq!(r.status(), 201);
    let closed = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/close"),
    )
    .await;
    assert_eq!(closed.status(), 200);
    let before = results(&app, POLL).await;
    assert_eq!(before[2], 2);
    let reopen = format!("/admin/polls/{POLL}/reopen");

    // The day before: kept; the voter sees their choice and cannot vote again.
    app.clock
        .set(noon() + days(29) + SignedDuration::from_mins(1));
    assert_eq!(sweep(&app).await.voter_records, 0);
    assert_eq!(app.poll_for(POLL, &lan).await["voted"], true);
    let again = app.vote(POLL, &lan, "203.0.113.7", json!(["tot"])).await;
    assert_eq!(again.status(), 409);
    // From then on a reopen is refused, in words.
    let refused = admin(&app, reqwest::Method::POST, &reopen).await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TALLY_VOTER_DAYS"),
        "{body}"
    );

    // After: the records go, the results stay as they were.
    app.clock
        .set(noon() + days(30) + SignedDuration::from_mins(1));
    let swept = sweep(&app).await;
    assert_eq!((swept.voter_records, swept.polls), (2, 1));
    assert_eq!(results(&app, POLL).await, before);
    assert_eq!(app.poll_for(POLL, &lan).await["voted"], false);
    let late = app.vote(POLL, &lan, "203.0.113.7", json!(["tot"])).await;
    assert_ne!(late.status(), 201);
    assert_eq!(results(&app, POLL).await, before);
    let refused = admin(&app, reqwest::Method::POST, &reopen).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(app.poll_for(POLL, &minh).await["status"], "closed");
    assert_eq!(sweep(&app).await.voter_records, 0);

    // An open poll's voters stay, however old.
    app.clock.set(noon() + days(3000));
    assert_eq!(sweep(&app).await.voter_records, 0);
    assert_eq!(app.poll_for(OPEN_POLL, &lan).await["voted"], true);
    app.stop().await;
}

async fn a_reopen_before_the_day_keeps_one_ballot_per_visitor(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let lan = cookie();
    let r = app.vote(POLL, &lan, "203.0.113.7", json!(["tot"])).await;
    assert_eq!(r.status(), 201);
    let closed = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/close"),
    )
    .await;
    assert_eq!(closed.status(), 200);
    app.clock.set(noon() + days(28));
    let reopened = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/reopen"),
    )
    .await;
    assert_eq!(reopened.status(), 200);
    // Reopened, it is open: its voters are not forgotten, however long.
    app.clock.set(noon() + days(400));
    assert_eq!(sweep(&app).await.voter_records, 0);
    let again = app.vote(POLL, &lan, "203.0.113.7", json!(["tot"])).await;
    assert_eq!(again.status(), 409);
    assert_eq!(results(&app, POLL).await[2], 1);
    app.stop().await;
}

/// Runs the tally binary with `args` and `env` to its end.
async fn tally(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || command.output().expect("the tally binary"))
        .await
        .unwrap()
}

async fn a_poll_without_its_voters_is_exported_restored_and_checked(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    for voter in [cookie(), cookie()] {
        let r = app.vote(POLL, &voter, "203.0.113.7", json!(["tot"])).await;
        assert_eq!(r.status(), 201);
    }
    let closed = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/close"),
    )
    .await;
    assert_eq!(closed.status(), 200);
    app.clock.set(noon() + days(31));
    assert_eq!(sweep(&app).await.voter_records, 2);
    let before = results(&app, POLL).await;
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("tally.jsonl.gz");
    let file = file.to_str().unwrap();
    let token = [("TALLY_ADMIN_TOKEN", TOKEN.to_owned())];
    let done = tally(&["backup", "--from", &app.ops, "--out", file], &token).await;
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    app.stop().await;
    drop(home);

    let target = Home::open(Backend::Embedded).await;
    let env = target.env();
    let restored = tally(&["restore", "--file", file], &env).await;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let checked = tally(&["check", "--file", file], &env).await;
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success() && said.starts_with("no difference"),
        "{said}"
    );
    let clock = std::sync::Arc::new(tally::clock::ManualClock::new(noon() + days(31)));
    let app = TestApp::start_at(&target, clock, settings).await;
    assert_eq!(results(&app, POLL).await, before);
    assert_eq!(before[2], 2);
    app.stop().await;
}

on_every_store!(
    audit_entries_go_when_their_days_are_over,
    voters_are_kept_until_their_days_after_the_close,
    a_reopen_before_the_day_keeps_one_ballot_per_visitor,
    a_poll_without_its_voters_is_exported_restored_and_checked,
);

#[test]
fn the_settings_are_refused_in_one_line() {
    for (name, value, line) in [
        (
            "TALLY_AUDIT_DAYS",
            "0",
            "TALLY_AUDIT_DAYS: must be between 1 and 36600, got 0",
        ),
        ("TALLY_AUDIT_DAYS", "5y", "TALLY_AUDIT_DAYS: "),
        (
            "TALLY_VOTER_DAYS",
            "1",
            "TALLY_VOTER_DAYS: must be between 2 and 3660, got 1",
        ),
    ] {
        let err = tally::config::Settings::from_lookup(|n| (n == name).then(|| value.to_owned()))
            .err()
            .unwrap_or_else(|| panic!("{name}={value} accepted"))
            .to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(line), "{err}");
    }
    let defaults = tally::config::Settings::from_lookup(|_| None).unwrap();
    assert_eq!((defaults.audit_days, defaults.voter_days), (1826, 30));
}

/// docs/privacy.md's table of what is kept names each retention setting
/// with its default, as `docs/settings.md` (checked against the code) has
/// it; the Vietnamese page names each too.
#[test]
fn the_privacy_table_matches_the_settings() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let privacy = std::fs::read_to_string(root.join("docs/privacy.md")).unwrap();
    let settings = std::fs::read_to_string(root.join("docs/settings.md")).unwrap();
    let start = privacy
        .find("## What is kept, why, and for how long")
        .unwrap();
    let start = start + privacy[start..].find("\n|").unwrap();
    let table = &privacy[start..start + privacy[start..].find("\n\n").unwrap()];
    let mut named = Vec::new();
    // A setting's cell: `` `TALLY_X` (default) `` or `` (default, range) ``.
    for (i, cell) in table.split('`').enumerate() {
        if i % 2 == 0 || !cell.starts_with("TALLY_") {
            continue;
        }
        let after = &table[table.find(&format!("`{cell}` (")).unwrap()..];
        let value = after[cell.len() + 4..].split([',', ')']).next().unwrap();
        let row = settings
            .lines()
            .find(|l| l.starts_with(&format!("| `{cell}` |")))
            .unwrap_or_else(|| panic!("{cell} is not in docs/settings.md"));
        assert!(
            row.contains(&format!("| `{value}` |")),
            "{cell}={value}: {row}"
        );
        named.push(cell);
    }
    let kinds = [
        "TALLY_VISIT_WINDOW",
        "TALLY_VOTER_DAYS",
        "TALLY_HISTORY_PAGE_DAYS",
        "TALLY_AUDIT_DAYS",
        "TALLY_CONSOLE_IDLE",
    ];
    assert_eq!(named, kinds);
    let vi = std::fs::read_to_string(root.join("docs/privacy.vi.md")).unwrap();
    for name in kinds {
        assert!(vi.contains(name), "docs/privacy.vi.md does not name {name}");
    }
}

/// The console refuses the reopen in the editor's language, saying why.
#[tokio::test]
async fn the_console_says_why_a_poll_cannot_reopen() {
    let home = Home::open(Backend::Embedded).await;
    let app = TestApp::start(&home, settings).await;
    let closed = admin(
        &app,
        reqwest::Method::POST,
        &format!("/admin/polls/{POLL}/close"),
    )
    .await;
    assert_eq!(closed.status(), 200);
    app.clock
        .set(noon() + days(29) + SignedDuration::from_mins(1));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = browser
        .post(format!("{}/admin/sign-in", app.ops))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    let set = signed_in.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap();
    let session = set.split(';').next().unwrap().to_owned();
    let page = browser
        .get(format!("{}/admin/", app.ops))
        .header(reqwest::header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
    let csrf = &page[at..at + 64];
    for (lang, expected) in [
        ("", "Không thể mở lại bình chọn này"),
        ("?lang=en", "This poll cannot reopen"),
    ] {
        let r = browser
            .post(format!(
                "{}/admin/console/polls/{POLL}/reopen{lang}",
                app.ops
            ))
            .header(reqwest::header::COOKIE, &session)
            .form(&[("csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains(expected), "{page}");
    }
    assert_eq!(app.poll_for(POLL, &cookie()).await["status"], "closed");
    app.stop().await;
}
