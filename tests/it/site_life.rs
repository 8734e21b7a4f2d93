//! A site's life, on each store: an alias in the sites file keeps pages
//! embedded under an old id counting into the site that holds it; a site
//! removed from the file is not served, comes back whole when the file
//! names it again within 30 days, and after 30 days without it its data
//! is deleted, to the last key.

use std::path::Path;
use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::Value;
use tally::clock::ManualClock;
use tally::config::StoreSettings;
use tally::ids::SiteId;
use tally::store::StoreError;

use crate::archive_sites::admin_json;
use crate::polls_sites::{ADMIN, ballot, create, read, start};
use crate::retention::sweep;
use crate::sites::{PROVINCE, counter, hit, origin, province_without, sites_file};
use crate::support::{Backend, Home, TestApp, cookie, noon};

/// The province, with Sở Y tế also known by its old id.
fn with_alias(site: &str, alias: &str) -> String {
    PROVINCE.replacen(
        &format!("id = \"{site}\"\n"),
        &format!("id = \"{site}\"\naliases = [\"{alias}\"]\n"),
        1,
    )
}

/// A page that still names the old id counts into the site holding it,
/// and into its parents; its reads and ballots are that site's; from a
/// page that is not one of the site's it is answered and not counted.
async fn an_alias_counts_into_the_site_that_holds_it(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(&with_alias("so-y-te", "so-y-te-cu"));
    let app = start(&home, &file).await;
    let old = "so-y-te-cu";
    let answered = hit(&app, old, origin("so-y-te"), &cookie(), "/tin/1").await;
    assert_eq!(answered.status(), 200);
    hit(&app, "so-y-te", origin("so-y-te"), &cookie(), "/tin/1").await;
    // Its origins are the holding site's: another site's page is not.
    let foreign = hit(&app, old, origin("so-gd"), &cookie(), "/tin/1").await;
    assert_eq!(foreign.status(), 200);
    app.flushed().await;
    for site in [old, "so-y-te"] {
        let shown = counter(&app, site, Some("/tin/1")).await;
        assert_eq!(shown["total"], 2, "{site}");
        assert_eq!(shown["page"]["views"], 2, "{site}");
    }
    assert_eq!(counter(&app, "tinh", None).await["total"], 2);
    assert_eq!(counter(&app, "so-gd", None).await["total"], 0);

    assert_eq!(create(&app, "so-y-te", ADMIN, "Hỏi").await.status(), 201);
    assert_eq!(
        ballot(&app, old, origin("so-y-te"), "a").await.status(),
        201
    );
    let refused = ballot(&app, old, origin("tinh"), "a").await;
    assert_eq!(refused.status(), 403);
    for site in [old, "so-y-te"] {
        assert_eq!(
            read(&app, site, "/results").await["total_votes"],
            1,
            "{site}"
        );
    }

    let listed = admin_json(&app, "/admin/sites").await;
    let health = listed["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "so-y-te")
        .unwrap();
    assert_eq!(health["aliases"], serde_json::json!([old]));
    assert_eq!(listed["sites"].as_array().unwrap().len(), 4, "not a site");
    app.stop().await;
}

/// The app on `file`, its clock starting `after` noon.
async fn start_after(home: &Home, file: &Path, after: SignedDuration) -> TestApp {
    let (path, tokens) = (file.to_path_buf(), format!("ha:{ADMIN}"));
    let clock = Arc::new(ManualClock::new(noon() + after));
    TestApp::start_at(home, clock, move |s| {
        s.sites_file = Some(path);
        s.admin_tokens = tally::config::named_tokens(&tokens).unwrap();
    })
    .await
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// What the commune shows that does not move with the calendar: its
/// visits all time, a page's views and its poll's results.
async fn commune(app: &TestApp) -> Value {
    let shown = counter(app, "xa-an-phu", Some("/tin/1")).await;
    serde_json::json!({
        "total": shown["total"],
        "page": shown["page"],
        "results": read(app, "xa-an-phu", "/results").await,
    })
}

/// Every key of `site` on every Redis node of `home` (none on the
/// embedded store, which has no keys to scan).
fn redis_keys(home: &Home, site: &str) -> Vec<String> {
    let nodes = match home.store_settings() {
        StoreSettings::Embedded { .. } => return Vec::new(),
        StoreSettings::Redis { url } => vec![url],
        StoreSettings::Cluster { nodes } => nodes,
    };
    let mut found = Vec::new();
    for node in nodes {
        let mut conn = ::redis::Client::open(node.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        for pattern in [format!("tally:{{{site}}}*"), format!("tally:{{{site}/*")] {
            let keys: Vec<String> = ::redis::cmd("KEYS").arg(&pattern).query(&mut conn).unwrap();
            found.extend(keys);
        }
    }
    found
}

async fn a_removed_site_comes_back_whole_and_goes_after_30_days(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let (_without_dir, without) = sites_file(&province_without("xa-an-phu"));
    let app = start_after(&home, &province, days(0)).await;
    for _ in 0..3 {
        hit(&app, "xa-an-phu", origin("xa-an-phu"), &cookie(), "/tin/1").await;
    }
    assert_eq!(create(&app, "xa-an-phu", ADMIN, "Hỏi").await.status(), 201);
    assert_eq!(
        ballot(&app, "xa-an-phu", origin("xa-an-phu"), "a")
            .await
            .status(),
        201
    );
    app.flushed().await;
    let before = commune(&app).await;
    assert_eq!(before["total"], 3);
    app.stop().await;

    // Removed: not served, not listed, and kept.
    let app = start_after(&home, &without, SignedDuration::from_hours(1)).await;
    let refused = hit(&app, "xa-an-phu", origin("xa-an-phu"), &cookie(), "/tin/1").await;
    assert_eq!(refused.status(), 404);
    let code: Value = refused.json().await.unwrap();
    assert_eq!(code["error"]["code"], "site_not_found");
    let listed = admin_json(&app, "/admin/sites").await;
    assert!(!listed.to_string().contains("xa-an-phu"));
    // What the IT centre is about to lose, and when.
    let removed = admin_json(&app, "/admin/sites/removed").await;
    assert_eq!(
        removed,
        serde_json::json!({"sites": [{
            "id": "xa-an-phu",
            "last_listed": "2026-11-27T05:00:00Z",
            "purged_from": "2026-12-27T05:00:00Z",
        }]})
    );
    // The console's sites page says so too, in the deployment's zone.
    let console = crate::support::console::Console::signed_in(&app, ADMIN).await;
    let page = console.text("/admin/console/sites").await;
    let removed = &page[page.find(r#"id="removed""#).expect(&page)..];
    assert!(removed.contains("<code>xa-an-phu</code>"), "{removed}");
    assert!(removed.contains("27/12/2026"), "{removed}");
    app.clock.set(noon() + days(29));
    assert_eq!(sweep(&app).await.sites, 0, "kept 30 days");
    app.stop().await;

    // Back in the file within 30 days: every count is back.
    let app = start_after(&home, &province, days(29)).await;
    assert_eq!(commune(&app).await, before);
    app.stop().await;

    // Removed again: 30 days from when the file last named it.
    let app = start_after(&home, &without, days(29) + SignedDuration::from_hours(1)).await;
    app.clock.set(noon() + days(58));
    assert_eq!(sweep(&app).await.sites, 0);
    assert!(!redis_keys(&home, "xa-an-phu").is_empty() || backend == Backend::Embedded);
    app.clock.set(noon() + days(60));
    assert_eq!(sweep(&app).await.sites, 1);
    assert_eq!(sweep(&app).await.sites, 0, "once");
    // The other sites are untouched.
    assert_eq!(counter(&app, "so-y-te", None).await["total"], 3);
    app.stop().await;
    assert_eq!(redis_keys(&home, "xa-an-phu"), Vec::<String>::new());
    let store = home.open_store().await;
    let xa = SiteId::parse("xa-an-phu").unwrap();
    assert!(store.holding(&xa).await.unwrap().empty);
    let listed: Result<Vec<_>, StoreError> = store.listed_sites().await;
    let listed: Vec<String> = listed.unwrap().into_iter().map(|(s, _)| s).collect();
    assert_eq!(listed, ["so-gd", "so-y-te", "tinh"]);
    drop(store);

    // Put back after that, it starts again from nothing.
    let app = start_after(&home, &province, days(61)).await;
    assert_eq!(counter(&app, "xa-an-phu", None).await["total"], 0);
    app.stop().await;
}

/// An old id takes from its site's own ceiling (`rate_limit`), not a
/// bucket of its own: a flood naming the site and its alias by turns is
/// refused at the one ceiling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_shares_its_sites_ceiling() {
    let home = Home::open(Backend::Embedded).await;
    let file = with_alias("so-gd", "so-gd-cu").replacen(
        "origins = [\"https://sogd.tinh.gov.vn\"]",
        "origins = [\"https://sogd.tinh.gov.vn\"]\nrate_limit = \"1,5\"",
        1,
    );
    let (_dir, path) = sites_file(&file);
    let app = TestApp::start(&home, move |s| s.sites_file = Some(path)).await;
    let mut flood = Vec::new();
    for n in 0..20 {
        let named = if n % 2 == 0 { "so-gd" } else { "so-gd-cu" };
        let answered = hit(&app, named, origin("so-gd"), &cookie(), "/a").await;
        flood.push(answered.status().as_u16());
    }
    let passed = flood.iter().filter(|s| **s == 200).count();
    assert!(
        (5..=6).contains(&passed),
        "one burst of 5 for both: {flood:?}"
    );
    assert!(flood.iter().all(|s| *s == 200 || *s == 429), "{flood:?}");
    app.stop().await;
}

on_every_store!(
    an_alias_counts_into_the_site_that_holds_it,
    a_removed_site_comes_back_whole_and_goes_after_30_days,
);
