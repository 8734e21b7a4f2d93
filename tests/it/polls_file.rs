//! The polls file seeds, editors decide: after every editor action a
//! restart with the same polls file starts, on every replica, and keeps
//! the editor's state; the file's own changes reach only the polls it
//! wrote and nobody changed since, each in the audit log.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Backend, Home, TestApp, cookie, get_json};

const TOKEN: &str = "test-admin-token-0123456789";

/// A polls file of six polls `p1`…`p6`, each with options `a` and `b`;
/// `question` words them all.
fn write_file(path: &Path, question: &str, p6_options: &[&str]) {
    let mut text = String::new();
    for n in 1..=6 {
        let options: &[&str] = if n == 6 { p6_options } else { &["a", "b"] };
        text.push_str(&format!(
            "[[polls]]\nid = \"p{n}\"\nquestion = \"{question} {n}?\"\n"
        ));
        for o in options {
            text.push_str(&format!(
                "[[polls.options]]\nid = \"{o}\"\nlabel = \"Phương án {o}\"\n"
            ));
        }
    }
    std::fs::write(path, text).unwrap();
}

async fn admin(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = app
        .http
        .request(method, format!("{}{path}", app.ops))
        .header("authorization", format!("Bearer {TOKEN}"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let response = req.send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn poll(app: &TestApp, id: &str) -> Option<Value> {
    let response = app
        .http
        .get(format!("{}/admin/polls/{id}", app.ops))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        404 => None,
        200 => Some(response.json::<Value>().await.unwrap()),
        other => panic!("/admin/polls/{id}: {other}"),
    }
}

/// `(who, action, target)` of every audit entry, oldest first.
async fn audit(app: &TestApp) -> Vec<(String, String, String)> {
    let log = admin(app, reqwest::Method::GET, "/admin/audit?limit=500", None).await;
    let mut entries: Vec<_> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (text("who"), text("action"), text("target"))
        })
        .collect();
    entries.reverse();
    entries
}

async fn editors_keep_their_polls_across_restarts(backend: Backend) {
    let home = Home::open(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("polls.toml");
    write_file(&file, "Câu hỏi", &["a", "b"]);
    let settings = |s: &mut tally::config::Settings| {
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.polls_file = Some(file.clone());
    };
    let app = TestApp::start(&home, settings).await;
    let created: Vec<_> = audit(&app).await;
    assert_eq!(created.len(), 6, "{created:?}");
    assert!(
        created
            .iter()
            .all(|(who, action, _)| who == "polls-file" && action == "create_poll"),
        "{created:?}"
    );

    // p1: an option added and a ballot on it; p2: reworded; p3: deleted;
    // p4: archived; p5: closed; p6: left to the file.
    let mut p1 = poll(&app, "p1").await.unwrap()["poll"].clone();
    p1["options"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "id": "c", "label": "Phương án c" }));
    let p1 = json!({ "question": p1["question"], "options": p1["options"] });
    admin(&app, reqwest::Method::PUT, "/admin/polls/p1", Some(p1)).await;
    let ballot = app.vote("p1", &cookie(), "192.0.2.1", json!(["c"])).await;
    assert_eq!(ballot.status(), 201);
    let p2 = json!({
        "question": "Câu hỏi do biên tập viên sửa?",
        "options": [{ "id": "a", "label": "Phương án a" }, { "id": "b", "label": "Phương án b" }],
    });
    admin(&app, reqwest::Method::PUT, "/admin/polls/p2", Some(p2)).await;
    admin(&app, reqwest::Method::DELETE, "/admin/polls/p3", None).await;
    admin(&app, reqwest::Method::POST, "/admin/polls/p4/archive", None).await;
    admin(&app, reqwest::Method::POST, "/admin/polls/p5/close", None).await;
    let clock = app.clock.clone();
    app.stop().await;

    // The file changes every poll's wording and swaps p6's `b` for `d`;
    // p6 is the only one the file still owns, and `b` holds no ballot.
    write_file(&file, "Câu hỏi mới", &["a", "d"]);
    let first = TestApp::start_at(&home, clock.clone(), settings).await;
    let second = match backend {
        // Replicas share Redis; the embedded store has one process.
        Backend::Embedded => None,
        _ => Some(TestApp::start_at(&home, clock.clone(), settings).await),
    };
    for app in std::iter::once(&first).chain(second.as_ref()) {
        let p1 = poll(app, "p1").await.unwrap();
        assert_eq!(p1["poll"]["options"].as_array().unwrap().len(), 3);
        assert_eq!(p1["poll"]["question"], "Câu hỏi 1?");
        assert_eq!(p1["results"]["total_votes"], 1);
        let p2 = poll(app, "p2").await.unwrap();
        assert_eq!(p2["poll"]["question"], "Câu hỏi do biên tập viên sửa?");
        assert!(poll(app, "p3").await.is_none(), "deleted stays deleted");
        let p4 = poll(app, "p4").await.unwrap();
        assert!(p4["archived_at"].is_string(), "{p4}");
        let p5 = poll(app, "p5").await.unwrap();
        assert_eq!(p5["poll"]["status"], "closed");
        let p6 = poll(app, "p6").await.unwrap();
        assert_eq!(p6["poll"]["question"], "Câu hỏi mới 6?");
        assert_eq!(p6["poll"]["options"][1]["id"], "d");
    }
    let public = get_json(&first.http, first.url("/v1/polls")).await;
    let listed: Vec<&str> = public["polls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["poll"]["id"].as_str().unwrap())
        .collect();
    assert!(
        !listed.contains(&"p3") && !listed.contains(&"p4"),
        "{listed:?}"
    );
    let by_file: Vec<_> = audit(&first)
        .await
        .into_iter()
        .filter(|(who, _, _)| who == "polls-file")
        .skip(6)
        .collect();
    assert_eq!(
        by_file,
        vec![("polls-file".into(), "replace_poll".into(), "p6".into())]
    );
    for app in second.into_iter().chain([first]) {
        app.stop().await;
    }
}

