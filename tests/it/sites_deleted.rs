//! A site created through the admin API, deleted, on each store: it is
//! no longer served (on another replica within seconds), it is listed
//! as a removed site and its data kept 30 days, then purged; created
//! again within them, every count comes back. A site of the sites file
//! or one with a site below it is refused. CORS follows the served
//! sites: an origin taken off a site, or a deleted site's, is refused.

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::archive_sites::admin_json;
use crate::polls::{admin, error_code};
use crate::polls_sites::{ADMIN, DEPARTMENT_EDITOR, ballot, create, read, start};
use crate::retention::sweep;
use crate::sites::{PROVINCE, counter, hit, sites_file};
use crate::sites_defined::{counter_answers, create_site};
use crate::support::console::Console;
use crate::support::{Backend, Home, TestApp, cookie, noon};

const COMMUNE: &str = "xa-binh-an";
const HAMLET: &str = "thon-mot";
const PAGES: &str = "https://binhan.tinh.gov.vn";
const MOVED: &str = "https://binhan.gov.vn";

fn commune(origins: &[&str]) -> Value {
    json!({"id": COMMUNE, "name": "Xã Bình An", "parent": "so-y-te", "origins": origins})
}

async fn delete_site(app: &TestApp, token: &str, site: &str) -> reqwest::Response {
    let path = format!("/admin/sites/{site}");
    admin(app, Method::DELETE, &path, Some(token), None).await
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// What the commune shows: its visits all time and its poll's ballots.
async fn shown(app: &TestApp) -> (Value, Value) {
    let total = counter(app, COMMUNE, None).await["total"].clone();
    (
        total,
        read(app, COMMUNE, "/results").await["total_votes"].clone(),
    )
}

async fn a_deleted_site_is_removed_and_comes_back_when_created_again(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    let other = match backend != Backend::Embedded {
        true => Some(start(&home, &file).await),
        false => None,
    };
    let created = create_site(&app, DEPARTMENT_EDITOR, commune(&[PAGES])).await;
    assert_eq!(created.status(), 201);
    let hamlet = json!({"id": HAMLET, "name": "Thôn Một", "parent": COMMUNE});
    assert_eq!(create_site(&app, ADMIN, hamlet).await.status(), 201);
    for n in 0..3 {
        hit(&app, COMMUNE, PAGES, &cookie(), &format!("/tin/{n}")).await;
    }
    assert_eq!(create(&app, COMMUNE, ADMIN, "Hỏi").await.status(), 201);
    assert_eq!(ballot(&app, COMMUNE, PAGES, "a").await.status(), 201);
    app.flushed().await;
    let before = shown(&app).await;
    assert_eq!(before, (json!(3), json!(1)));

    // Refused: a site of the file, a site with a site below it, none.
    let refusals = [
        ("so-y-te", 409, "site_in_file"),
        (COMMUNE, 409, "site_has_children"),
        ("xa-khong-co", 404, "site_not_found"),
    ];
    for (site, status, code) in refusals {
        let refused = delete_site(&app, ADMIN, site).await;
        assert_eq!(error_code(refused).await, (status, code.into()), "{site}");
    }
    // The hamlet first; then the commune has none below it.
    let deleted = delete_site(&app, ADMIN, HAMLET).await;
    assert_eq!(deleted.status(), 200);

    // Deleted by the department's editor, who could create it.
    let deleted = delete_site(&app, DEPARTMENT_EDITOR, COMMUNE).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.json::<Value>().await.unwrap()["id"], COMMUNE);
    let refused = hit(&app, COMMUNE, PAGES, &cookie(), "/tin/9").await;
    assert_eq!(error_code(refused).await, (404, "site_not_found".into()));
    if let Some(other) = &other {
        let what = "the other replica no longer serving the deleted site";
        counter_answers(other, COMMUNE, 404, what).await;
    }
    let listed = admin_json(&app, "/admin/sites").await;
    assert!(!listed.to_string().contains(COMMUNE), "{listed}");
    // A removed site, kept 30 days from its deletion.
    let removed = admin_json(&app, "/admin/sites/removed").await;
    let ids: Vec<&Value> = removed["sites"].as_array().unwrap().iter().collect();
    let commune_row = ids.iter().find(|s| s["id"] == COMMUNE).expect("listed");
    assert_eq!(commune_row["last_listed"], "2026-11-27T05:00:00Z");
    assert_eq!(commune_row["purged_from"], "2026-12-27T05:00:00Z");
    let console = Console::signed_in(&app, ADMIN).await;
    let page = console.text("/admin/console/sites").await;
    let section = &page[page.find(r#"id="removed""#).expect(&page)..];
    assert!(
        section.contains(&format!("<code>{COMMUNE}</code>")),
        "{section}"
    );
    // Audited in its parent's log (its own is read when it is a site
    // again); its parent keeps its counts.
    let log = admin_json(&app, "/admin/audit?site=so-y-te").await;
    assert_eq!(log["entries"][0]["action"], "delete_site");
    assert_eq!(log["entries"][0]["who"], "yte");
    assert_eq!(log["entries"][0]["target"], COMMUNE);
    assert_eq!(counter(&app, "so-y-te", None).await["total"], 3);

    // Created again within the 30 days: every count is back.
    app.clock.set(noon() + days(29));
    assert_eq!(sweep(&app).await.sites, 0, "kept 30 days");
    let again = create_site(&app, DEPARTMENT_EDITOR, commune(&[PAGES])).await;
    assert_eq!(again.status(), 201);
    assert_eq!(shown(&app).await, before);
    let log = admin_json(&app, &format!("/admin/audit?site={COMMUNE}")).await;
    let actions: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["action"])
        .collect();
    assert_eq!(actions[..2], [&json!("create_site"), &json!("delete_site")]);
    let counted = hit(&app, COMMUNE, PAGES, &cookie(), "/tin/10").await;
    assert_eq!(counted.json::<Value>().await.unwrap()["total"], 4);
    app.flushed().await;

    // Deleted again and left 30 days: purged; created after, from nothing.
    assert_eq!(delete_site(&app, ADMIN, COMMUNE).await.status(), 200);
    app.clock.set(noon() + days(58));
    assert_eq!(sweep(&app).await.sites, 1, "the hamlet, deleted first");
    app.clock.set(noon() + days(60));
    assert_eq!(sweep(&app).await.sites, 1);
    assert_eq!(
        create_site(&app, ADMIN, commune(&[PAGES])).await.status(),
        201
    );
    assert_eq!(counter(&app, COMMUNE, None).await["total"], 0);
    drop(console);
    if let Some(other) = other {
        other.stop().await;
    }
    app.stop().await;
}

/// A preflight from `origin`: whether CORS allows it.
async fn cors_allows(app: &TestApp, origin: &str) -> bool {
    let preflight = app
        .http
        .request(Method::OPTIONS, app.url("/v1/hits"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    let allowed = preflight.headers().get("access-control-allow-origin");
    allowed.is_some_and(|o| o == origin)
}

async fn cors_follows_the_served_sites(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    assert!(!cors_allows(&app, PAGES).await);
    let created = create_site(&app, ADMIN, commune(&[PAGES])).await;
    assert_eq!(created.status(), 201);
    assert!(cors_allows(&app, PAGES).await);

    // Its pages move: the old origin is refused at once, the new allowed.
    let path = format!("/admin/sites/{COMMUNE}");
    let moved = admin(
        &app,
        Method::PUT,
        &path,
        Some(ADMIN),
        Some(commune(&[MOVED])),
    )
    .await;
    assert_eq!(moved.status(), 200);
    assert!(!cors_allows(&app, PAGES).await);
    assert!(cors_allows(&app, MOVED).await);
    assert!(cors_allows(&app, "https://soyte.tinh.gov.vn").await);
    // A ballot from the old origin is refused too.
    assert_eq!(create(&app, COMMUNE, ADMIN, "Hỏi").await.status(), 201);
    let refused = ballot(&app, COMMUNE, PAGES, "a").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // Restarted, then deleted: its origin is refused.
    app.stop().await;
    let app = start(&home, &file).await;
    assert!(cors_allows(&app, MOVED).await);
    assert!(!cors_allows(&app, PAGES).await);
    assert_eq!(delete_site(&app, ADMIN, COMMUNE).await.status(), 200);
    assert!(!cors_allows(&app, MOVED).await);
    assert!(cors_allows(&app, "https://soyte.tinh.gov.vn").await);
    app.stop().await;
}

on_every_store!(
    a_deleted_site_is_removed_and_comes_back_when_created_again,
    cors_follows_the_served_sites,
);
