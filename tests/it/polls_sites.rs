//! Polls per site, on each store: one poll id on two sites is two polls,
//! with their own definitions and ballots; a ballot counts only under the
//! site it names and only from that site's pages (from another page it is
//! refused `403 foreign_origin` and counted nowhere); an editor on a
//! department edits that department's polls and its communes', and is
//! refused the province's with nothing written. Without a sites file the
//! routes that name no site are polls.rs's, unchanged.

use reqwest::Method;
use serde_json::{Value, json};
use tally::challenge::Challenge;

use crate::archive_sites::admin_json;
use crate::polls::{admin, error_code, votes_of};
use crate::retention::{days, sweep};
use crate::sites::{PROVINCE, origin, sites_file};
use crate::support::{BROWSER, Backend, Home, TestApp, cookie, set_cookie};

pub(crate) const ADMIN: &str = "5b8e2d7f1a4c9036e2b7d1a8f4c6e930";
pub(crate) const DEPARTMENT_EDITOR: &str = "e1a7c4f92b5d8036a9e2c7b4d1f86053";
pub(crate) const POLL: &str = "khao-sat";

pub(crate) async fn start(home: &Home, province: &std::path::Path) -> TestApp {
    let path = province.to_path_buf();
    let tokens = format!("ha:{ADMIN},yte=editor@so-y-te:{DEPARTMENT_EDITOR}");
    TestApp::start(home, move |s| {
        s.sites_file = Some(path);
        s.admin_tokens = tally::config::named_tokens(&tokens).unwrap();
        s.voter_days = 30;
    })
    .await
}

/// A poll of two options, `a` and `b`, asking `question`.
fn poll(question: &str) -> Value {
    json!({
        "id": POLL,
        "question": question,
        "options": [{ "id": "a", "label": "A" }, { "id": "b", "label": "B" }],
    })
}

/// `POST /admin/polls?site=` with `token`.
pub(crate) async fn create(
    app: &TestApp,
    site: &str,
    token: &str,
    question: &str,
) -> reqwest::Response {
    let path = format!("/admin/polls?site={site}");
    admin(app, Method::POST, &path, Some(token), Some(poll(question))).await
}

/// A ballot for `option` naming `site`, from `from`'s page, as the widget
/// sends it.
pub(crate) async fn ballot(
    app: &TestApp,
    site: &str,
    from: &str,
    option: &str,
) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/v1/polls/{POLL}/votes")))
        .query(&[("site", site)])
        .header("user-agent", BROWSER)
        .header("origin", from)
        .header("content-type", "text/plain;charset=UTF-8")
        .header("cookie", format!("tally_vid={}", cookie()))
        .body(json!({ "options": [option] }).to_string())
        .send()
        .await
        .expect("ballot answered")
}

