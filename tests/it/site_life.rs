//! A site's life, on each store: an alias in the sites file keeps pages
//! embedded under an old id counting into the site that holds it.

use crate::polls_sites::{ADMIN, ballot, create, read, start};
use crate::sites::{PROVINCE, counter, hit, origin, sites_file};
use crate::support::{Backend, Home, cookie};

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

    let listed: serde_json::Value = app
        .http
        .get(format!("{}/admin/sites", app.ops))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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

on_every_store!(an_alias_counts_into_the_site_that_holds_it);
