//! A province's backup carries every site: its header lists them all, a
//! restore into an empty store of another kind brings back each site's
//! counters, polls and history, and a file holding a site the restoring
//! tally does not serve is refused before anything is written, and a site
//! a restore left half written is named wherever it is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};
use tally::archive::format::{Header, Writer};
use tally::clock::ManualClock;
use tally::config::Settings;
use tally::store::piece::Piece;
use tempfile::TempDir;

use crate::archive::{tally, text};
use crate::polls::admin;
use crate::polls_sites::{ADMIN, POLL, ballot, create, read, start};
use crate::sites::{PROVINCE, counter, hit, origin, province_without, sites_file};
use crate::support::{Backend, Home, TestApp, cookie, noon};

/// The province's sites, in id order, as an export's header lists them.
const IN_ID_ORDER: [&str; 4] = ["so-gd", "so-y-te", "tinh", "xa-an-phu"];

/// The sites that get a poll: two below the primary (`tinh`), and it.
const POLLED: [&str; 3] = ["so-y-te", "xa-an-phu", "tinh"];

/// The store a backup of `from`'s is restored into: another kind.
pub(crate) fn other_kind(from: Backend) -> Backend {
    match from {
        Backend::Embedded => Backend::Redis,
        Backend::Redis => Backend::Cluster,
        Backend::Cluster => Backend::Embedded,
    }
}

/// Hits on every site and ballots on the polled ones.
async fn traffic(app: &TestApp) {
    for (n, site) in IN_ID_ORDER.iter().enumerate() {
        for visitor in 0..=n {
            let page = format!("/tin-tuc/{visitor}");
            let answered = hit(app, site, origin(site), &cookie(), &page).await;
            assert!(answered.status().is_success(), "hit on {site}");
        }
    }
    for (n, site) in POLLED.iter().enumerate() {
        let question = format!("{site} hỏi");
        assert_eq!(create(app, site, ADMIN, &question).await.status(), 201);
        for option in ["a", "b", "a"].iter().take(n + 1) {
            let cast = ballot(app, site, origin(site), option).await;
            assert_eq!(cast.status(), 201, "ballot on {site}");
        }
    }
    app.flushed().await;
}

/// `GET` an admin path with the admin token, as JSON.
pub(crate) async fn admin_json(app: &TestApp, path: &str) -> Value {
    let answered = admin(app, Method::GET, path, Some(ADMIN), None).await;
    assert_eq!(answered.status(), 200, "{path}");
    answered.json().await.unwrap()
}

/// What every site shows: its counter (without who is online now) and a
/// page's, its poll's results and ballots per day, and the province's
/// visits per day.
async fn province_view(app: &TestApp) -> Value {
    let mut sites = serde_json::Map::new();
    for site in IN_ID_ORDER {
        let mut counters = Vec::new();
        for page in [None, Some("/tin-tuc/0")] {
            let mut shown = counter(app, site, page).await;
            shown.as_object_mut().unwrap().remove("online");
            counters.push(shown);
        }
        let mut view = json!({ "counter": counters });
        if POLLED.contains(&site) {
            view["results"] = read(app, site, "/results").await;
            let path = format!("/admin/polls/{POLL}/ballots-per-day?site={site}");
            view["ballots_per_day"] = admin_json(app, &path).await;
        }
        sites.insert(site.into(), view);
    }
    let days = admin_json(app, "/admin/sites/days?from=2026-11-20&to=2026-11-30").await;
    json!({ "sites": sites, "days": days })
}

/// `tally backup` of `app` into `dir`, with the admin token.
async fn backup(app: &TestApp, dir: &Path, name: &str) -> std::path::PathBuf {
    let out = dir.join(name);
    let env = [("TALLY_ADMIN_TOKEN", ADMIN.to_owned())];
    let args = ["backup", "--from", &app.ops, "--out", out.to_str().unwrap()];
    let done = tally(&args, &env).await;
    assert!(done.status.success(), "{}", text(&done.stderr));
    out
}

