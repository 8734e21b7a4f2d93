//! Roles (admin, editor, viewer), tried on every route that exists: every
//! admin API operation the served ops document lists and every console
//! page of the console's route table, with each role's token and console
//! session, on every store sessions live in. A viewer changes nothing, an
//! editor takes no backup, an admin is refused nothing; the refused are
//! answered `403 forbidden_role` before anything is touched. A route added
//! without its place in [`OPERATOR`] / [`CONSOLE_FORMS`] here, or without a
//! check, fails this test.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tally::roles::{Need, Role};

use crate::support::console::Console;
use crate::support::{Backend, Home, TestApp, get_json};

const ADMIN: &str = "6f1c9a2e4b7d8035c2e9a1f47b3d6c08";
const EDITOR: &str = "a3e8d17c5b2f9046e1c7b8a2d5f93e64";
const VIEWER: &str = "0d7b4e9a2c6f1835b9e2d4a7c1f8063e";

/// The admin API operations only an admin may call: the deployment's.
const OPERATOR: &[&str] = &["getBackup"];

/// Console pages whose GET is a form that changes something (so a viewer
/// is refused it too), beside every POST but signing in and out.
const CONSOLE_FORMS: &[&str] = &[
    "/admin/console/new-poll",
    "/admin/console/polls/{id}/edit",
    "/admin/console/polls/{id}/archive",
    "/admin/console/polls/{id}/delete",
    "/admin/console/import",
];

const POLL: &str = "danh-gia";

fn settings(s: &mut tally::config::Settings) {
    let tokens = format!("ha:{ADMIN},minh=editor:{EDITOR},lan=viewer@default:{VIEWER}");
    s.admin_tokens = tally::config::named_tokens(&tokens).unwrap();
}

fn token(role: Role) -> &'static str {
    match role {
        Role::Admin => ADMIN,
        Role::Editor => EDITOR,
        Role::Viewer => VIEWER,
    }
}

/// What the test expects `role` may do with the admin API operation
/// `id` (`method`): the rule, written here rather than read from the code.
fn api_may(role: Role, method: &Method, id: &str) -> bool {
    match role {
        Role::Admin => true,
        Role::Editor => !OPERATOR.contains(&id),
        Role::Viewer => method == Method::GET && !OPERATOR.contains(&id),
    }
}

/// Every admin operation of the served ops document: method, path (ids
/// filled in), operation id, and whether it lists `403 forbidden_role`.
async fn admin_operations(app: &TestApp) -> Vec<(Method, String, String, bool)> {
    let doc = get_json(&app.http, format!("{}/openapi.json", app.ops)).await;
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/admin/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let id = op["operationId"].as_str().unwrap().to_owned();
            let lists_403 = op["responses"]["403"].is_object();
            found.push((method, path.replace("{id}", POLL), id, lists_403));
        }
    }
    assert!(found.len() >= 19, "{found:?}");
    found
}

