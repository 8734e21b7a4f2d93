//! Sites created and changed through the admin API, on each store: a
//! commune created under a department by the department's editor counts
//! at once on the replica that created it, and on another replica of the
//! same store within seconds, without a restart; its parent's and the
//! province's figures include it; it is still there after a restart. An
//! edit takes effect (an origin taken off stops counting; a move counts
//! into the new parent). A role is refused creating or moving outside its
//! reach, an id taken is refused, and a site of the sites file stays the
//! file's.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::archive_sites::admin_json;
use crate::polls::{admin, error_code};
use crate::polls_sites::{ADMIN, DEPARTMENT_EDITOR, ballot, create, read, start};
use crate::sites::{PROVINCE, counter, hit, sites_file};
use crate::support::{Backend, Home, TestApp, cookie, eventually};

const COMMUNE: &str = "xa-binh-an";
const COMMUNE_PAGES: &str = "https://binhan.tinh.gov.vn";
const MOVED_PAGES: &str = "https://binhan.gov.vn";

fn commune(origins: &[&str], parent: &str) -> Value {
    json!({
        "id": COMMUNE,
        "name": "Xã Bình An",
        "parent": parent,
        "origins": origins,
    })
}

/// `POST /admin/sites` with `token`.
pub(crate) async fn create_site(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    admin(app, Method::POST, "/admin/sites", Some(token), Some(body)).await
}

async fn put_site(app: &TestApp, token: &str, site: &str, body: Value) -> reqwest::Response {
    let path = format!("/admin/sites/{site}");
    admin(app, Method::PUT, &path, Some(token), Some(body)).await
}

/// `site`'s `total`, once it reaches `expected` (another replica's
/// flush, read back when this one next asks).
async fn total_reaches(app: &TestApp, site: &str, expected: u64) {
    eventually(
        Duration::from_secs(20),
        &format!("{site}'s total reaching {expected}"),
        async || (counter(app, site, None).await["total"] == expected).then_some(()),
    )
    .await;
}

/// Waits until `app` (another replica, not restarted) answers `site`'s
/// counter with `status`: 200 once it serves a site created elsewhere,
/// 404 once it stops serving a deleted one.
pub(crate) async fn counter_answers(app: &TestApp, site: &str, status: u16, what: &str) {
    eventually(Duration::from_secs(15), what, async || {
        let asked = app
            .http
            .get(app.url("/v1/counter"))
            .query(&[("site", site)])
            .send()
            .await
            .unwrap();
        (asked.status() == status).then_some(())
    })
    .await;
}

async fn a_created_site_counts_at_once_everywhere_and_lasts(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let a = start(&home, &file).await;
    let shared = backend != Backend::Embedded;
    let b = match shared {
        true => Some(start(&home, &file).await),
        false => None,
    };

    let created = create_site(&a, DEPARTMENT_EDITOR, commune(&[COMMUNE_PAGES], "so-y-te")).await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["defined"], true);
    assert_eq!(body["parent"], "so-y-te");

    // At once on the replica that created it.
    let counted = hit(&a, COMMUNE, COMMUNE_PAGES, &cookie(), "/tin/1").await;
    assert_eq!(counted.status(), 200);
    assert_eq!(counted.json::<Value>().await.unwrap()["total"], 1);
    a.flushed().await;
    for site in [COMMUNE, "so-y-te", "tinh"] {
        assert_eq!(counter(&a, site, None).await["total"], 1, "{site}");
    }
    assert_eq!(counter(&a, "so-gd", None).await["total"], 0);
    // Its polls, and ballots from its pages.
    assert_eq!(
        create(&a, COMMUNE, DEPARTMENT_EDITOR, "Hỏi").await.status(),
        201
    );
    let voted = ballot(&a, COMMUNE, COMMUNE_PAGES, "a").await;
    assert_eq!(voted.status(), 201);
    assert_eq!(read(&a, COMMUNE, "/results").await["total_votes"], 1);

    // Within seconds on another replica of the store, not restarted.
    let mut expected = 1;
    if let Some(b) = &b {
        counter_answers(b, COMMUNE, 200, "the other replica serving the new site").await;
        let counted = hit(b, COMMUNE, COMMUNE_PAGES, &cookie(), "/tin/2").await;
        assert_eq!(counted.status(), 200);
        b.flushed().await;
        expected = 2;
        for site in [COMMUNE, "so-y-te", "tinh"] {
            total_reaches(&a, site, expected).await;
        }
    }

    // Listed as a site of the API's, and noted in its log and its parent's.
    let listed = admin_json(&a, "/admin/sites").await;
    let found = listed["sites"].as_array().unwrap().iter();
    let found: Vec<&Value> = found.filter(|s| s["id"] == COMMUNE).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["defined"], true);
    for site in [COMMUNE, "so-y-te"] {
        let log = admin_json(&a, &format!("/admin/audit?site={site}")).await;
        let noted: Vec<(&Value, &Value)> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "create_site")
            .map(|e| (&e["who"], &e["target"]))
            .collect();
        assert_eq!(noted, [(&json!("yte"), &json!(COMMUNE))], "{site}");
    }

    // It survives a restart of every replica.
    if let Some(b) = b {
        b.stop().await;
    }
    a.stop().await;
    let a = start(&home, &file).await;
    assert_eq!(counter(&a, COMMUNE, None).await["total"], expected);
    let counted = hit(&a, COMMUNE, COMMUNE_PAGES, &cookie(), "/tin/3").await;
    assert_eq!(
        counted.json::<Value>().await.unwrap()["total"],
        expected + 1
    );
    a.stop().await;
}