/// `env`, pointing at the sites file `sites`.
fn with_sites(env: &[(&'static str, String)], sites: &Path) -> Vec<(&'static str, String)> {
    let mut env = env.to_vec();
    env.push(("TALLY_SITES_FILE", sites.display().to_string()));
    env
}

async fn a_provinces_backup_restores_every_site(backend: Backend) {
    let (_sites_dir, province) = sites_file(PROVINCE);
    let (_narrow_dir, narrow) = sites_file(&province_without("so-gd"));
    let dir = TempDir::new().unwrap();
    let source = Home::open(backend).await;
    let app = start(&source, &province).await;
    traffic(&app).await;
    let before = province_view(&app).await;
    let file = backup(&app, dir.path(), "province.jsonl.gz").await;
    app.stop().await;
    // The cluster is one per run: the source's turn ends first.
    drop(source);

    // The header lists every site in id order; their pieces follow, one
    // site after another, each polled site's voters among them.
    let mut reader = tally::archive::restore::open(&file).unwrap();
    let listed: Vec<String> = reader.header().sites.iter().map(|s| s.id.clone()).collect();
    assert_eq!(listed, IN_ID_ORDER);
    let (mut order, mut voters) = (Vec::new(), BTreeMap::new());
    for piece in &mut reader {
        let piece = piece.unwrap();
        let site = piece.site().to_owned();
        if order.last() != Some(&site) {
            order.push(site.clone());
        }
        if let Piece::Voter { .. } = piece {
            *voters.entry(site).or_insert(0) += 1;
        }
    }
    assert_eq!(order, IN_ID_ORDER);
    let cast = BTreeMap::from([
        ("so-y-te".into(), 1),
        ("tinh".into(), 3),
        ("xa-an-phu".into(), 2),
    ]);
    assert_eq!(voters, cast);

    let target = Home::open(other_kind(backend)).await;
    let path = file.to_str().unwrap();
    // A tally that does not serve so-gd refuses the file, writing nothing:
    // the restore after it finds the store empty.
    let refused = tally(
        &["restore", "--file", path],
        &with_sites(&target.env(), &narrow),
    )
    .await;
    assert!(!refused.status.success());
    let why = text(&refused.stderr);
    assert!(
        why.contains("\"so-gd\"")
            && why.contains("TALLY_SITES_FILE")
            && why.trim().lines().count() == 1,
        "{why}"
    );
    let env = with_sites(&target.env(), &province);
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
    assert_eq!(province_view(&app).await, before);
    // One more hit on the commune: two exports of the province differ in
    // it and in each site that includes it, and nowhere else.
    let answered = hit(&app, "xa-an-phu", origin("xa-an-phu"), &cookie(), "/moi").await;
    assert!(answered.status().is_success());
    app.flushed().await;
    let later = backup(&app, dir.path(), "later.jsonl.gz").await;
    app.stop().await;
    let compared = tally(
        &[
            "check",
            "--file",
            path,
            "--against",
            later.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(
        compared.status.code(),
        Some(1),
        "{}",
        text(&compared.stderr)
    );
    let differences = text(&compared.stdout);
    let differing: BTreeSet<&str> = differences
        .lines()
        .filter_map(|line| line.split(' ').next())
        .collect();
    let chain = ["so-y-te", "tinh", "xa-an-phu"].into_iter().collect();
    assert_eq!(differing, chain, "{differences}");
    assert!(
        differences.contains("xa-an-phu page /moi: none in"),
        "{differences}"
    );
}

/// A second root beside the province, after it in id order: `tinh`
/// stays the primary site.
const TWO_ROOTS: &str = r#"
[[sites]]
id = "vinh"
name = "Thành phố Vinh"
origins = ["https://vinh.gov.vn"]
"#;

const TINH_ADMIN: &str = "0c9f4e2a7b1d8536f0e3a9c7d2b4f618";

/// The backup carries every site: an admin whose grant is the primary
/// site's tree (which reaches the primary site's other routes) does not
/// reach another root's, and is refused.
async fn a_backup_needs_a_grant_on_every_site(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(&format!("{PROVINCE}{TWO_ROOTS}"));
    let tokens = format!("ha:{ADMIN},tinh=admin@tinh:{TINH_ADMIN}");
    let app = TestApp::start(&home, move |s| {
        s.sites_file = Some(file);
        s.admin_tokens = tally::config::named_tokens(&tokens).unwrap();
    })
    .await;
    let history = "/admin/history/days?from=2026-11-27&to=2026-11-27";
    let allowed = admin(&app, Method::GET, history, Some(TINH_ADMIN), None).await;
    assert_eq!(allowed.status(), 200);
    let refused = admin(&app, Method::GET, "/admin/backup", Some(TINH_ADMIN), None).await;
    assert_eq!(refused.status(), 403);
    let served = admin(&app, Method::GET, "/admin/backup", Some(ADMIN), None).await;
    assert_eq!(served.status(), 200);
    served.bytes().await.unwrap();
    app.stop().await;
}

/// A restore that died half-way left its mark on a site of the province:
/// `tally check`, `tally restore` and `tally serve` each refuse, naming it.
async fn a_site_left_half_restored_is_named(backend: Backend) {
    let (_sites_dir, province) = sites_file(PROVINCE);
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("province.jsonl.gz");
    let header = Header::new("redis", noon(), &IN_ID_ORDER);
    let mut writer = Writer::new(std::fs::File::create(&file).unwrap(), &header).unwrap();
    for site in IN_ID_ORDER {
        let counted = Piece::Counters {
            site: site.into(),
            baseline: 0,
            visits: 1,
        };
        writer.piece(&counted).unwrap();
    }
    writer.finish().unwrap();
    let home = Home::open(backend).await;
    let store = home.open_store().await;
    let so_gd = tally::ids::SiteId::parse("so-gd").unwrap();
    let cut = noon().as_millisecond();
    store.mark_restore(&so_gd, Some(cut)).await.unwrap();
    store.sync().await.unwrap();
    drop(store);

    let path = file.to_str().unwrap();
    let env = with_sites(&home.env(), &province);
    for args in [["check", "--file", path], ["restore", "--file", path]] {
        let refused = tally(&args, &env).await;
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        let line = text(&refused.stderr);
        assert!(
            line.contains("incomplete restore of site so-gd") && line.lines().count() == 1,
            "{line}"
        );
    }
    let scratch = TempDir::new().unwrap();
    let mut settings = Settings::for_tests(scratch.path());
    settings.store = home.store_settings();
    settings.sites_file = Some(province.clone());
    let clock = Arc::new(ManualClock::new(noon()));
    let refused = tally::app::start(settings, clock).await;
    let why = format!("{:#}", refused.err().expect("serve refused"));
    assert!(why.contains("incomplete restore of site so-gd"), "{why}");
}

on_every_store!(
    a_provinces_backup_restores_every_site,
    a_backup_needs_a_grant_on_every_site,
    a_site_left_half_restored_is_named,
);
