//! The lists of polls a page at a time, on every store: the archive (JSON
//! and HTML), the admin API's list and the console's, walked page by page
//! from their own "next" answers, hold every poll exactly once in their
//! order, with the right totals; out-of-bounds pages are refused; and a
//! change made through this replica shows on its next list.

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{Backend, Home, TestApp, eventually, noon};

const TOKEN: &str = "5f1c0e9a7b3d4c2e8f6a1b0d9c7e5a3f4b2d1c0e9f8a7b6c";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    // Lists keep the polls' definitions for this long: longer than the
    // steps of these tests, so a change shows only if it drops them.
    s.flush_interval = std::time::Duration::from_secs(1);
}

async fn admin(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .http
        .request(method, format!("{}{path}", app.ops))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// What kind of poll each one is, as the lists group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Open,
    Upcoming,
    Closed,
    Archived,
}

/// A poll the test makes: its id, kind, and the hours from noon that
/// order it within its kind (`None`: an open poll without a closing time).
struct Made {
    id: String,
    kind: Kind,
    hours: Option<i64>,
}

fn at(hours: i64) -> Timestamp {
    noon() + SignedDuration::from_hours(hours)
}

/// 120 polls of every kind, ids in another order than they are made, ties
/// within a kind (broken by id), created through the admin API.
async fn make_polls(app: &TestApp) -> Vec<Made> {
    let made: Vec<Made> = (0..120)
        .map(|i: i64| {
            let id = format!("p-{:03}", (i * 37) % 120);
            let (kind, hours) = match i % 5 {
                0 => (Kind::Open, None),
                1 => (Kind::Open, Some((i * 7) % 50 + 1)),
                2 => (Kind::Upcoming, Some(24 * ((i * 3) % 10 + 1))),
                3 => (Kind::Closed, Some(-((i * 11) % 40 + 1))),
                _ => (Kind::Archived, None),
            };
            Made { id, kind, hours }
        })
        .collect();
    for chunk in made.chunks(20) {
        join_all(chunk.iter().map(|m| async move {
            let mut spec = json!({"id": m.id, "question": format!("Câu hỏi {}?", m.id),
                "options": [{"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]});
            match (m.kind, m.hours) {
                (Kind::Open, Some(h)) => spec["closes_at"] = json!(at(h).to_string()),
                (Kind::Upcoming, Some(h)) => spec["opens_at"] = json!(at(h).to_string()),
                (Kind::Closed, Some(h)) => {
                    spec["opens_at"] = json!(at(-1000).to_string());
                    spec["closes_at"] = json!(at(h).to_string());
                }
                _ => {}
            }
            let r = admin(app, Method::POST, "/admin/polls", Some(spec)).await;
            assert_eq!(r.status(), StatusCode::CREATED, "{}", m.id);
            if m.kind == Kind::Archived {
                let path = format!("/admin/polls/{}/archive", m.id);
                let r = admin(app, Method::POST, &path, None).await;
                assert_eq!(r.status(), StatusCode::OK, "{}", m.id);
            }
        }))
        .await;
    }
    made
}

/// The archive's order: open (soonest to close first, those without a
/// closing time before them), upcoming (soonest to open first), closed
/// (latest first); no archived poll.
fn archive_order(made: &[Made]) -> Vec<String> {
    let mut listed: Vec<(Kind, i64, &str)> = made
        .iter()
        .filter(|m| m.kind != Kind::Archived)
        .map(|m| {
            let key = match (m.kind, m.hours) {
                (Kind::Closed, Some(h)) => -h,
                (_, h) => h.unwrap_or(i64::MIN),
            };
            (m.kind, key, m.id.as_str())
        })
        .collect();
    listed.sort();
    listed.into_iter().map(|(_, _, id)| id.to_owned()).collect()
}

/// The console's order: open, scheduled, closed, archived; by id in each.
fn console_order(made: &[Made]) -> Vec<String> {
    let mut listed: Vec<(Kind, &str)> = made.iter().map(|m| (m.kind, m.id.as_str())).collect();
    listed.sort();
    listed.into_iter().map(|(_, id)| id.to_owned()).collect()
}

/// Every page of a JSON list, following `offset + limit` while it is
/// under `total`: the ids in the order served.
async fn walk_json(
    app: &TestApp,
    ops: bool,
    path: &str,
    limit: usize,
    total: usize,
) -> Vec<String> {
    let (mut ids, mut offset) = (Vec::new(), 0);
    loop {
        let query = format!("{path}?offset={offset}&limit={limit}");
        let r = match ops {
            true => admin(app, Method::GET, &query, None).await,
            false => app.http.get(app.url(&query)).send().await.unwrap(),
        };
        assert_eq!(r.status(), StatusCode::OK, "{query}");
        let page: Value = r.json().await.unwrap();
        assert_eq!(page["total"], total, "{query}");
        assert_eq!(
            (page["offset"].as_u64(), page["limit"].as_u64()),
            (Some(offset as u64), Some(limit as u64))
        );
        let polls = page["polls"].as_array().unwrap();
        assert_eq!(polls.len(), limit.min(total - offset), "{query}");
        ids.extend(
            polls
                .iter()
                .map(|p| p["poll"]["id"].as_str().unwrap().to_owned()),
        );
        offset += limit;
        if offset >= total {
            return ids;
        }
    }
}

/// The ids a page links to under `prefix` (`polls/` on the archive page,
/// `/admin/console/polls/` in the console), in order, and its
/// `rel="next"` link. A link into a poll's page (`#embed`) is not another
/// poll.
fn links(html: &str, prefix: &str) -> (Vec<String>, Option<String>) {
    let marker = format!("href=\"{prefix}");
    let ids = html
        .match_indices(&marker)
        .map(|(at, _)| &html[at + marker.len()..])
        .map(|rest| &rest[..rest.find(['"', '?']).unwrap()])
        .filter(|id| !id.contains('#'))
        .map(str::to_owned)
        .collect();
    let next = html.find("rel=\"next\"").map(|at| {
        let start = html[..at].rfind("href=\"").unwrap() + 6;
        html[start..at]
            .trim_end()
            .trim_end_matches('"')
            .replace("&amp;", "&")
    });
    (ids, next)
}

async fn sign_in(app: &TestApp) -> (reqwest::Client, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = browser
        .post(format!("{}/admin/sign-in", app.ops))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap();
    (browser, set.split(';').next().unwrap().to_owned())
}

async fn console_page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let (browser, cookie) = sign_in(app).await;
    let r = browser
        .get(format!("{}{path}", app.ops))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn lists_come_a_page_at_a_time(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let made = make_polls(&app).await;
    let archive = archive_order(&made);
    assert_eq!(archive.len(), 96);

    // JSON: every poll once, in order, whatever the page size.
    for limit in [50, 7, 200] {
        let served = walk_json(&app, false, "/v1/polls", limit, archive.len()).await;
        assert_eq!(served, archive, "limit {limit}");
    }
    let mut by_id: Vec<String> = made.iter().map(|m| m.id.clone()).collect();
    by_id.sort();
    assert_eq!(walk_json(&app, true, "/admin/polls", 50, 120).await, by_id);
    let first: Value = app
        .http
        .get(app.url("/v1/polls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (first["offset"].as_u64(), first["limit"].as_u64()),
        (Some(0), Some(50))
    );
    let past: Value = app
        .http
        .get(app.url("/v1/polls?offset=500"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            past["polls"].as_array().unwrap().len(),
            past["total"].as_u64()
        ),
        (0, Some(96))
    );

    // The archive page, from "Trang sau" to "Trang sau", in English too.
    for (start, next_words) in [
        ("/polls", "Trang sau"),
        ("/polls?lang=en&limit=30", "Next page"),
    ] {
        let (mut served, mut path, mut pages) = (Vec::new(), Some(start.to_owned()), 0);
        while let Some(at) = path.take() {
            let html = app
                .http
                .get(app.url(&at))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let (ids, next) = links(&html, "polls/");
            assert!(next.is_none() || html.contains(next_words), "{at}");
            served.extend(ids);
            path = next.map(|n| format!("/{n}"));
            pages += 1;
        }
        assert_eq!(served, archive, "{start}");
        assert_eq!(pages, if start == "/polls" { 2 } else { 4 });
    }
    let html = app
        .http
        .get(app.url("/polls?offset=50"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("51–96") && html.contains("Trang trước") && !html.contains("Trang sau"),
        "{html}"
    );

    // The console: groups in order, each headed with its total.
    let (mut served, mut path) = (Vec::new(), Some("/admin/console/polls?limit=40".to_owned()));
    while let Some(at) = path.take() {
        let (status, html) = console_page(&app, &at).await;
        assert_eq!(status, StatusCode::OK, "{at}");
        for heading in [
            "Đang mở (48)",
            "Sắp mở (24)",
            "Đã đóng (24)",
            "Đã lưu trữ (24)",
        ] {
            assert!(html.contains(heading), "{heading} on {at}");
        }
        let (ids, next) = links(&html, "/admin/console/polls/");
        served.extend(ids);
        path = next;
    }
    assert_eq!(served, console_order(&made));
    app.stop().await;
}

async fn pages_out_of_bounds_are_refused(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    for query in [
        "limit=0",
        "limit=201",
        "limit=ten",
        "limit=",
        "offset=-1",
        "offset=4294967296",
    ] {
        for path in ["/v1/polls", "/polls"] {
            let r = app
                .http
                .get(app.url(&format!("{path}?{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}?{query}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "invalid_query", "{path}?{query}");
        }
        let r = admin(&app, Method::GET, &format!("/admin/polls?{query}"), None).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_query", "{query}");
        let (status, html) = console_page(&app, &format!("/admin/console/polls?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(html.contains("limit từ 1 đến 200"), "{html}");
    }
    // A browser gets the refusal as a page, with its code.
    let r = app
        .http
        .get(app.url("/polls?limit=500&lang=en"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("invalid_query"));
    app.stop().await;
}

/// Ids on the first page of each list, as this replica answers now.
async fn listed(app: &TestApp) -> [Vec<String>; 3] {
    let ids = |page: Value| {
        page["polls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["poll"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let public = app
        .http
        .get(app.url("/v1/polls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = admin(app, Method::GET, "/admin/polls", None)
        .await
        .json()
        .await
        .unwrap();
    let (_, html) = console_page(app, "/admin/console/polls").await;
    [
        ids(public),
        ids(admin),
        links(&html, "/admin/console/polls/").0,
    ]
}

async fn this_replicas_changes_show_on_its_next_list(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let poll = |id: &str| json!({"id": id, "question": "?", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]});
    let ids = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
    let r = admin(&app, Method::POST, "/admin/polls", Some(poll("mot"))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        listed(&app).await,
        [ids(&["mot"]), ids(&["mot"]), ids(&["mot"])]
    );
    let r = admin(&app, Method::POST, "/admin/polls", Some(poll("hai"))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let both = ids(&["hai", "mot"]);
    assert_eq!(listed(&app).await, [both.clone(), both.clone(), both]);
    let r = admin(&app, Method::DELETE, "/admin/polls/mot", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        listed(&app).await,
        [ids(&["hai"]), ids(&["hai"]), ids(&["hai"])]
    );
    let r = admin(&app, Method::POST, "/admin/polls/hai/archive", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(listed(&app).await, [ids(&[]), ids(&["hai"]), ids(&["hai"])]);
    app.stop().await;
}

/// Times this replica read every poll's definition from the store.
async fn definitions_read(app: &TestApp) -> u64 {
    let metrics = app.metrics().await;
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("tally_store_operation_duration_seconds_count{operation=\"list_polls\"}")
        })
        .expect("the store's latency series for list_polls");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Two replicas on one Redis: what one changes shows on the other's list
/// within its freshness interval, and lists that find nothing changed do
/// not read the definitions again.
async fn another_replicas_changes_show_soon(backend: Backend) {
    let home = Home::open(backend).await;
    let (first, second) = (
        TestApp::start(&home, settings).await,
        TestApp::start(&home, settings).await,
    );
    let poll = json!({"id": "mot", "question": "?",
        "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]});
    assert_eq!(listed(&second).await[0], Vec::<String>::new());
    let r = admin(&first, Method::POST, "/admin/polls", Some(poll)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    eventually(
        std::time::Duration::from_secs(10),
        "the poll listed on the other replica",
        async || (listed(&second).await[0] == ["mot"]).then_some(()),
    )
    .await;
    let reads = definitions_read(&second).await;
    assert!(reads > 0);
    for _ in 0..30 {
        listed(&second).await;
    }
    assert_eq!(
        definitions_read(&second).await,
        reads,
        "nothing changed, nothing read again"
    );
    let r = admin(&first, Method::DELETE, "/admin/polls/mot", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    eventually(
        std::time::Duration::from_secs(10),
        "the poll gone from the other replica",
        async || listed(&second).await[1].is_empty().then_some(()),
    )
    .await;
    first.stop().await;
    second.stop().await;
}

mod shared_store {
    use super::{Backend, another_replicas_changes_show_soon};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis() {
        another_replicas_changes_show_soon(Backend::Redis).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cluster() {
        another_replicas_changes_show_soon(Backend::Cluster).await
    }
}

on_every_store!(
    lists_come_a_page_at_a_time,
    pages_out_of_bounds_are_refused,
    this_replicas_changes_show_on_its_next_list,
);
