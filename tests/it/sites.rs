//! A province of sites on each store: the province portal, two departments
//! and a commune under one of them. Each site counts its own hits; a
//! parent's figures are its own plus its descendants', written when hits
//! are; a hit from another site's page, or naming no site or one that is
//! not, is answered and not counted; a store of a single-site deployment
//! keeps its counts when the sites file arrives.

use std::collections::{BTreeMap, BTreeSet};

use jiff::SignedDuration;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::console::{Console, unescape};
use crate::support::{BROWSER, Backend, Home, TestApp, cookie};

/// tinh → so-y-te → xa-an-phu, and tinh → so-gd (roles_sites.rs too).
pub const PROVINCE: &str = r#"
[[sites]]
id = "tinh"
name = "Cổng thông tin điện tử tỉnh"
origins = ["https://tinh.gov.vn"]

[[sites]]
id = "so-y-te"
name = "Sở Y tế"
parent = "tinh"
origins = ["https://soyte.tinh.gov.vn"]

[[sites]]
id = "so-gd"
name = "Sở Giáo dục và Đào tạo"
parent = "tinh"
origins = ["https://sogd.tinh.gov.vn"]

[[sites]]
id = "xa-an-phu"
name = "Xã An Phú"
parent = "so-y-te"
origins = ["https://anphu.tinh.gov.vn"]
"#;

const SITES: [&str; 4] = ["tinh", "so-y-te", "so-gd", "xa-an-phu"];

/// The province without `site`'s table.
pub fn province_without(site: &str) -> String {
    PROVINCE
        .split("[[sites]]")
        .filter(|table| !table.contains(&format!("id = \"{site}\"")))
        .collect::<Vec<_>>()
        .join("[[sites]]")
}

/// Each site and the sites whose figures include it (itself first).
fn chain(site: &str) -> &'static [&'static str] {
    match site {
        "tinh" => &["tinh"],
        "so-y-te" => &["so-y-te", "tinh"],
        "so-gd" => &["so-gd", "tinh"],
        "xa-an-phu" => &["xa-an-phu", "so-y-te", "tinh"],
        other => panic!("not a site of the province: {other}"),
    }
}

pub fn origin(site: &str) -> &'static str {
    match site {
        "tinh" => "https://tinh.gov.vn",
        "so-y-te" => "https://soyte.tinh.gov.vn",
        "so-gd" => "https://sogd.tinh.gov.vn",
        "xa-an-phu" => "https://anphu.tinh.gov.vn",
        other => panic!("not a site of the province: {other}"),
    }
}