/// `GET /v1/polls/{POLL}{rest}?site=`, asserting 200.
pub(crate) async fn read(app: &TestApp, site: &str, rest: &str) -> Value {
    let response = app
        .http
        .get(app.url(&format!("/v1/polls/{POLL}{rest}")))
        .query(&[("site", site)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{rest} of {site}");
    response.json().await.unwrap()
}

async fn the_same_poll_id_on_two_sites_is_two_polls(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    assert_eq!(create(&app, "tinh", ADMIN, "Tỉnh hỏi").await.status(), 201);
    assert_eq!(
        create(&app, "so-y-te", ADMIN, "Sở Y tế hỏi").await.status(),
        201
    );
    assert_eq!(read(&app, "tinh", "").await["question"], "Tỉnh hỏi");
    assert_eq!(read(&app, "so-y-te", "").await["question"], "Sở Y tế hỏi");

    // Each site's ballots are its own.
    let accepted = ballot(&app, "so-y-te", origin("so-y-te"), "a").await;
    assert_eq!(accepted.status(), 201);
    assert_eq!(
        ballot(&app, "tinh", origin("tinh"), "b").await.status(),
        201
    );
    let ours = read(&app, "so-y-te", "/results").await;
    let theirs = read(&app, "tinh", "/results").await;
    assert_eq!((votes_of(&ours, "a"), votes_of(&ours, "b")), (1, 0));
    assert_eq!((votes_of(&theirs, "a"), votes_of(&theirs, "b")), (0, 1));

    // A ballot naming a site from another site's page, even its parent's
    // or its child's, is refused and counted nowhere.
    for from in ["tinh", "xa-an-phu", "so-gd"] {
        let refused = ballot(&app, "so-y-te", origin(from), "b").await;
        assert_eq!(
            error_code(refused).await,
            (403, "foreign_origin".into()),
            "from {from}"
        );
    }
    let ours = read(&app, "so-y-te", "/results").await;
    let theirs = read(&app, "tinh", "/results").await;
    assert_eq!((votes_of(&ours, "a"), votes_of(&ours, "b")), (1, 0));
    assert_eq!((votes_of(&theirs, "a"), votes_of(&theirs, "b")), (0, 1));

    // A site that has no such poll has none; naming no site, or one that
    // is not, is refused as the counter's routes refuse it.
    let gd = app
        .http
        .get(app.url(&format!("/v1/polls/{POLL}?site=so-gd")));
    let gd = gd.send().await.unwrap();
    assert_eq!(error_code(gd).await, (404, "poll_not_found".into()));
    let unnamed = ballot(&app, "", origin("tinh"), "a").await;
    assert_eq!(error_code(unnamed).await.0, 404);
    let no_site = app.http.get(app.url(&format!("/v1/polls/{POLL}")));
    let no_site = no_site.send().await.unwrap();
    assert_eq!(error_code(no_site).await, (400, "site_required".into()));
    let unknown = app
        .http
        .get(app.url(&format!("/v1/polls/{POLL}/results?site=huyen")));
    let unknown = unknown.send().await.unwrap();
    assert_eq!(error_code(unknown).await, (404, "site_not_found".into()));

    // The admin API reads each site's own.
    let path = format!("/admin/polls/{POLL}?site=so-y-te");
    let got = admin(&app, Method::GET, &path, Some(ADMIN), None).await;
    let got: Value = got.json().await.unwrap();
    assert_eq!(got["poll"]["question"], "Sở Y tế hỏi");
    // Each site's ballots per day are its own ballots.
    for (site, expected) in [("so-y-te", [1, 0]), ("tinh", [0, 1])] {
        let path = format!("/admin/polls/{POLL}/ballots-per-day?site={site}");
        let got = admin(&app, Method::GET, &path, Some(ADMIN), None).await;
        let got: Value = got.json().await.unwrap();
        let mut votes = [0, 0];
        for day in got["days"].as_array().unwrap() {
            for (i, n) in day["votes"].as_array().unwrap().iter().enumerate() {
                votes[i] += n.as_u64().unwrap();
            }
        }
        assert_eq!(votes, expected, "{site}: {got}");
    }
    app.stop().await;
}

async fn a_department_editor_edits_its_own_sites_polls_only(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    let editor = DEPARTMENT_EDITOR;
    // Its site and the commune below it.
    assert_eq!(
        create(&app, "so-y-te", editor, "Sở hỏi").await.status(),
        201
    );
    assert_eq!(
        create(&app, "xa-an-phu", editor, "Xã hỏi").await.status(),
        201
    );
    let path = format!("/admin/polls/{POLL}/close?site=so-y-te");
    let closed = admin(&app, Method::POST, &path, Some(editor), None).await;
    assert_eq!(closed.status(), 200);

    // The province's: refused, before anything is written.
    for site in ["tinh", "so-gd"] {
        let refused = create(&app, site, editor, "Không được").await;
        assert_eq!(error_code(refused).await, (403, "forbidden_role".into()));
    }
    let unnamed = admin(
        &app,
        Method::POST,
        "/admin/polls",
        Some(editor),
        Some(poll("?")),
    )
    .await;
    assert_eq!(error_code(unnamed).await, (403, "forbidden_role".into()));
    for site in ["tinh", "so-gd"] {
        let path = format!("/admin/polls/{POLL}?site={site}");
        let none = admin(&app, Method::GET, &path, Some(ADMIN), None).await;
        assert_eq!(error_code(none).await, (404, "poll_not_found".into()));
    }
    assert_eq!(create(&app, "tinh", ADMIN, "Tỉnh hỏi").await.status(), 201);
    let path = format!("/admin/polls/{POLL}/close?site=tinh");
    let refused = admin(&app, Method::POST, &path, Some(editor), None).await;
    assert_eq!(error_code(refused).await, (403, "forbidden_role".into()));
    assert_eq!(read(&app, "tinh", "").await["status"], "open");
    let unknown = create(&app, "huyen", ADMIN, "?").await;
    assert_eq!(error_code(unknown).await, (404, "site_not_found".into()));

    // Each site's audit log holds its own changes, and no other site's.
    let entry = |who: &str, action: &str| format!(r#""{who}" "{action}" "{POLL}""#);
    assert_eq!(
        audit_lines(&app, "so-y-te").await,
        [entry("yte", "close_poll"), entry("yte", "create_poll")]
    );
    assert_eq!(
        audit_lines(&app, "xa-an-phu").await,
        [entry("yte", "create_poll")]
    );
    assert_eq!(
        audit_lines(&app, "tinh").await,
        [entry("ha", "create_poll")]
    );
    assert!(audit_lines(&app, "so-gd").await.is_empty());
    app.stop().await;
}

/// The HTML pages of a site's poll keep the site in every link, and its
/// form counts a ballot only from the site's own pages.
async fn a_sites_poll_pages_keep_its_site(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    assert_eq!(
        create(&app, "so-y-te", ADMIN, "Sở Y tế hỏi").await.status(),
        201
    );
    let page = app
        .http
        .get(app.url(&format!("/polls/{POLL}?site=so-y-te")));
    let page = page.header("user-agent", BROWSER).send().await.unwrap();
    let visitor = set_cookie(&page).expect("the form page issues the visitor cookie");
    let page = page.text().await.unwrap();
    assert!(page.contains("Sở Y tế hỏi"), "{page}");
    assert!(
        page.contains(r#"action="khao-sat?lang=vi&amp;site=so-y-te""#),
        "{page}"
    );
    assert!(
        page.contains(r#"href="../polls?lang=vi&amp;site=so-y-te""#),
        "{page}"
    );
    let home = app
        .http
        .get(app.url("/?site=so-y-te"))
        .send()
        .await
        .unwrap();
    let home = home.text().await.unwrap();
    assert!(
        home.contains(r#"href="polls?lang=vi&amp;site=so-y-te""#),
        "{home}"
    );
    let archive = app.http.get(app.url("/polls?site=so-y-te"));
    let archive = archive.send().await.unwrap().text().await.unwrap();
    assert!(
        archive.contains(r#"href="polls/khao-sat?lang=vi&amp;site=so-y-te""#),
        "{archive}"
    );

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |from: &'static str| {
        no_redirects
            .post(app.url(&format!("/polls/{POLL}?lang=vi&site=so-y-te")))
            .header("user-agent", BROWSER)
            .header("origin", from)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("tally_vid={visitor}"))
            .body("option=a")
            .send()
    };
    let refused = form(origin("tinh")).await.unwrap();
    assert_eq!(refused.status(), 403);
    let counted = form(origin("so-y-te")).await.unwrap();
    assert_eq!(counted.status(), 303);
    let location = counted.headers()["location"].to_str().unwrap();
    assert_eq!(location, "khao-sat/results?lang=vi&site=so-y-te");
    let results = read(&app, "so-y-te", "/results").await;
    assert_eq!(votes_of(&results, "a"), 1);
    app.stop().await;
}

/// A site's closed poll forgets its voters `TALLY_VOTER_DAYS` after its
/// close, as the primary site's do.
async fn a_sites_voters_are_forgotten_on_time(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    assert_eq!(
        create(&app, "xa-an-phu", ADMIN, "Xã hỏi").await.status(),
        201
    );
    let accepted = ballot(&app, "xa-an-phu", origin("xa-an-phu"), "a").await;
    assert_eq!(accepted.status(), 201);
    let path = format!("/admin/polls/{POLL}/close?site=xa-an-phu");
    let closed = admin(&app, Method::POST, &path, Some(ADMIN), None).await;
    assert_eq!(closed.status(), 200);
    app.clock.advance(days(29));
    assert_eq!(sweep(&app).await.voter_records, 0);
    app.clock.advance(days(2));
    let swept = sweep(&app).await;
    assert_eq!((swept.voter_records, swept.polls), (1, 1));
    let results = read(&app, "xa-an-phu", "/results").await;
    assert_eq!(votes_of(&results, "a"), 1, "its results stay");
    app.stop().await;
}

/// A solution to one site's challenge is no solution to another site's
/// poll of the same id, whether the key is set or kept by the store.
async fn a_solution_holds_on_its_own_site_only(backend: Backend) {
    for key in [Some("a-challenge-key-of-32-hex-digits-0123"), None] {
        let home = Home::open(backend).await;
        let (_dir, province) = sites_file(PROVINCE);
        let app = TestApp::start(&home, |s| {
            s.sites_file = Some(province);
            s.admin_tokens = tally::config::named_tokens(&format!("ha:{ADMIN}")).unwrap();
            s.challenge_key = key.map(|k| tally::config::Secret::new(k.into()));
        })
        .await;
        for site in ["tinh", "so-y-te"] {
            let mut spec = poll("Có thử thách");
            spec["challenge"] = json!("on");
            let path = format!("/admin/polls?site={site}");
            let created = admin(&app, Method::POST, &path, Some(ADMIN), Some(spec)).await;
            assert_eq!(created.status(), 201);
        }
        let challenge = read(&app, "so-y-te", "/challenge").await;
        let challenge: Challenge = serde_json::from_value(challenge).unwrap();
        let proof = challenge.solve().unwrap().to_compact();
        let with_proof = |site: &'static str| {
            app.http
                .post(app.url(&format!("/v1/polls/{POLL}/votes?site={site}")))
                .header("user-agent", BROWSER)
                .header("origin", origin(site))
                .header("content-type", "application/json")
                .header("cookie", format!("tally_vid={}", cookie()))
                .body(json!({ "options": ["a"], "proof": proof }).to_string())
                .send()
        };
        let elsewhere = with_proof("tinh").await.unwrap();
        assert_eq!(
            error_code(elsewhere).await,
            (403, "challenge_invalid".into())
        );
        assert_eq!(with_proof("so-y-te").await.unwrap().status(), 201);
        app.stop().await;
    }
}

/// Without a sites file, `site=default` names the one site the routes
/// that name none speak of.
async fn without_sites_default_is_the_one_site(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, |s| {
        s.admin_tokens = tally::config::named_tokens(&format!("ha:{ADMIN}")).unwrap();
    })
    .await;
    let created = admin(
        &app,
        Method::POST,
        "/admin/polls",
        Some(ADMIN),
        Some(poll("Hỏi")),
    )
    .await;
    assert_eq!(created.status(), 201);
    let named = ballot(&app, "default", "https://elsewhere.example", "a").await;
    assert_eq!(named.status().as_u16(), 403, "an origin not allowed");
    let response = app
        .http
        .post(app.url(&format!("/v1/polls/{POLL}/votes")))
        .header("user-agent", BROWSER)
        .header("content-type", "application/json")
        .header("cookie", format!("tally_vid={}", cookie()))
        .body(json!({ "options": ["a"] }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(votes_of(&read(&app, "default", "/results").await, "a"), 1);
    let unnamed = app.http.get(app.url(&format!("/v1/polls/{POLL}/results")));
    let unnamed: Value = unnamed.send().await.unwrap().json().await.unwrap();
    assert_eq!(votes_of(&unnamed, "a"), 1);
    app.stop().await;
}

/// `site`'s audit log as lines of who, action and target.
async fn audit_lines(app: &TestApp, site: &str) -> Vec<String> {
    let log = admin_json(app, &format!("/admin/audit?site={site}")).await;
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {} {}", e["who"], e["action"], e["target"]))
        .collect()
}

/// A polls file whose polls name their sites: each lands on its own site
/// (a poll naming none on the primary one, the province's), noted in that
/// site's audit log; a restart with the same file writes nothing.
async fn the_polls_file_seeds_each_sites_polls(backend: Backend) {
    let home = Home::open(backend).await;
    let (dir, province) = sites_file(PROVINCE);
    let file = dir.path().join("polls.toml");
    let option = |id: &str| format!(r#"{{ id = "{id}", label = "{id}" }}"#);
    let entry = |site: Option<&str>, question: &str| {
        format!(
            "[[polls]]\nid = \"{POLL}\"\n{}question = \"{question}\"\noptions = [{}, {}]\n\n",
            site.map_or(String::new(), |s| format!("site = \"{s}\"\n")),
            option("a"),
            option("b"),
        )
    };
    let text = [
        entry(None, "Tỉnh hỏi"),
        entry(Some("so-y-te"), "Sở Y tế hỏi"),
        entry(Some("xa-an-phu"), "Xã hỏi"),
    ]
    .concat();
    std::fs::write(&file, text).unwrap();
    let start = || {
        let (path, polls) = (province.clone(), file.clone());
        TestApp::start(&home, move |s| {
            s.sites_file = Some(path);
            s.polls_file = Some(polls);
            s.admin_tokens = tally::config::named_tokens(&format!("ha:{ADMIN}")).unwrap();
        })
    };
    let app = start().await;
    for (site, question) in [
        ("tinh", "Tỉnh hỏi"),
        ("so-y-te", "Sở Y tế hỏi"),
        ("xa-an-phu", "Xã hỏi"),
    ] {
        assert_eq!(read(&app, site, "").await["question"], question, "{site}");
        let created = format!(r#""polls-file" "create_poll" "{POLL}""#);
        assert_eq!(audit_lines(&app, site).await, [created], "{site}");
    }
    let gd = app
        .http
        .get(app.url(&format!("/v1/polls/{POLL}?site=so-gd")));
    let gd = gd.send().await.unwrap();
    assert_eq!(error_code(gd).await, (404, "poll_not_found".into()));
    app.stop().await;
    // Started again with the same file: nothing more is written.
    let app = start().await;
    for site in ["tinh", "so-y-te", "xa-an-phu"] {
        assert_eq!(audit_lines(&app, site).await.len(), 1, "{site}");
    }
    app.stop().await;
}

on_every_store!(
    the_polls_file_seeds_each_sites_polls,
    the_same_poll_id_on_two_sites_is_two_polls,
    a_department_editor_edits_its_own_sites_polls_only,
    a_sites_poll_pages_keep_its_site,
    a_sites_voters_are_forgotten_on_time,
    a_solution_holds_on_its_own_site_only,
    without_sites_default_is_the_one_site,
);
