//! The console's poll pages per site, on each store: a department's
//! editor lists, creates, edits, closes and reopens its own site's polls
//! and its commune's through the console's forms (`?site=`), the public
//! API showing each change on that site only; the same session is refused
//! the province's and the other department's polls, nothing written; the
//! province's admin works on any site's polls and picks the site from the
//! list.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::archive_sites::admin_json;
use crate::console::{hidden, poll_form};
use crate::polls::admin;
use crate::polls_sites::{ADMIN, DEPARTMENT_EDITOR, POLL, read, start};
use crate::sites::{PROVINCE, sites_file};
use crate::support::console::{Console, unescape};
use crate::support::{Backend, TestApp};

/// The new poll's form, as the console's page sends it (its CSRF token
/// added by [`Console::send_to`]).
fn new_poll() -> Vec<(&'static str, &'static str)> {
    poll_form(POLL, "").into_iter().skip(1).collect()
}

/// `site`'s audit log, as the province's admin reads it.
async fn audit_of(app: &TestApp, site: &str) -> Value {
    admin_json(app, &format!("/admin/audit?site={site}")).await
}

/// How many entries the audit logs of the province's sites hold.
async fn audited(app: &TestApp) -> usize {
    let mut entries = 0;
    for site in ["tinh", "so-y-te", "so-gd", "xa-an-phu"] {
        entries += audit_of(app, site).await["entries"]
            .as_array()
            .map_or(0, Vec::len);
    }
    entries
}

/// The targets of `site`'s audit entries, newest first.
async fn targets(app: &TestApp, site: &str) -> Vec<String> {
    let log = audit_of(app, site).await;
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap().to_owned())
        .collect()
}

/// The status of `POLL` on `site` by the public API (404: none there).
async fn public_status(app: &TestApp, site: &str) -> StatusCode {
    let url = app.url(&format!("/v1/polls/{POLL}?site={site}"));
    app.http.get(url).send().await.unwrap().status()
}

