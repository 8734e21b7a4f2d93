//! Roles given on one site of a province (`name=role@site:token`), tried on
//! every route that exists, as roles.rs tries roles: every admin API
//! operation of the served ops document and every console page of the
//! console's route table. A token or session on a department reaches that
//! department and the sites below it: the routes of the primary site (its
//! polls, history, audit log, backup) refuse it `403 forbidden_role`
//! before anything is touched; the sites' own routes and pages show it
//! its sites and no other, and the console's poll pages serve it on its
//! sites (`?site=`) and refuse it on any other. A session ends when its token's site changes.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::polls::admin;
use crate::roles::call;
use crate::sites::{PROVINCE, sites_file};
use crate::support::console::{Console, unescape};
use crate::support::{Backend, Home, TestApp, get_json};

/// The admin operations that serve a token on any site, showing it its
/// own sites.
pub const ANY_SITE: &[&str] = &["listSites", "getSitesVisitsPerDay"];

/// The admin operations that create, change and delete sites: a token on
/// a department may below it (sites_defined.rs, sites_deleted.rs), and is
/// refused anywhere else: tried here on the other department, and on the
/// province as the new site's parent.
fn outside_its_sites(id: &str) -> Option<(&'static str, Value)> {
    match id {
        "createSite" => Some((
            "/admin/sites",
            json!({"id": "xa-moi", "name": "Xã mới", "parent": "so-gd"}),
        )),
        "putSite" => Some((
            "/admin/sites/so-gd",
            json!({"name": "Sở Giáo dục", "parent": "tinh"}),
        )),
        "deleteSite" => Some(("/admin/sites/so-gd", Value::Null)),
        _ => None,
    }
}

const ADMIN: &str = "6f1c9a2e4b7d8035c2e9a1f47b3d6c08";
const DEPARTMENT_EDITOR: &str = "a3e8d17c5b2f9046e1c7b8a2d5f93e64";
const DEPARTMENT_VIEWER: &str = "0d7b4e9a2c6f1835b9e2d4a7c1f8063e";
const PROVINCE_VIEWER: &str = "9c2e5a8f1b4d7063e8a1c4f7b2d5e960";

async fn start(home: &Home, province: &Path, department_site: &str) -> TestApp {
    let path = province.to_path_buf();
    let tokens = format!(
        "ha:{ADMIN},yte=editor@{department_site}:{DEPARTMENT_EDITOR},\
         xem=viewer@{department_site}:{DEPARTMENT_VIEWER},tinh=viewer@tinh:{PROVINCE_VIEWER}"
    );
    TestApp::start(home, move |s| {
        s.sites_file = Some(path);
        s.admin_tokens = tally::config::named_tokens(&tokens).unwrap();
    })
    .await
}

fn ids(listed: &Value) -> Vec<&str> {
    listed["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

async fn a_token_on_a_department_is_refused_every_route_outside_it(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province, "so-y-te").await;
    let doc = get_json(&app.http, format!("{}/openapi.json", app.ops)).await;
    let (_, audit) = call(&app, &Method::GET, "/admin/audit", Some(ADMIN)).await;
    let audited = audit["entries"].as_array().map_or(0, Vec::len);
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/admin/") {
            continue;
        }
        let path = path.replace("{id}", "danh-gia-cong");
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let id = op["operationId"].as_str().unwrap();
            for token in [DEPARTMENT_EDITOR, DEPARTMENT_VIEWER] {
                let (status, body) = match outside_its_sites(id) {
                    Some((path, body)) => {
                        let sent = admin(&app, method.clone(), path, Some(token), Some(body));
                        let answered = sent.await;
                        let status = answered.status().as_u16();
                        (status, answered.json().await.unwrap_or(Value::Null))
                    }
                    None => call(&app, &method, &path, Some(token)).await,
                };
                if ANY_SITE.contains(&id) {
                    assert_eq!(status, 200, "{id}: {body}");
                } else {
                    assert_eq!(status, 403, "{method} {path}: {body}");
                    assert_eq!(body["error"]["code"], "forbidden_role", "{id}");
                }
                tried += 1;
            }
            // A viewer on the province reaches every site: reads pass.
            if method == Method::GET && id != "getBackup" {
                let (status, body) = call(&app, &method, &path, Some(PROVINCE_VIEWER)).await;
                assert!(status < 400 || status == 404, "tinh: {id}: {status} {body}");
            }
        }
    }
    assert!(tried >= 2 * 21, "{tried}");
    let (_, audit) = call(&app, &Method::GET, "/admin/audit", Some(ADMIN)).await;
    assert_eq!(
        audit["entries"].as_array().map_or(0, Vec::len),
        audited,
        "nothing changed"
    );
    // Its sites, and no other.
    let (_, listed) = call(&app, &Method::GET, "/admin/sites", Some(DEPARTMENT_EDITOR)).await;
    assert_eq!(ids(&listed), ["so-y-te", "xa-an-phu"]);
    let (_, days) = call(
        &app,
        &Method::GET,
        "/admin/sites/days",
        Some(DEPARTMENT_VIEWER),
    )
    .await;
    assert_eq!(ids(&days), ["so-y-te", "xa-an-phu"]);
    let (_, listed) = call(&app, &Method::GET, "/admin/sites", Some(PROVINCE_VIEWER)).await;
    assert_eq!(ids(&listed), ["so-gd", "so-y-te", "tinh", "xa-an-phu"]);
    app.stop().await;
}

