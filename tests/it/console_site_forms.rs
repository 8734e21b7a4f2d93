//! The console's forms for sites, on each store: a department's editor
//! adds a commune under its department with *Thêm trang*, and it counts
//! at once; a wrong field comes back named beside it, the form kept; the
//! commune's settings are changed through its own form; a parent outside
//! the editor's reach is refused with nothing written. The page speaks
//! English when asked.

use reqwest::StatusCode;
use serde_json::Value;

use crate::archive_sites::admin_json;
use crate::polls_sites::{DEPARTMENT_EDITOR, start};
use crate::sites::{PROVINCE, hit, sites_file};
use crate::support::console::{Console, unescape};
use crate::support::{Backend, Home, cookie};

const PAGE: &str = "/admin/console/sites";

fn commune<'a>(name: &'a str, parent: &'a str, origins: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", "xa-binh-an"),
        ("name", name),
        ("parent", parent),
        ("origins", origins),
        ("lang", "vi"),
        ("timezone", ""),
        ("home", ""),
        ("baseline", ""),
        ("results", "always"),
        ("challenge", "off"),
        ("rate_limit", ""),
    ]
}

fn site_named(listed: &Value, id: &str) -> Option<Value> {
    listed["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
}

async fn an_editor_adds_and_changes_a_site_through_the_console(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    let console = Console::signed_in(&app, DEPARTMENT_EDITOR).await;
    let page = unescape(&console.text(PAGE).await);
    assert!(page.contains("Thêm trang"), "{page}");
    let english = unescape(&console.text(&format!("{PAGE}?lang=en")).await);
    assert!(english.contains("Add a site"), "{english}");

    // A wrong field: named beside it, the form kept as sent.
    let wrong = commune("Xã Bình An", "so-y-te", "anphu dot vn");
    let (status, page) = console.send(PAGE, &wrong).await;
    let page = unescape(&page);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains(r#"id="new-origins""#), "{page}");
    assert!(page.contains("Mỗi dòng một địa chỉ"), "{page}");
    assert!(page.contains("anphu dot vn"), "the form kept: {page}");
    assert!(site_named(&admin_json(&app, "/admin/sites").await, "xa-binh-an").is_none());

    // Outside the department: refused, nothing written.
    let away = commune("Xã Bình An", "so-gd", "https://binhan.tinh.gov.vn");
    let (status, page) = console.send(PAGE, &away).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("forbidden_role"), "{page}");
    assert!(site_named(&admin_json(&app, "/admin/sites").await, "xa-binh-an").is_none());

    // Added under the department: it counts at once.
    let added = commune("Xã Bình An", "so-y-te", "https://binhan.tinh.gov.vn");
    let (status, to) = console.send_to(PAGE, &added).await;
    assert_eq!(
        (status, to.as_str()),
        (
            StatusCode::SEE_OTHER,
            "/admin/console/sites#site-xa-binh-an"
        )
    );
    let counted = hit(
        &app,
        "xa-binh-an",
        "https://binhan.tinh.gov.vn",
        &cookie(),
        "/",
    )
    .await;
    assert_eq!(counted.json::<Value>().await.unwrap()["total"], 1);
    let page = unescape(&console.text(PAGE).await);
    assert!(page.contains(r#"id="site-xa-binh-an""#), "{page}");
    assert!(
        page.contains(r#"name="site" value="xa-binh-an""#),
        "its form: {page}"
    );

    // Changed through its own form.
    let mut changed = commune("Xã Bình An (mới)", "so-y-te", "https://binhan.gov.vn");
    changed[0] = ("site", "xa-binh-an");
    let (status, _) = console.send_to(PAGE, &changed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let listed = admin_json(&app, "/admin/sites").await;
    let site = site_named(&listed, "xa-binh-an").unwrap();
    assert_eq!(site["name"], "Xã Bình An (mới)");
    assert_eq!(
        site["origins"],
        serde_json::json!(["https://binhan.gov.vn"])
    );
    let log = admin_json(&app, "/admin/audit?site=xa-binh-an").await;
    assert_eq!(log["entries"][0]["action"], "edit_site");
    assert_eq!(log["entries"][0]["who"], "yte");
    drop(console);
    app.stop().await;
}

/// A created site's *Xoá trang…* asks first; confirmed, the site is a
/// removed site. A site of the sites file has no such button, and is
/// refused when asked anyway.
async fn an_editor_deletes_a_site_through_the_console(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    let console = Console::signed_in(&app, DEPARTMENT_EDITOR).await;
    let added = commune("Xã Bình An", "so-y-te", "https://binhan.tinh.gov.vn");
    assert_eq!(console.send_to(PAGE, &added).await.0, StatusCode::SEE_OTHER);
    let page = unescape(&console.text(PAGE).await);
    assert_eq!(
        page.matches("Xoá trang…").count(),
        1,
        "its own only: {page}"
    );
    let english = unescape(&console.text(&format!("{PAGE}?lang=en")).await);
    assert!(english.contains("Delete the site…"), "{english}");

    // Asked: the page asks to confirm, and nothing is deleted yet.
    let ask = [("site", "xa-binh-an"), ("delete", "ask")];
    let (status, page) = console.send(PAGE, &ask).await;
    let page = unescape(&page);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Xoá trang này?"), "{page}");
    assert!(page.contains(r#"name="delete" value="confirm""#), "{page}");
    let listed = admin_json(&app, "/admin/sites").await;
    assert!(site_named(&listed, "xa-binh-an").is_some());

    // Confirmed: a removed site, listed as such on the page.
    let confirm = [("site", "xa-binh-an"), ("delete", "confirm")];
    let (status, to) = console.send_to(PAGE, &confirm).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.ends_with("#removed"), "{to}");
    let listed = admin_json(&app, "/admin/sites").await;
    assert!(site_named(&listed, "xa-binh-an").is_none());
    let removed = admin_json(&app, "/admin/sites/removed").await;
    assert_eq!(removed["sites"][0]["id"], "xa-binh-an");
    let log = admin_json(&app, "/admin/audit?site=so-y-te").await;
    assert_eq!(log["entries"][0]["action"], "delete_site");

    // A site of the file: refused, in words, nothing deleted.
    let file_site = [("site", "xa-an-phu"), ("delete", "confirm")];
    let (status, page) = console.send(PAGE, &file_site).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(unescape(&page).contains("TALLY_SITES_FILE"), "{page}");
    let listed = admin_json(&app, "/admin/sites").await;
    assert!(site_named(&listed, "xa-an-phu").is_some());
    drop(console);
    app.stop().await;
}

on_every_store!(
    an_editor_adds_and_changes_a_site_through_the_console,
    an_editor_deletes_a_site_through_the_console,
);
