//! Drafts, on every store: a poll saved as a draft is, to the public, the
//! same as no poll at all (every public route answers as for an unknown
//! poll, and the store counts no ballot), while editors see it in the
//! console and the admin API; the console's buttons save and publish as a
//! browser's form posts do; a published draft follows its dates; a poll
//! with ballots does not go back to draft; the audit log says it all in
//! words, in Vietnamese and in English; and a draft stays a draft across a
//! restart, a polls file read again and a backup restored elsewhere.

use std::path::Path;
use std::process::Command;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::console::Console;
use crate::support::{BROWSER, Backend, Home, TestApp, cookie};

const TOKEN: &str = "drafts-admin-token-5a0c9e1f27b84d36";
const QUESTION: &str = "Bạn có hài lòng với thủ tục trực tuyến?";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
}

/// The new-poll form's fields for poll `id`, opening at `opens_at` (local).
fn new_poll<'a>(id: &'a str, opens_at: &'a str, save: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", id),
        ("question", QUESTION),
        ("label", "Hài lòng"),
        ("option-id", ""),
        ("label", "Chưa hài lòng"),
        ("option-id", ""),
        ("max_choices", "1"),
        ("opens_at", opens_at),
        ("closes_at", ""),
        ("results", "always"),
        ("challenge", "off"),
        ("save", save),
    ]
}