async fn a_session_on_a_department_opens_only_its_sites_pages(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province, "so-y-te").await;
    let console = Console::signed_in(&app, DEPARTMENT_EDITOR).await;
    let open = [
        "/admin/",
        "/admin/console/sites",
        "/admin/console/sites/days.csv",
        "/admin/console/sites/days.xlsx",
    ];
    let mut tried = 0;
    let mut on_sites = 0;
    for (template, _, takes) in tally::ops::console::PAGES {
        if matches!(
            *template,
            "/admin/sign-in" | "/admin/sign-out" | "/admin/console.css" | "/admin/console.js"
        ) {
            continue;
        }
        let path = template.replace("{id}", "danh-gia-cong");
        for method in [Method::GET, Method::POST] {
            if takes.need(&method).is_none() {
                continue;
            }
            let (status, page) = match method {
                Method::GET => console.page(&path).await,
                _ => console.send(&path, &[]).await,
            };
            let refused = status == StatusCode::FORBIDDEN && page.contains("forbidden_role");
            assert_eq!(
                refused,
                !open.contains(template),
                "{method} {path}: {status}"
            );
            tried += 1;
            // A poll page or the audit log on its sites serves it; on
            // another, refuses it.
            if template.starts_with("/admin/console/polls")
                || *template == "/admin/console/new-poll"
                || template.starts_with("/admin/console/audit")
            {
                for (site, open) in [
                    ("so-y-te", true),
                    ("xa-an-phu", true),
                    ("so-gd", false),
                    ("tinh", false),
                ] {
                    let path = format!("{path}?site={site}");
                    let (status, page) = match method {
                        Method::GET => console.page(&path).await,
                        _ => console.send(&path, &[]).await,
                    };
                    let refused =
                        status == StatusCode::FORBIDDEN && page.contains("forbidden_role");
                    assert_eq!(refused, !open, "{method} {path}: {status}");
                    on_sites += 1;
                }
            }
        }
    }
    assert!(tried > 20, "{tried}");
    assert!(on_sites > 4 * 12, "{on_sites}");
    let sites = unescape(&console.text("/admin/console/sites").await);
    assert!(
        sites.contains("Sở Y tế") && sites.contains("Xã An Phú"),
        "{sites}"
    );
    assert!(!sites.contains("Sở Giáo dục") && !sites.contains("Cổng thông tin điện tử tỉnh"));
    // The dashboard: its department's figures, and the way to its sites
    // and its polls.
    let dashboard = console.text("/admin/").await;
    assert!(dashboard.contains("/admin/console/sites"), "{dashboard}");
    assert!(
        dashboard.contains("/admin/console/polls?site=so-y-te"),
        "{dashboard}"
    );
    assert!(
        !dashboard.contains(r#"href="/admin/console/polls""#),
        "{dashboard}"
    );
    let cookie = console.cookie.clone();
    drop(console);
    app.stop().await;

    // Its token given on another department since: the session ends.
    let app = start(&home, &province, "so-gd").await;
    let mut again = Console::new(&app);
    again.cookie = cookie;
    let r = again.get("/admin/console/sites").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/sign-in");
    app.stop().await;
}

/// A token on a site that is not one stops the start, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_on_a_site_that_is_not_one_stops_the_start() {
    let home = Home::open(Backend::Embedded).await;
    let (_dir, province) = sites_file(PROVINCE);
    let mut settings = tally::config::Settings::for_tests(std::env::temp_dir());
    settings.store = home.store_settings();
    settings.sites_file = Some(province.clone());
    settings.admin_tokens =
        tally::config::named_tokens(&format!("yte=editor@so-tai-chinh:{DEPARTMENT_EDITOR}"))
            .unwrap();
    let clock = std::sync::Arc::new(tally::clock::ManualClock::new(crate::support::noon()));
    let err = tally::app::start(settings, clock)
        .await
        .err()
        .expect("the start stops");
    let line = format!("{err:#}");
    assert!(
        line.starts_with("TALLY_ADMIN_TOKENS: yte=editor@so-tai-chinh"),
        "{line}"
    );
    assert!(line.contains("is not a site of TALLY_SITES_FILE"), "{line}");
}

on_every_store!(
    a_token_on_a_department_is_refused_every_route_outside_it,
    a_session_on_a_department_opens_only_its_sites_pages,
);