async fn a_file_version_dropping_ballots_is_left_to_editors(backend: Backend) {
    let home = Home::open(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("polls.toml");
    write_file(&file, "Câu hỏi", &["a", "b"]);
    let settings = |s: &mut tally::config::Settings| {
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.polls_file = Some(file.clone());
    };
    let app = TestApp::start(&home, settings).await;
    let ballot = app.vote("p6", &cookie(), "192.0.2.1", json!(["b"])).await;
    assert_eq!(ballot.status(), 201);
    let clock = app.clock.clone();
    app.stop().await;
    write_file(&file, "Câu hỏi", &["a", "d"]);
    // It starts, and the ballot stays where it was cast.
    let again = TestApp::start_at(&home, clock, settings).await;
    let p6 = poll(&again, "p6").await.unwrap();
    assert_eq!(p6["poll"]["options"][1]["id"], "b");
    assert_eq!(p6["results"]["total_votes"], 1);
    assert_eq!(audit(&again).await.len(), 6, "nothing more was written");
    again.stop().await;
}

on_every_store!(
    editors_keep_their_polls_across_restarts,
    a_file_version_dropping_ballots_is_left_to_editors,
);

/// A poll a polls file wrote before files' polls were marked is taken on
/// when it still reads as the file says, so the file's next change
/// reaches it; one that reads otherwise is the editors'.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_written_before_marks_are_taken_on_when_unchanged() {
    let home = Home::open(Backend::Redis).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("polls.toml");
    write_file(&file, "Câu hỏi", &["a", "b"]);
    let settings = tally::config::Settings::for_tests(dir.path().join("data"));
    let one_site = tally::sites::load_sites(&settings).unwrap();
    let unmarked = tally::polls_file::read_polls_file(&file, &one_site).unwrap();
    let unmarked = &unmarked[0].polls;
    let store = home.open_store().await;
    let site = tally::ids::SiteId::DEFAULT;
    for (n, poll) in unmarked.iter().enumerate() {
        let mut poll = poll.clone();
        if n == 1 {
            poll.question = "Đã sửa trước đây?".into();
        }
        store.put_poll(&site, &poll, false).await.unwrap();
    }
    drop(store);
    write_file(&file, "Câu hỏi mới", &["a", "b"]);
    let settings = |s: &mut tally::config::Settings| {
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
        s.polls_file = Some(file.clone());
    };
    // First start: the file's new wording is not taken (the stored polls
    // read otherwise and carry no mark), so nothing is written.
    let app = TestApp::start(&home, settings).await;
    assert_eq!(
        poll(&app, "p1").await.unwrap()["poll"]["question"],
        "Câu hỏi 1?"
    );
    let clock = app.clock.clone();
    app.stop().await;
    // Back to the old wording: the unchanged ones are taken on, then a
    // change reaches them, and never the one changed before.
    write_file(&file, "Câu hỏi", &["a", "b"]);
    TestApp::start_at(&home, clock.clone(), settings)
        .await
        .stop()
        .await;
    write_file(&file, "Câu hỏi mới", &["a", "b"]);
    let app = TestApp::start_at(&home, clock, settings).await;
    assert_eq!(
        poll(&app, "p1").await.unwrap()["poll"]["question"],
        "Câu hỏi mới 1?"
    );
    assert_eq!(
        poll(&app, "p2").await.unwrap()["poll"]["question"],
        "Đã sửa trước đây?"
    );
    app.stop().await;
}