async fn an_edit_takes_effect_within_the_editors_reach(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    let created = create_site(&app, ADMIN, commune(&[COMMUNE_PAGES], "so-y-te")).await;
    assert_eq!(created.status(), 201);

    // Its pages move: the old origin stops counting, the new one counts.
    let moved = commune(&[MOVED_PAGES], "so-y-te");
    let edited = put_site(&app, DEPARTMENT_EDITOR, COMMUNE, moved).await;
    assert_eq!(edited.status(), 200);
    let old = hit(&app, COMMUNE, COMMUNE_PAGES, &cookie(), "/tin/1").await;
    assert_eq!(old.status(), 200);
    assert_eq!(old.json::<Value>().await.unwrap()["total"], 0);
    let new = hit(&app, COMMUNE, MOVED_PAGES, &cookie(), "/tin/1").await;
    assert_eq!(new.json::<Value>().await.unwrap()["total"], 1);

    // The department's editor may not move it out of the department.
    let away = commune(&[MOVED_PAGES], "so-gd");
    let refused = put_site(&app, DEPARTMENT_EDITOR, COMMUNE, away.clone()).await;
    assert_eq!(error_code(refused).await, (403, "forbidden_role".into()));
    // The province's admin may: it counts into its new parent from then.
    assert_eq!(put_site(&app, ADMIN, COMMUNE, away).await.status(), 200);
    hit(&app, COMMUNE, MOVED_PAGES, &cookie(), "/tin/2").await;
    app.flushed().await;
    assert_eq!(counter(&app, COMMUNE, None).await["total"], 2);
    assert_eq!(counter(&app, "so-gd", None).await["total"], 1);
    assert_eq!(counter(&app, "so-y-te", None).await["total"], 1);
    assert_eq!(counter(&app, "tinh", None).await["total"], 2);
    let log = admin_json(&app, "/admin/audit?site=so-gd").await;
    assert_eq!(log["entries"][0]["action"], "edit_site");
    assert_eq!(log["entries"][0]["who"], "ha");

    // Its counter before tally, set by an edit: its own figure only.
    let mut counted_before = commune(&[MOVED_PAGES], "so-gd");
    counted_before["baseline"] = json!(500);
    let edited = put_site(&app, ADMIN, COMMUNE, counted_before).await;
    assert_eq!(edited.status(), 200);
    assert_eq!(counter(&app, COMMUNE, None).await["total"], 502);
    assert_eq!(counter(&app, "so-gd", None).await["total"], 1);

    // Now outside the department's reach, it is not its editor's.
    let back = commune(&[MOVED_PAGES], "so-y-te");
    let refused = put_site(&app, DEPARTMENT_EDITOR, COMMUNE, back).await;
    assert_eq!(error_code(refused).await, (403, "forbidden_role".into()));
    app.stop().await;
}

async fn what_a_role_may_not_create_is_refused_with_nothing_written(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    let refusals = [
        // Outside the department's reach, or a root: not its editor's.
        (
            DEPARTMENT_EDITOR,
            commune(&[COMMUNE_PAGES], "so-gd"),
            403,
            "forbidden_role",
        ),
        (
            DEPARTMENT_EDITOR,
            json!({"id": COMMUNE, "name": "Xã"}),
            403,
            "forbidden_role",
        ),
        // Ids taken: a site of the file, at any level.
        (
            ADMIN,
            json!({"id": "so-y-te", "name": "Sở", "parent": "tinh"}),
            409,
            "site_taken",
        ),
        (
            ADMIN,
            json!({"id": "xa-an-phu", "name": "Xã", "parent": "so-y-te"}),
            409,
            "site_taken",
        ),
        // Fields checked as the sites file's are.
        (
            ADMIN,
            commune(&["not an origin"], "so-y-te"),
            400,
            "invalid_site",
        ),
        (
            ADMIN,
            commune(&[COMMUNE_PAGES], "huyen-khong-co"),
            400,
            "invalid_site",
        ),
        (
            ADMIN,
            json!({"id": "Xa Hoa", "name": "Xã", "parent": "tinh"}),
            400,
            "invalid_site",
        ),
        (
            ADMIN,
            json!({"id": COMMUNE, "name": "", "parent": "tinh"}),
            400,
            "invalid_site",
        ),
        (
            ADMIN,
            json!({"id": COMMUNE, "name": "X", "colour": "do"}),
            400,
            "invalid_site",
        ),
    ];
    for (token, body, status, code) in refusals {
        let answered = create_site(&app, token, body.clone()).await;
        assert_eq!(error_code(answered).await, (status, code.into()), "{body}");
    }
    let listed = admin_json(&app, "/admin/sites").await;
    assert_eq!(
        listed["sites"].as_array().unwrap().len(),
        4,
        "nothing written"
    );

    // Created once; a second time is refused.
    let body = commune(&[COMMUNE_PAGES], "so-y-te");
    assert_eq!(create_site(&app, ADMIN, body.clone()).await.status(), 201);
    let again = create_site(&app, DEPARTMENT_EDITOR, body).await;
    assert_eq!(error_code(again).await, (409, "site_taken".into()));

    // A site of the sites file is the file's, whoever asks.
    let edit = json!({"name": "Sở Y tế mới", "parent": "tinh"});
    let refused = put_site(&app, ADMIN, "so-y-te", edit).await;
    assert_eq!(error_code(refused).await, (409, "site_in_file".into()));
    let nowhere = put_site(&app, ADMIN, "xa-khong-co", json!({"name": "X"})).await;
    assert_eq!(error_code(nowhere).await, (404, "site_not_found".into()));
    app.stop().await;
}

on_every_store!(
    a_created_site_counts_at_once_everywhere_and_lasts,
    an_edit_takes_effect_within_the_editors_reach,
    what_a_role_may_not_create_is_refused_with_nothing_written,
);