pub async fn call(app: &TestApp, method: &Method, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = app
        .http
        .request(method.clone(), format!("{}{path}", app.ops))
        .header("content-type", "application/json");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if *method != Method::GET {
        req = req.body("{}");
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let json = match r.headers().get("content-type") {
        Some(t) if t.to_str().unwrap().starts_with("application/json") => r.json().await.unwrap(),
        _ => Value::Null,
    };
    (status, json)
}

async fn make_poll(app: &TestApp) {
    let spec = json!({
        "id": POLL,
        "question": "Bạn đánh giá thế nào?",
        "options": [{ "id": "tot", "label": "Tốt" }, { "id": "chua-tot", "label": "Chưa tốt" }]
    });
    let r = app
        .http
        .post(format!("{}/admin/polls", app.ops))
        .header("authorization", format!("Bearer {ADMIN}"))
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

async fn audit_entries(app: &TestApp) -> usize {
    let (status, log) = call(app, &Method::GET, "/admin/audit", Some(VIEWER)).await;
    assert_eq!(status, 200);
    log["entries"].as_array().map_or(0, Vec::len)
}

async fn every_admin_operation_refuses_what_the_role_may_not_do(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    make_poll(&app).await;
    let operations = admin_operations(&app).await;
    let audited = audit_entries(&app).await;
    // Refused first, on a store the refused calls must leave as it was.
    for role in [Role::Viewer, Role::Editor] {
        for (method, path, id, _) in &operations {
            if api_may(role, method, id) {
                continue;
            }
            let (status, body) = call(&app, method, path, Some(token(role))).await;
            assert_eq!(status, 403, "{role} {method} {path}: {body}");
            assert_eq!(body["error"]["code"], "forbidden_role", "{role} {id}");
        }
    }
    assert_eq!(audit_entries(&app).await, audited, "nothing changed");
    let (status, poll) = call(
        &app,
        &Method::GET,
        &format!("/admin/polls/{POLL}"),
        Some(VIEWER),
    )
    .await;
    assert_eq!(
        (status, poll["archived_at"].is_null()),
        (200, true),
        "{poll}"
    );
    for (method, path, id, lists_403) in &operations {
        // Where some role is refused, the document says so; and every
        // route of the primary site's refuses a token on another site
        // (roles_sites.rs): all but the sites' own.
        let refused_someone = Role::ALL.iter().any(|r| !api_may(*r, method, id))
            || !crate::roles_sites::ANY_SITE.contains(&id.as_str());
        assert_eq!(*lists_403, refused_someone, "{id} lists 403");
        // Without a token, nothing: every operation checks who calls.
        let (status, _) = call(&app, method, path, None).await;
        assert_eq!(status, 401, "{method} {path} without a token");
    }
    // Then what each role may: never refused for its role.
    for role in [Role::Viewer, Role::Editor, Role::Admin] {
        for (method, path, id, _) in &operations {
            if !api_may(role, method, id) {
                continue;
            }
            let (status, body) = call(&app, method, path, Some(token(role))).await;
            assert!(
                status != 403 && status != 401 && status < 500,
                "{role} {method} {path}: {status} {body}"
            );
        }
    }
    app.stop().await;
}

/// Whether `(status, page)` is the console's refusal of a role.
fn refused(status: StatusCode, page: &str) -> bool {
    status == StatusCode::FORBIDDEN && page.contains("forbidden_role")
}

/// What the test expects `role` may do at console page `template`.
fn console_may(role: Role, template: &str, method: &Method) -> bool {
    let changes = match *method {
        Method::POST => !matches!(template, "/admin/sign-in" | "/admin/sign-out"),
        _ => CONSOLE_FORMS.contains(&template),
    };
    role != Role::Viewer || !changes
}

async fn every_console_page_refuses_what_the_role_may_not_do(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    make_poll(&app).await;
    let audited = audit_entries(&app).await;
    let mut tried = 0;
    for role in [Role::Viewer, Role::Editor, Role::Admin] {
        let console = Console::signed_in(&app, token(role)).await;
        for (template, _, takes) in tally::ops::console::PAGES {
            let path = template.replace("{id}", POLL);
            for method in [Method::GET, Method::POST] {
                let Some(need) = takes.need(&method) else {
                    continue;
                };
                let may = console_may(role, template, &method);
                // The route table declares what this test expects.
                assert_eq!(role.may(need), may, "{role} {method} {template}: {need:?}");
                if *template == "/admin/sign-out" || *template == "/admin/sign-in" {
                    continue;
                }
                let (status, page) = match method {
                    Method::GET => console.page(&path).await,
                    _ => console.send(&path, &[]).await,
                };
                assert_eq!(
                    refused(status, &page),
                    !may,
                    "{role} {method} {path}: {status}"
                );
                tried += 1;
                if !may && method == Method::POST {
                    assert!(page.contains("Vai trò của bạn không được phép"), "{page}");
                }
            }
            if role == Role::Viewer {
                assert_eq!(audit_entries(&app).await, audited, "{template}");
            }
        }
    }
    assert!(tried > 3 * 20, "{tried}");
    app.stop().await;
}

async fn a_viewer_sees_no_button_it_may_not_press_and_is_told_why_in_its_language(
    backend: Backend,
) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    make_poll(&app).await;
    let poll_page = format!("/admin/console/polls/{POLL}");
    let buttons = [
        "/close\"",
        "/edit\"",
        "/delete\"",
        "/admin/console/new-poll",
        "/admin/console/import",
    ];
    let viewer = Console::signed_in(&app, VIEWER).await;
    let editor = Console::signed_in(&app, EDITOR).await;
    for path in ["/admin/", "/admin/console/polls", poll_page.as_str()] {
        let seen = viewer.text(path).await;
        let theirs = editor.text(path).await;
        for button in buttons {
            assert!(!seen.contains(button), "a viewer sees {button} on {path}");
        }
        assert!(
            buttons.iter().any(|b| theirs.contains(b)),
            "an editor sees the buttons on {path}"
        );
    }
    let close = format!("{poll_page}/close");
    let (status, vi) = viewer.send(&close, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        vi.contains("Vai trò của bạn không được phép làm việc này"),
        "{vi}"
    );
    let (status, en) = viewer.send(&format!("{close}?lang=en"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        en.contains("Your role may not do this; nothing changed."),
        "{en}"
    );
    assert!(!en.contains("Vai trò"), "{en}");
    app.stop().await;
}

/// A session record written before roles (no role in it) is no session:
/// its browser is sent to sign in, and the record is ended.
async fn a_session_from_before_roles_signs_in_again(backend: Backend) {
    let home = Home::open(backend).await;
    let id = "5e".repeat(32);
    let hash = blake3::hash(id.as_bytes()).to_hex().to_string();
    let site = tally::ids::SiteId::DEFAULT;
    let now = crate::support::noon();
    let old = tally::store::Session {
        who: "ha".into(),
        started_at: now,
        expires_at: now + jiff::SignedDuration::from_hours(8),
        role: None,
        site: None,
    };
    {
        let store = home.open_store().await;
        store.put_session(&site, &hash, &old, now).await.unwrap();
        assert!(store.session(&site, &hash, now).await.unwrap().is_some());
    }
    let app = TestApp::start(&home, settings).await;
    let mut console = Console::new(&app);
    console.cookie = Some(format!("tally_console={id}"));
    let r = console.get("/admin/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/sign-in");
    let (status, _) = console.send("/admin/console/polls", &[("id", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a form after it is refused");
    app.stop().await;
    let store = home.open_store().await;
    assert_eq!(store.session(&site, &hash, now).await.unwrap(), None);
}

/// A session whose token was given another role, or removed, since it
/// signed in ends at its next page: it signs in again with the role the
/// settings give now.
async fn a_session_ends_when_its_tokens_role_changes(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let minh = Console::signed_in(&app, EDITOR).await;
    let ha = Console::signed_in(&app, ADMIN).await;
    let (cookies, csrf) = ([minh.cookie.clone(), ha.cookie.clone()], minh.csrf.clone());
    app.stop().await;
    let app = TestApp::start(&home, |s| {
        let tokens = format!("minh=viewer:{EDITOR},lan=viewer:{VIEWER}");
        s.admin_tokens = tally::config::named_tokens(&tokens).unwrap();
    })
    .await;
    for cookie in cookies {
        let mut console = Console::new(&app);
        console.cookie = cookie;
        console.csrf = csrf.clone();
        let r = console.get("/admin/").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", console.cookie);
    }
    let minh = Console::signed_in(&app, EDITOR).await;
    assert!(
        !minh
            .text("/admin/")
            .await
            .contains("/admin/console/new-poll")
    );
    app.stop().await;
}

/// A poll's form kept through signing in again comes back only to a role
/// that may save it; a viewer lands on the dashboard.
async fn a_kept_poll_form_comes_back_only_to_a_role_that_may_save_it(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    for (role, back) in [(Role::Viewer, false), (Role::Editor, true)] {
        let mut console = Console::new(&app);
        let form = [
            ("token", token(role)),
            ("resume", "/admin/console/polls"),
            ("kept", "id=y-kien&question=Kept%3F"),
        ];
        let r = console.post("/admin/sign-in", &form).await;
        console.keep_cookie(&r);
        let (status, page) = crate::support::console::answer(r).await;
        assert_eq!(
            status == StatusCode::OK && page.contains("Kept?"),
            back,
            "{role}"
        );
        assert_eq!(status == StatusCode::SEE_OTHER, !back, "{role}");
        assert!(console.cookie.is_some(), "{role} signed in");
    }
    app.stop().await;
}

/// Every role the console's sign-in gives is the token's, kept with the
/// session in the store.
async fn a_console_session_keeps_its_tokens_role(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    for role in Role::ALL {
        let console = Console::signed_in(&app, token(role)).await;
        let page = console.text("/admin/").await;
        assert_eq!(
            page.contains("/admin/console/new-poll"),
            role.may(Need::EditPolls),
            "{role}"
        );
    }
    app.stop().await;
}

on_every_store!(
    every_admin_operation_refuses_what_the_role_may_not_do,
    every_console_page_refuses_what_the_role_may_not_do,
    a_viewer_sees_no_button_it_may_not_press_and_is_told_why_in_its_language,
    a_session_from_before_roles_signs_in_again,
    a_console_session_keeps_its_tokens_role,
    a_session_ends_when_its_tokens_role_changes,
    a_kept_poll_form_comes_back_only_to_a_role_that_may_save_it,
);
