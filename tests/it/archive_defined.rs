//! A site created through the admin API, in the data commands, on each
//! store: its backup carries its definition; a restore into an empty
//! store of another kind brings the definition back first, then its
//! counts and polls, and `check` finds no difference; `merge-site`
//! merges it into another site as it merges a site of the sites file.

use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::archive::{tally, text};
use crate::archive_sites::{admin_json, other_kind};
use crate::polls::admin;
use crate::polls_sites::{ADMIN, ballot, create, read, start};
use crate::sites::{PROVINCE, counter, hit, sites_file};
use crate::sites_defined::create_site;
use crate::support::{Backend, Home, TestApp, cookie};

const COMMUNE: &str = "xa-binh-an";
const PAGES: &str = "https://binhan.tinh.gov.vn";

/// The commune, created by the province's admin, with 3 hits, a poll
/// and a ballot.
async fn a_counted_commune(app: &TestApp) {
    let body =
        json!({"id": COMMUNE, "name": "Xã Bình An", "parent": "so-y-te", "origins": [PAGES]});
    assert_eq!(create_site(app, ADMIN, body).await.status(), 201);
    for n in 0..3 {
        hit(app, COMMUNE, PAGES, &cookie(), &format!("/tin/{n}")).await;
    }
    assert_eq!(create(app, COMMUNE, ADMIN, "Hỏi").await.status(), 201);
    assert_eq!(ballot(app, COMMUNE, PAGES, "a").await.status(), 201);
    app.flushed().await;
}

/// What the commune shows, and how it is defined.
async fn commune_view(app: &TestApp) -> Value {
    let listed = admin_json(app, "/admin/sites").await;
    let def = listed["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == COMMUNE)
        .cloned()
        .unwrap_or(Value::Null);
    let mut shown = counter(app, COMMUNE, Some("/tin/1")).await;
    shown.as_object_mut().unwrap().remove("online");
    json!({
        "counter": shown,
        "results": read(app, COMMUNE, "/results").await,
        "defined": def["defined"],
        "parent": def["parent"],
        "name": def["name"],
        "origins": def["origins"],
    })
}

async fn a_created_sites_backup_restores_it_whole(backend: Backend) {
    let (_sites_dir, province) = sites_file(PROVINCE);
    let dir = TempDir::new().unwrap();
    let source = Home::open(backend).await;
    let app = start(&source, &province).await;
    a_counted_commune(&app).await;
    let before = commune_view(&app).await;
    assert_eq!(before["counter"]["total"], 3);
    assert_eq!(before["defined"], true);
    let out = dir.path().join("province.jsonl.gz");
    let env = [("TALLY_ADMIN_TOKEN", ADMIN.to_owned())];
    let args = ["backup", "--from", &app.ops, "--out", out.to_str().unwrap()];
    let done = tally(&args, &env).await;
    assert!(done.status.success(), "{}", text(&done.stderr));
    app.stop().await;
    drop(source);

    // The header carries its definition, beside the list of sites.
    let reader = tally::archive::restore::open(&out).unwrap();
    let defined = &reader.header().defined;
    assert_eq!(defined.len(), 1);
    assert_eq!(defined[0].id, COMMUNE);
    assert_eq!(defined[0].definition["parent"], "so-y-te");
    drop(reader);

    // Into an empty store of another kind: the definition, then its data.
    let target = Home::open(other_kind(backend)).await;
    let mut env = target.env();
    env.push(("TALLY_SITES_FILE", province.display().to_string()));
    let path = out.to_str().unwrap();
    let restored = tally(&["restore", "--file", path], &env).await;
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let checked = tally(&["check", "--file", path], &env).await;
    let said = text(&checked.stdout);
    assert!(
        checked.status.success() && said.starts_with("no difference"),
        "{said}{}",
        text(&checked.stderr)
    );
    let app = start(&target, &province).await;
    assert_eq!(commune_view(&app).await, before);
    assert_eq!(counter(&app, "so-y-te", None).await["total"], 3);
    app.stop().await;
}

async fn a_created_site_merges_into_another(backend: Backend) {
    let (_sites_dir, province) = sites_file(PROVINCE);
    let journals = TempDir::new().unwrap();
    let home = Home::open(backend).await;
    let app = start(&home, &province).await;
    a_counted_commune(&app).await;
    app.stop().await;

    // Into its sibling, a site of the file.
    let journal = journals.path().join("merge.json");
    let mut env = home.env();
    env.push(("TALLY_SITES_FILE", province.display().to_string()));
    let args = [
        "merge-site",
        "--from",
        COMMUNE,
        "--into",
        "xa-an-phu",
        "--journal",
        journal.to_str().unwrap(),
    ];
    let merged = tally(&args, &env).await;
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    let app = start(&home, &province).await;
    assert_eq!(counter(&app, "xa-an-phu", None).await["total"], 3);
    assert_eq!(counter(&app, "so-y-te", None).await["total"], 3);
    let results = read(&app, "xa-an-phu", "/results").await;
    assert_eq!(results["total_votes"], 1);
    // Then deleted: its own counts stay until the merge is confirmed.
    let path = format!("/admin/sites/{COMMUNE}");
    let deleted = admin(&app, Method::DELETE, &path, Some(ADMIN), None).await;
    assert_eq!(deleted.status(), 200);
    let again = json!({"id": COMMUNE, "name": "Xã", "parent": "so-y-te"});
    let refused = create_site(&app, ADMIN, again).await;
    assert_eq!(refused.status(), 409, "a merge of it stands");
    app.stop().await;
}

on_every_store!(
    a_created_sites_backup_restores_it_whole,
    a_created_site_merges_into_another,
);

/// A header written before exports carried definitions reads as one
/// without any, and an export without any is written as before.
#[test]
fn an_export_written_before_definitions_reads_without_them() {
    let line = r#"{"format":"tally-export","format_version":1,"tally_version":"0.1.0","store":"redis","cut":"2026-11-27T05:00:00Z","sites":[{"id":"tinh"}]}"#;
    let header: tally::archive::format::Header = serde_json::from_str(line).unwrap();
    assert!(header.defined.is_empty());
    let written = serde_json::to_string(&header).unwrap();
    assert!(!written.contains("defined"), "{written}");
}