async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.ops))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// How every public route answers for poll `id`: status, and the error
/// code where the answer is JSON.
async fn public_answers(app: &TestApp, id: &str) -> Vec<(String, u16, Option<String>)> {
    let visitor = cookie();
    let mut answers = Vec::new();
    let routes = [
        (Method::GET, format!("/v1/polls/{id}"), None),
        (Method::GET, format!("/v1/polls/{id}/results"), None),
        (Method::GET, format!("/v1/polls/{id}/challenge"), None),
        (Method::GET, format!("/v1/polls/{id}/events"), None),
        (
            Method::POST,
            format!("/v1/polls/{id}/votes"),
            Some(r#"{"options":["hai-long"]}"#),
        ),
        (Method::GET, format!("/polls/{id}"), None),
        (Method::GET, format!("/polls/{id}/results"), None),
        (
            Method::POST,
            format!("/polls/{id}"),
            Some("option=hai-long"),
        ),
    ];
    for (method, path, body) in routes {
        let mut request = app
            .http
            .request(method.clone(), app.url(&path))
            .header("user-agent", BROWSER)
            .header("cookie", format!("tally_vid={visitor}"))
            .header("origin", &app.base);
        if let Some(body) = body {
            let form = !body.starts_with('{');
            let kind = if form {
                "application/x-www-form-urlencoded"
            } else {
                "application/json"
            };
            request = request.header("content-type", kind).body(body);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        // A refusal's code; an answer (a stream, perhaps) is not read.
        let code = match status {
            200 => None,
            _ => r.json::<Value>().await.ok(),
        };
        let code = code.and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
        answers.push((format!("{method} {path}").replace(id, "{id}"), status, code));
    }
    answers
}

/// The status of `GET /v1/polls/{id}`.
async fn public_status(app: &TestApp, id: &str) -> u16 {
    let r = app
        .http
        .get(app.url(&format!("/v1/polls/{id}")))
        .send()
        .await;
    r.unwrap().status().as_u16()
}

/// Whether the public lists (JSON and HTML) name poll `id`.
async fn publicly_listed(app: &TestApp, id: &str) -> bool {
    let json = app.http.get(app.url("/v1/polls")).send().await.unwrap();
    let json = json.text().await.unwrap();
    let html = app.http.get(app.url("/polls")).send().await.unwrap();
    let html = html.text().await.unwrap();
    json.contains(&format!("\"{id}\"")) || html.contains(&format!("/polls/{id}"))
}

async fn a_draft_is_no_poll_to_the_public_until_published(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;

    // The new-poll form offers both buttons; Enter saves a draft.
    let (_, form) = editor
        .page("/admin/console/new-poll?template=hai-long")
        .await;
    for button in [
        r#"name="save" value="draft">Lưu nháp</button>"#,
        r#"name="save" value="publish">Xuất bản</button>"#,
    ] {
        assert!(form.contains(button), "{button} in {form}");
    }
    assert!(
        form.contains(r#"class="default-submit" type="submit" name="save" value="draft""#),
        "{form}"
    );

    // Saved as a draft, opening in two hours.
    let (status, to) = editor
        .send_to(
            "/admin/console/polls",
            &new_poll("nhap", "2026-11-27T14:00", "draft"),
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            "/admin/console/polls/nhap?done=drafted"
        )
    );
    let (_, page) = editor.page(&to).await;
    assert!(
        page.contains("Đã lưu nháp.") && page.contains(r#"class="status">Nháp<"#),
        "{page}"
    );
    assert!(
        page.contains(r#"action="/admin/console/polls/nhap/publish""#),
        "{page}"
    );
    assert!(
        !page.contains("Đóng bình chọn") && !page.contains("Mở ngay"),
        "{page}"
    );
    let (_, list) = editor.page("/admin/console/polls").await;
    assert!(
        list.contains("Nháp (1)") && list.contains("/admin/console/polls/nhap\""),
        "{list}"
    );

    // To the public it is the same as a poll that does not exist.
    let unknown = public_answers(&app, "khong-co").await;
    assert!(
        unknown.iter().all(|(_, status, _)| *status == 404),
        "{unknown:?}"
    );
    assert_eq!(public_answers(&app, "nhap").await, unknown);
    assert!(!publicly_listed(&app, "nhap").await);
    let (_, read) = admin(&app, Method::GET, "/admin/polls/nhap", None).await;
    assert_eq!(read["draft"], true, "{read}");
    assert_eq!(
        read["results"]["total_votes"], 0,
        "no ballot was counted: {read}"
    );
    let (_, listed) = admin(&app, Method::GET, "/admin/polls", None).await;
    assert_eq!(listed["polls"][0]["draft"], true, "{listed}");

    // Published, it follows its dates: scheduled until 14:00, then open.
    let (status, to) = editor
        .send_to("/admin/console/polls/nhap/publish", &[])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            "/admin/console/polls/nhap?done=published"
        )
    );
    let (_, page) = editor.page(&to).await;
    assert!(
        page.contains("Đã xuất bản.") && page.contains(r#"class="status">Sắp mở<"#),
        "{page}"
    );
    let visitor = cookie();
    assert_eq!(
        app.poll_for("nhap", &visitor).await["status"],
        "not_yet_open"
    );
    let early = app
        .vote("nhap", &visitor, "203.0.113.7", json!(["hai-long"]))
        .await;
    assert_eq!(early.status(), StatusCode::FORBIDDEN);
    assert!(publicly_listed(&app, "nhap").await);
    app.clock.advance(SignedDuration::from_hours(3));
    let cast = app
        .vote("nhap", &visitor, "203.0.113.7", json!(["hai-long"]))
        .await;
    assert_eq!(cast.status(), StatusCode::CREATED);

    // With a ballot, it does not go back to draft: not by the form, not
    // by the API; it stays public.
    let (_, edit_form) = editor.page("/admin/console/polls/nhap/edit").await;
    assert!(
        !edit_form.contains(r#"value="draft""#),
        "no button to go back: {edit_form}"
    );
    let (status, page) = editor
        .send_to(
            "/admin/console/polls/nhap/edit",
            &edit_fields(&edit_form, "draft"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(
        page.contains("Câu hỏi đã có phiếu bầu nên không thể chuyển về bản nháp"),
        "{page}"
    );
    let spec = json!({"question": QUESTION, "draft": true, "options": [
        {"id": "hai-long", "label": "Hài lòng"}, {"id": "chua-hai-long", "label": "Chưa hài lòng"}]});
    let (status, refused) = admin(&app, Method::PUT, "/admin/polls/nhap", Some(spec.clone())).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("published_with_ballots"))
    );
    assert_eq!(app.poll_for("nhap", &visitor).await["status"], "open");

    // A published poll without ballots goes back to draft, and out of sight.
    let (status, _) = admin(&app, Method::PUT, "/admin/polls/rieng", Some(json!({
        "question": "Câu hỏi thử?", "options": [{"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]}))).await;
    assert_eq!(status, 201);
    assert_eq!(public_status(&app, "rieng").await, 200);
    let mut hidden = spec;
    hidden["question"] = json!("Câu hỏi thử?");
    hidden["options"] = json!([{"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]);
    let (status, back) = admin(&app, Method::PUT, "/admin/polls/rieng", Some(hidden)).await;
    assert_eq!((status, &back["draft"]), (200, &json!(true)), "{back}");
    assert_eq!(public_answers(&app, "rieng").await, unknown);
    let (status, published) = admin(&app, Method::POST, "/admin/polls/rieng/publish", None).await;
    assert_eq!(
        (status, &published["draft"], &published["poll"]["status"]),
        (200, &json!(false), &json!("open"))
    );

    // The audit log says it in words, in one language at a time.
    let (_, vi) = editor.page("/admin/console/audit").await;
    let (_, en) = editor.page("/admin/console/audit?lang=en").await;
    for said in [
        "Lưu nháp",
        "Xuất bản",
        "Trạng thái: Nháp → Đã xuất bản",
        "bản nháp",
    ] {
        assert!(vi.contains(said), "{said} in {vi}");
        assert!(!en.contains(said), "{said} not in {en}");
    }
    for said in [
        "Saved as a draft",
        "Published",
        "State: Draft → Published",
        "State: Published → Draft",
    ] {
        assert!(en.contains(said), "{said} in {en}");
        assert!(!vi.contains(said), "{said} not in {vi}");
    }
    app.stop().await;
}

/// The edit form's fields as a browser would send them, pressing the
/// button whose `save` value is `save`.
fn edit_fields<'a>(page: &'a str, save: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut fields = Vec::new();
    for name in [
        "question",
        "label",
        "option-id",
        "max_choices",
        "opens_at",
        "closes_at",
    ] {
        let mut rest = page;
        let open = format!("name=\"{name}\"");
        while let Some(at) = rest.find(&open) {
            let after = &rest[at + open.len()..];
            let value = match name {
                "question" => after
                    .split_once('>')
                    .map(|(_, v)| v.split('<').next().unwrap_or("")),
                _ => after
                    .split_once("value=\"")
                    .filter(|(before, _)| !before.contains('>'))
                    .map(|(_, v)| v.split('"').next().unwrap_or("")),
            };
            fields.push((name, value.unwrap_or("")));
            rest = after;
        }
    }
    fields.extend([("results", "always"), ("challenge", "off"), ("save", save)]);
    fields
}

/// Runs the tally binary with `args` and `env` to its end.
async fn run_tally(args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || command.output().expect("the tally binary"))
        .await
        .unwrap()
}

fn polls_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("polls.toml");
    std::fs::write(
        &path,
        format!(
            "[[polls]]\nid = \"tu-tep\"\nquestion = \"{QUESTION}\"\ndraft = true\n\
             options = [{{ id = \"co\", label = \"Có\" }}, {{ id = \"khong\", label = \"Không\" }}]\n"
        ),
    )
    .unwrap();
    path
}

async fn drafts_outlast_a_restart_and_a_restore(backend: Backend) {
    let scratch = TempDir::new().unwrap();
    let file = polls_file(scratch.path());
    let with_file = |s: &mut tally::config::Settings| {
        settings(s);
        s.polls_file = Some(file.clone());
    };
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, with_file).await;
    let spec = json!({"question": QUESTION, "draft": true, "options": [
        {"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]});
    let (status, _) = admin(&app, Method::PUT, "/admin/polls/tu-api", Some(spec)).await;
    assert_eq!(status, 201);
    app.stop().await;

    // Started again (the polls file read again): both still drafts, the
    // file's written once.
    let app = TestApp::start(&home, with_file).await;
    for id in ["tu-tep", "tu-api"] {
        let (_, read) = admin(&app, Method::GET, &format!("/admin/polls/{id}"), None).await;
        assert_eq!(read["draft"], true, "{id}: {read}");
        assert_eq!(public_answers(&app, id).await[0].1, 404, "{id}");
    }
    let (_, log) = admin(&app, Method::GET, "/admin/audit", None).await;
    let file_writes = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == "tu-tep")
        .count();
    assert_eq!(file_writes, 1, "{log}");

    // Backed up, restored into another store: still drafts, publishable.
    let out = scratch.path().join("tally.jsonl.gz");
    let env = [("TALLY_ADMIN_TOKEN", TOKEN.to_owned())];
    let done = run_tally(
        &["backup", "--from", &app.ops, "--out", out.to_str().unwrap()],
        &env,
    )
    .await;
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    app.stop().await;
    drop(home);
    let target = Home::open(match backend {
        Backend::Embedded => Backend::Redis,
        _ => Backend::Embedded,
    })
    .await;
    let restored = run_tally(&["restore", "--file", out.to_str().unwrap()], &target.env()).await;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let app = TestApp::start(&target, settings).await;
    for id in ["tu-tep", "tu-api"] {
        let (_, read) = admin(&app, Method::GET, &format!("/admin/polls/{id}"), None).await;
        assert_eq!(read["draft"], true, "{id}: {read}");
        assert_eq!(public_answers(&app, id).await[0].1, 404, "{id}");
    }
    let (status, _) = admin(&app, Method::POST, "/admin/polls/tu-api/publish", None).await;
    assert_eq!(status, 200);
    assert_eq!(public_status(&app, "tu-api").await, 200);
    app.stop().await;
}

on_every_store!(
    a_draft_is_no_poll_to_the_public_until_published,
    drafts_outlast_a_restart_and_a_restore,
);