/// The sites file, written beside the test.
pub fn sites_file(text: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("sites.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

async fn start(home: &Home, file: &std::path::Path) -> TestApp {
    let file = file.to_path_buf();
    TestApp::start(home, move |s| s.sites_file = Some(file)).await
}

/// `POST /v1/hits?site=` from `from`'s page, as the widget sends it.
pub(crate) async fn hit(
    app: &TestApp,
    site: &str,
    from: &str,
    visitor: &str,
    page: &str,
) -> reqwest::Response {
    app.http
        .post(app.url("/v1/hits"))
        .query(&[("site", site)])
        .header("user-agent", BROWSER)
        .header("origin", from)
        .header("content-type", "text/plain;charset=UTF-8")
        .header("cookie", format!("tally_vid={visitor}"))
        .body(serde_json::json!({ "page": page }).to_string())
        .send()
        .await
        .expect("hit answered")
}

/// `GET /v1/counter?site=` (with `page`), asserting 200.
pub(crate) async fn counter(app: &TestApp, site: &str, page: Option<&str>) -> Value {
    let mut query = vec![("site", site)];
    query.extend(page.map(|p| ("page", p)));
    let response = app
        .http
        .get(app.url("/v1/counter"))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "counter of {site}");
    response.json().await.unwrap()
}

/// A small deterministic generator: the seed is printed, so a failure can
/// be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// What the traffic should have counted, site by site: visits and page
/// views of the site's own pages (every hit here lands within one visit
/// window of its visitor's previous one on that site, or after a gap of
/// more than one, as the rounds say).
#[derive(Default)]
struct Model {
    own_visits: BTreeMap<&'static str, u64>,
    /// (site, visitor, page) viewed in the current round.
    viewed: BTreeSet<(&'static str, usize, usize)>,
    /// (site, visitor) seen in the current round.
    visiting: BTreeSet<(&'static str, usize)>,
    own_views: BTreeMap<(&'static str, usize), u64>,
    /// Visitors on each site in the last round: online now.
    online: BTreeMap<&'static str, u64>,
}

impl Model {
    fn new_round(&mut self) {
        self.viewed.clear();
        self.visiting.clear();
        self.online.clear();
    }

    fn hit(&mut self, site: &'static str, visitor: usize, page: usize) {
        if self.visiting.insert((site, visitor)) {
            *self.own_visits.entry(site).or_default() += 1;
            *self.online.entry(site).or_default() += 1;
        }
        if self.viewed.insert((site, visitor, page)) {
            *self.own_views.entry((site, page)).or_default() += 1;
        }
    }

    /// A site's figure: its own and every descendant's.
    fn rolled(of: &BTreeMap<&'static str, u64>, site: &str) -> u64 {
        of.iter()
            .filter(|(s, _)| chain(s).contains(&site))
            .map(|(_, n)| n)
            .sum()
    }
}

async fn a_parents_figures_are_its_own_and_its_descendants(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("traffic seed {seed}");
    let mut rng = Rng(seed);
    let visitors: Vec<String> = (0..12).map(|_| cookie()).collect();
    let mut model = Model::default();
    for round in 0..3 {
        if round > 0 {
            // Past the visit window: everyone's next hit is a new visit.
            app.clock.advance(SignedDuration::from_mins(31));
            model.new_round();
        }
        for _ in 0..60 {
            let site = SITES[rng.below(SITES.len())];
            let (visitor, page) = (rng.below(visitors.len()), rng.below(4));
            let response = hit(
                &app,
                site,
                origin(site),
                &visitors[visitor],
                &format!("/tin/{page}"),
            )
            .await;
            assert_eq!(response.status(), 200);
            model.hit(site, visitor, page);
        }
    }
    app.flushed().await;
    for site in SITES {
        let body = counter(&app, site, None).await;
        let visits = Model::rolled(&model.own_visits, site);
        assert_eq!(body["total"], visits, "{site} total, seed {seed}: {body}");
        for field in ["today", "this_week", "this_month"] {
            assert_eq!(body[field], visits, "{site} {field}, seed {seed}: {body}");
        }
        let online = Model::rolled(&model.online, site);
        assert_eq!(body["online"], online, "{site} online, seed {seed}: {body}");
        // A page's views are the site's own: its descendants' pages of the
        // same path are theirs.
        for page in 0..4 {
            let body = counter(&app, site, Some(&format!("/tin/{page}"))).await;
            let own = model.own_views.get(&(site, page)).copied().unwrap_or(0);
            assert_eq!(
                body["page"]["views"], own,
                "{site} /tin/{page}, seed {seed}"
            );
        }
    }
    app.stop().await;
    // The same figures after a restart: they were written, not kept in
    // memory.
    let app = start(&home, &file).await;
    for site in SITES {
        let visits = Model::rolled(&model.own_visits, site);
        assert_eq!(
            counter(&app, site, None).await["total"],
            visits,
            "{site} after a restart"
        );
    }
    app.stop().await;
}

async fn a_hit_counts_only_from_its_own_sites_pages(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = start(&home, &file).await;
    let outcome = |name: &'static str| {
        let app = &app;
        async move {
            let metrics = app.metrics().await;
            metrics
                .lines()
                .find(|l| l.starts_with(&format!("tally_hits_total{{outcome=\"{name}\"}}")))
                .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .unwrap_or(0.0)
        }
    };
    // Counted: its own page.
    let own = hit(&app, "so-y-te", origin("so-y-te"), &cookie(), "/a").await;
    assert_eq!(own.status(), 200);
    // Answered, not counted: another department's page, its parent's page,
    // its child's page; and the province named from a department's page.
    for (site, from) in [
        ("so-y-te", origin("so-gd")),
        ("so-y-te", origin("tinh")),
        ("so-y-te", origin("xa-an-phu")),
        ("tinh", origin("so-y-te")),
    ] {
        let response = hit(&app, site, from, &cookie(), "/a").await;
        assert_eq!(response.status(), 200, "{site} from {from}");
        let body: Value = response.json().await.unwrap();
        // The named site's counter, with the one hit counted above.
        assert_eq!(body["total"], 1, "{site} from {from}: {body}");
    }
    assert_eq!(outcome("foreign_origin").await, 4.0);
    // Refused with a code: no site, a site that is not one.
    let none = app
        .http
        .post(app.url("/v1/hits"))
        .header("user-agent", BROWSER)
        .header("origin", origin("tinh"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 400);
    assert_eq!(
        none.json::<Value>().await.unwrap()["error"]["code"],
        "site_required"
    );
    let unknown = hit(&app, "so-tai-chinh", origin("tinh"), &cookie(), "/a").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "site_not_found"
    );
    assert_eq!(outcome("no_site").await, 1.0);
    assert_eq!(outcome("unknown_site").await, 1.0);
    // The pixel of a page that names no site is still an image.
    let pixel = app
        .http
        .get(app.url("/v1/pixel.gif"))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(pixel.status(), 200);
    assert_eq!(pixel.headers()["content-type"], "image/gif");
    assert_eq!(outcome("no_site").await, 2.0);
    // Reads: the same codes.
    let read = app.http.get(app.url("/v1/counter")).send().await.unwrap();
    assert_eq!(read.status(), 400);
    let read = app
        .http
        .get(app.url("/v1/counter.svg?site=khong-co"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 404);
    app.flushed().await;
    for (site, total) in [("so-y-te", 1), ("tinh", 1), ("so-gd", 0), ("xa-an-phu", 0)] {
        assert_eq!(counter(&app, site, None).await["total"], total, "{site}");
    }
    app.stop().await;
}

/// A deployment without sites counts as `default`; given a sites file in
/// which `default` is the province's portal, it keeps every count and the
/// new sites add to it.
async fn a_single_site_store_keeps_its_counts_under_sites(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| s.counter_baseline = Some(1_000)).await;
    let visitor = cookie();
    app.hit_json(Some(&visitor), Some("/tin/1")).await;
    app.hit_json(Some(&cookie()), Some("/tin/1")).await;
    app.stop().await;

    let file = PROVINCE
        .replacen("id = \"tinh\"", "id = \"default\"", 1)
        .replace("parent = \"tinh\"", "parent = \"default\"");
    let (_dir, path) = sites_file(&file);
    let app = start(&home, &path).await;
    let before = counter(&app, "default", Some("/tin/1")).await;
    assert_eq!(
        (before["total"].as_u64(), before["page"]["views"].as_u64()),
        (Some(1_002), Some(2))
    );
    // The same visitor, within its visit: the same visit still.
    let again = hit(&app, "default", origin("tinh"), &visitor, "/tin/1").await;
    assert_eq!(again.status(), 200);
    hit(&app, "so-gd", origin("so-gd"), &cookie(), "/tin/1").await;
    app.flushed().await;
    let after = counter(&app, "default", Some("/tin/1")).await;
    assert_eq!(
        (after["total"].as_u64(), after["page"]["views"].as_u64()),
        (Some(1_003), Some(2))
    );
    assert_eq!(counter(&app, "so-gd", None).await["total"], 1);
    app.stop().await;
}

const TOKEN: &str = "test-admin-token-0123456789abcdef";

/// `GET` on the admin API with the admin token, asserting 200.
async fn admin(app: &TestApp, path: &str) -> reqwest::Response {
    let response = app
        .http
        .get(format!("{}{path}", app.ops))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response
}

/// Visits on two days, then the ministry's export: each site's figure as
/// its counter shows it, and its own (its figure less its children's), as
/// JSON and in the spreadsheet an office opens.
async fn the_export_gives_each_sites_visits_per_day(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, file) = sites_file(PROVINCE);
    let app = TestApp::start(&home, {
        let file = file.clone();
        move |s| {
            s.sites_file = Some(file);
            s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
            s.public_url = Some("https://tally.tinh.gov.vn".into());
        }
    })
    .await;
    // 2026-11-27: so-y-te 1, xa-an-phu 2; 2026-11-28: tinh 1, so-gd 1,
    // xa-an-phu 1.
    for site in ["so-y-te", "xa-an-phu", "xa-an-phu"] {
        hit(&app, site, origin(site), &cookie(), "/a").await;
    }
    app.clock.advance(SignedDuration::from_hours(24));
    for site in ["tinh", "so-gd", "xa-an-phu"] {
        hit(&app, site, origin(site), &cookie(), "/a").await;
    }
    app.flushed().await;
    let listed: Value = admin(&app, "/admin/sites").await.json().await.unwrap();
    assert_eq!(listed["configured"], true);
    let ids: Vec<&str> = listed["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["so-gd", "so-y-te", "tinh", "xa-an-phu"]);
    assert_eq!(listed["sites"][3]["parent"], "so-y-te");

    let span = "from=2026-11-26&to=2026-11-28";
    let body: Value = admin(&app, &format!("/admin/sites/days?{span}"))
        .await
        .json()
        .await
        .unwrap();
    let site = |id: &str| {
        body["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()
            .clone()
    };
    let days = |id: &str, field: &str| -> Vec<u64> {
        site(id)["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d[field].as_u64().unwrap())
            .collect()
    };
    assert_eq!(days("tinh", "visits"), [0, 3, 3]);
    assert_eq!(days("tinh", "own"), [0, 0, 1]);
    assert_eq!(days("so-y-te", "visits"), [0, 3, 1]);
    assert_eq!(days("so-y-te", "own"), [0, 1, 0]);
    assert_eq!(days("xa-an-phu", "own"), [0, 2, 1]);
    assert_eq!(days("so-gd", "visits"), [0, 0, 1]);
    assert_eq!(
        (
            site("tinh")["total"].as_u64(),
            site("tinh")["own_total"].as_u64()
        ),
        (Some(6), Some(1))
    );
    // Each site's today is what its counter says.
    for id in SITES {
        assert_eq!(
            days(id, "visits")[2],
            counter(&app, id, None).await["today"],
            "{id}"
        );
    }

    let bytes = admin(&app, &format!("/admin/sites/days?{span}&format=xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = calamine::Reader::worksheet_range_at(&mut book, 0)
        .unwrap()
        .unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect();
    let header = rows
        .iter()
        .position(|r| r[0] == "Mã trang")
        .expect("a header row");
    assert_eq!(
        rows[header][3..],
        [
            "Ngày",
            "Lượt truy cập (cả các trang trực thuộc)",
            "Lượt truy cập của riêng trang"
        ]
    );
    let table = &rows[header + 1..];
    assert_eq!(table.len(), 4 * 3, "one row per site and day");
    let tinh_28 = table.iter().rev().find(|r| r[0] == "tinh").unwrap();
    assert_eq!(
        (
            tinh_28[1].as_str(),
            tinh_28[4].as_str(),
            tinh_28[5].as_str()
        ),
        ("Cổng thông tin điện tử tỉnh", "3", "1")
    );
    // The console: every site under its parent, its figures, its embed
    // code; the same export, downloaded.
    let console = Console::signed_in(&app, TOKEN).await;
    let (status, page) = console.page("/admin/console/sites").await;
    assert_eq!(status, 200);
    let page = unescape(&page);
    let order: Vec<usize> = [
        "Cổng thông tin điện tử tỉnh",
        "— Sở Giáo dục",
        "— Sở Y tế",
        "— — Xã An Phú",
    ]
    .iter()
    .map(|name| {
        page.find(name)
            .unwrap_or_else(|| panic!("{name} on the page"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "each site below its parent: {order:?}"
    );
    for id in SITES {
        assert!(
            page.contains(&format!("data-site=\"{id}\"")),
            "the embed code of {id}"
        );
    }
    let sheet = console.get("/admin/console/sites/days.xlsx").await;
    assert_eq!(sheet.status(), 200);
    assert!(sheet.bytes().await.unwrap().starts_with(b"PK"), "an .xlsx");
    // More than a spreadsheet of a year is refused, with a code.
    let long = app
        .http
        .get(format!(
            "{}/admin/sites/days?from=2024-01-01&to=2026-11-28",
            app.ops
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), 400);
    app.stop().await;
}

on_every_store!(
    a_parents_figures_are_its_own_and_its_descendants,
    a_hit_counts_only_from_its_own_sites_pages,
    a_single_site_store_keeps_its_counts_under_sites,
    the_export_gives_each_sites_visits_per_day,
);

/// The province's example sites file, which the Kubernetes component
/// mounts, is one tally starts with.
#[test]
fn the_kubernetes_province_example_is_a_sites_file() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("k8s/components/province/sites.toml");
    let defaults = tally::sites::SitesFileDefaults {
        lang: tally::lang::Lang::Vi,
        timezone: jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap(),
    };
    let sites = tally::sites::read_sites_file(&path, &defaults).unwrap();
    assert_eq!(
        sites.primary().id.as_str(),
        "default",
        "the portal keeps the figures it had"
    );
    assert_eq!(sites.len(), 4);
}

/// A site with a ceiling of its own (`rate_limit`): a flood of its pages is
/// refused at its ceiling, before it takes the replica's, so the other
/// sites keep theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sites_flood_leaves_the_others_their_share() {
    let home = Home::open(Backend::Embedded).await;
    let file = PROVINCE.replacen(
        "origins = [\"https://sogd.tinh.gov.vn\"]",
        "origins = [\"https://sogd.tinh.gov.vn\"]\nrate_limit = \"1,5\"",
        1,
    );
    let (_dir, path) = sites_file(&file);
    let app = TestApp::start(&home, move |s| {
        s.sites_file = Some(path);
        // The replica's ceiling: ten requests, then one a second.
        s.global_rate_limit = tally::config::Rate {
            per_second: 1,
            burst: 10,
        };
    })
    .await;
    let mut flood = Vec::new();
    for _ in 0..30 {
        flood.push(
            hit(&app, "so-gd", origin("so-gd"), &cookie(), "/a")
                .await
                .status()
                .as_u16(),
        );
    }
    let passed = flood.iter().filter(|s| **s == 200).count();
    assert!(
        (5..=6).contains(&passed),
        "so-gd's burst of 5 passed, the rest refused: {flood:?}"
    );
    assert!(flood.iter().all(|s| *s == 200 || *s == 429), "{flood:?}");
    // The other sites still have what the flood left of the replica's
    // ceiling: the ten less so-gd's five.
    for site in ["so-y-te", "tinh", "xa-an-phu", "so-y-te"] {
        let response = hit(&app, site, origin(site), &cookie(), "/a").await;
        assert_eq!(response.status(), 200, "{site} during so-gd's flood");
    }
    app.stop().await;
}