/// Creates, edits, closes and reopens `POLL` on `site` through the
/// console's forms, checking each page keeps the site.
async fn run_a_poll(app: &TestApp, console: &Console<'_>, site: &str) {
    let on = |path: &str| format!("{path}?site={site}");
    let list = console.text(&on("/admin/console/polls")).await;
    assert!(
        list.contains(&format!(r#"href="/admin/console/new-poll?site={site}""#)),
        "{list}"
    );
    let form = console.text(&on("/admin/console/new-poll")).await;
    assert!(
        form.contains(&format!(r#"action="/admin/console/polls?site={site}""#)),
        "{form}"
    );
    let (status, to) = console
        .send_to(&on("/admin/console/polls"), &new_poll())
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(to, on(&format!("/admin/console/polls/{POLL}")));
    assert_eq!(read(app, site, "").await["status"], "open");

    let page = unescape(&console.text(&to).await);
    assert!(
        page.contains(&format!(r#"href="?site={site}&lang=en""#)),
        "{page}"
    );
    let edit = on(&format!("/admin/console/polls/{POLL}/edit"));
    assert!(page.contains(&format!(r#"href="{edit}""#)), "{page}");
    let form = console.text(&edit).await;
    assert!(form.contains(&format!(r#"action="{edit}""#)), "{form}");
    let edited = [
        ("question", "Câu hỏi đã sửa?"),
        ("label", "Tốt"),
        ("option-id", "tot"),
        ("label", "Chưa tốt"),
        ("option-id", "chua-tot"),
        ("max_choices", "1"),
        ("results", "always"),
        ("save", "yes"),
    ];
    let (status, to) = console.send_to(&edit, &edited).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(read(app, site, "").await["question"], "Câu hỏi đã sửa?");

    let close = on(&format!("/admin/console/polls/{POLL}/close"));
    let (status, to) = console.send_to(&close, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        to,
        format!("/admin/console/polls/{POLL}?done=closed&site={site}")
    );
    assert_eq!(read(app, site, "").await["status"], "closed");
    let reopen = on(&format!("/admin/console/polls/{POLL}/reopen"));
    let (status, _) = console.send_to(&reopen, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(read(app, site, "").await["status"], "open");
}

async fn a_department_editor_runs_its_sites_polls_in_the_console(backend: Backend) {
    let home = crate::support::Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    let console = Console::signed_in(&app, DEPARTMENT_EDITOR).await;
    // The menu and the sites page lead to its sites' polls.
    let dashboard = console.text("/admin/").await;
    assert!(
        dashboard.contains(r#"href="/admin/console/polls?site=so-y-te""#),
        "{dashboard}"
    );
    let sites = console.text("/admin/console/sites").await;
    assert!(
        sites.contains(r#"href="/admin/console/polls?site=xa-an-phu""#),
        "{sites}"
    );

    run_a_poll(&app, &console, "so-y-te").await;
    run_a_poll(&app, &console, "xa-an-phu").await;
    for site in ["tinh", "so-gd"] {
        assert_eq!(public_status(&app, site).await, StatusCode::NOT_FOUND);
    }
    // Each site's changes are in its own audit log, which its editor
    // reads, on the admin API and in the console; the province's log has
    // none of them.
    for site in ["so-y-te", "xa-an-phu"] {
        assert_eq!(targets(&app, site).await, vec![POLL; 4], "{site}");
        let path = format!("/admin/audit?site={site}");
        let r = admin(&app, Method::GET, &path, Some(DEPARTMENT_EDITOR), None).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let page = console
            .text(&format!("/admin/console/audit?site={site}"))
            .await;
        let link = format!(r#"href="/admin/console/polls/{POLL}?site={site}""#);
        assert!(page.contains(&link), "{page}");
        assert!(
            page.contains(&format!(r#"name="site" value="{site}""#)),
            "{page}"
        );
    }
    assert!(targets(&app, "tinh").await.is_empty());
    for path in [
        "/admin/audit",
        "/admin/audit?site=tinh",
        "/admin/audit?site=so-gd",
    ] {
        let r = admin(&app, Method::GET, path, Some(DEPARTMENT_EDITOR), None).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for path in ["/admin/console/audit", "/admin/console/audit?site=so-gd"] {
        let (status, _) = console.page(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }

    // The province's polls and the other department's: refused, before
    // anything is written.
    let made = admin(
        &app,
        Method::POST,
        "/admin/polls?site=tinh",
        Some(ADMIN),
        Some(serde_json::json!({
            "id": POLL, "question": "Tỉnh hỏi",
            "options": [{ "id": "a", "label": "A" }, { "id": "b", "label": "B" }],
        })),
    )
    .await;
    assert_eq!(made.status(), 201);
    let before = audited(&app).await;
    for site in ["tinh", "so-gd"] {
        let on = |path: &str| format!("{path}?site={site}");
        for path in [
            on("/admin/console/polls"),
            on("/admin/console/new-poll"),
            on(&format!("/admin/console/polls/{POLL}")),
        ] {
            let (status, page) = console.page(&path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            assert!(page.contains("forbidden_role"), "{path}: {page}");
        }
        let posts = [
            on("/admin/console/polls"),
            on(&format!("/admin/console/polls/{POLL}/close")),
            on(&format!("/admin/console/polls/{POLL}/delete")),
        ];
        for path in posts {
            let mut form = new_poll();
            form.push(("confirm", "yes"));
            let (status, _) = console.send_to(&path, &form).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
    }
    // Naming no site is the primary site's (the province's): refused too.
    let (status, _) = console
        .send_to(&format!("/admin/console/polls/{POLL}/close"), &[])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(audited(&app).await, before, "nothing written");
    assert_eq!(read(&app, "tinh", "").await["status"], "open");
    assert_eq!(public_status(&app, "so-gd").await, StatusCode::NOT_FOUND);
    let (status, _) = console.page("/admin/console/polls?site=huyen").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn the_province_admin_works_on_any_sites_polls(backend: Backend) {
    let home = crate::support::Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    let console = Console::signed_in(&app, ADMIN).await;
    // The list picks among every site, the one shown selected.
    let list = unescape(&console.text("/admin/console/polls?site=so-gd").await);
    for site in ["tinh", "so-y-te", "so-gd", "xa-an-phu"] {
        assert!(
            list.contains(&format!(r#"option value="{site}""#)),
            "{list}"
        );
    }
    assert!(list.contains(r#"option value="so-gd" selected"#), "{list}");
    run_a_poll(&app, &console, "so-gd").await;
    assert_eq!(public_status(&app, "so-y-te").await, StatusCode::NOT_FOUND);
    // The site's audit log links its poll on its site, and the picker
    // moves between the sites' logs; the province's log does not hold it.
    let audit = unescape(&console.text("/admin/console/audit?site=so-gd").await);
    assert!(
        audit.contains(r#"href="/admin/console/polls/khao-sat?site=so-gd""#),
        "{audit}"
    );
    assert!(
        audit.contains(r#"option value="so-gd" selected"#),
        "{audit}"
    );
    assert!(
        !console
            .text("/admin/console/audit")
            .await
            .contains("khao-sat"),
        "the province's audit log"
    );
    // The primary site's polls, as before: no site in their links.
    let (status, to) = console.send_to("/admin/console/polls", &new_poll()).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/console/polls/khao-sat")
    );
    assert_eq!(read(&app, "tinh", "").await["status"], "open");
    app.stop().await;
}

/// Signs in as the department's editor, the sign-in form carrying the poll
/// form `kept` for `resume`.
async fn sign_in(console: &Console<'_>, resume: &str, kept: &str) -> reqwest::Response {
    let fields = [
        ("token", DEPARTMENT_EDITOR),
        ("resume", resume),
        ("kept", kept),
    ];
    console.post("/admin/sign-in", &fields).await
}

/// A site's poll form sent after the session ended comes back, on its
/// site, once the editor signs in again; a form kept for a site the
/// editor's role does not reach is refused.
async fn a_kept_form_comes_back_on_its_site(backend: Backend) {
    let home = crate::support::Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    let console = Console::signed_in(&app, DEPARTMENT_EDITOR).await;
    let (status, _) = console.send_to("/admin/sign-out", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = console
        .send("/admin/console/polls?site=xa-an-phu", &new_poll())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (resume, kept) = (hidden(&page, "resume"), hidden(&page, "kept"));
    assert_eq!(resume, "/admin/console/polls?site=xa-an-phu");
    let back = sign_in(&console, "/admin/console/polls?site=xa-an-phu", &kept).await;
    assert_eq!(back.status(), StatusCode::OK);
    let form = back.text().await.unwrap();
    assert!(
        form.contains(r#"action="/admin/console/polls?site=xa-an-phu""#),
        "{form}"
    );
    assert!(form.contains(r#"value="Chưa tốt""#), "{form}");
    let forged = sign_in(&console, "/admin/console/polls?site=tinh", &kept).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let page = forged.text().await.unwrap();
    assert!(page.contains("forbidden_role"), "{page}");
    for site in ["xa-an-phu", "tinh"] {
        assert_eq!(public_status(&app, site).await, StatusCode::NOT_FOUND);
    }
    app.stop().await;
}

on_every_store!(
    a_department_editor_runs_its_sites_polls_in_the_console,
    the_province_admin_works_on_any_sites_polls,
    a_kept_form_comes_back_on_its_site,
);
