//! The served OpenAPI documents against the real app: a tour of both
//! listeners, and every answer it gets must be documented for its operation
//! and status, with the media type, headers and JSON body the document
//! gives. The tour reaches every operation and every JSON answer that is not
//! a refusal (refusals are held to the error table by the unit tests).

mod support;

use std::collections::BTreeSet;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{BROWSER, Backend, Home, TestApp, cookie};
use tally::http::router::{OPS_TABLE, PUBLIC_TABLE};

const TOKEN: &str = "an-admin-token-for-the-openapi-tour";
const PORTAL: &str = "https://portal.example.gov.vn";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Listener {
    Public,
    Ops,
}

/// A request of the tour.
struct Req {
    listener: Listener,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<(&'static str, String)>,
}

impl Req {
    fn new(listener: Listener, method: Method, path: &str) -> Self {
        let mut headers = Vec::new();
        if listener == Listener::Public {
            headers.push(("user-agent", BROWSER.to_owned()));
        }
        Self {
            listener,
            method,
            path: path.to_owned(),
            headers,
            body: None,
        }
    }

    fn get(path: &str) -> Self {
        Self::new(Listener::Public, Method::GET, path)
    }

    fn post(path: &str) -> Self {
        Self::new(Listener::Public, Method::POST, path)
    }

    fn ops(method: Method, path: &str) -> Self {
        Self::new(Listener::Ops, method, path)
    }

    fn admin(method: Method, path: &str) -> Self {
        Self::ops(method, path).header("authorization", format!("Bearer {TOKEN}"))
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn visitor(self, id: &str) -> Self {
        self.header("cookie", format!("tally_vid={id}"))
    }

    fn body(mut self, content_type: &'static str, body: impl Into<String>) -> Self {
        self.body = Some((content_type, body.into()));
        self
    }

    fn json(self, body: Value) -> Self {
        self.body("application/json", body.to_string())
    }
}

/// An answer, once checked against the document.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON answer")
    }
}

/// The app, its two documents, and what the tour has seen.
struct Tour {
    app: TestApp,
    http: reqwest::Client,
    public: Value,
    ops: Value,
    seen: BTreeSet<(String, String)>,
}

impl Tour {
    async fn start(home: &Home) -> Self {
        let app = TestApp::start(home, |s| {
            s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
            s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
            s.allowed_origins = vec![PORTAL.to_owned()];
        })
        .await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let fetch = |url: String| {
            let http = http.clone();
            async move {
                let r = http.get(url).send().await.unwrap();
                r.json::<Value>().await.unwrap()
            }
        };
        let public = fetch(app.url("/openapi.json")).await;
        let ops = fetch(format!("{}/openapi.json", app.ops)).await;
        Self {
            app,
            http,
            public,
            ops,
            seen: BTreeSet::new(),
        }
    }

    /// Sends `req` and checks its answer against the document.
    async fn send(&mut self, req: Req) -> Answer {
        let base = match req.listener {
            Listener::Public => self.app.base.clone(),
            Listener::Ops => self.app.ops.clone(),
        };
        let mut builder = self
            .http
            .request(req.method.clone(), format!("{base}{}", req.path));
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        if let Some((content_type, body)) = &req.body {
            builder = builder
                .header("content-type", *content_type)
                .body(body.clone());
        }
        let response = builder.send().await.expect("answered");
        let answer = Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        };
        self.check(&req, &answer);
        answer
    }

    fn check(&mut self, req: &Req, answer: &Answer) {
        let path = req.path.split('?').next().unwrap();
        let (document, template) = match req.listener {
            Listener::Public => (&self.public, PUBLIC_TABLE.at(path).template),
            Listener::Ops => (&self.ops, OPS_TABLE.at(path).template),
        };
        let what = format!("{} {} → {}", req.method, req.path, answer.status);
        let method = match req.method {
            Method::HEAD => "get".to_owned(),
            ref m => m.as_str().to_lowercase(),
        };
        let operation = &document["paths"][template][&method];
        let Some(responses) = operation["responses"].as_object() else {
            // A method the route does not take: 405, documented on the
            // route's operations.
            assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
            return;
        };
        let status = answer.status.as_str();
        let documented = responses
            .get(status)
            .unwrap_or_else(|| panic!("{what}: status not documented"));
        self.seen.insert((
            operation["operationId"].as_str().unwrap().to_owned(),
            status.to_owned(),
        ));
        check_headers(document, documented, &answer.headers, &what);
        let Some(content) = documented["content"].as_object() else {
            assert!(
                answer.body.is_empty(),
                "{what}: a body where none is documented"
            );
            return;
        };
        if req.method == Method::HEAD || answer.body.is_empty() && content.is_empty() {
            return;
        }
        let media = answer.headers["content-type"].to_str().unwrap();
        let essence = |m: &str| m.split(';').next().unwrap().trim().to_owned();
        let (_, media_doc) = content
            .iter()
            .find(|(m, _)| essence(m) == essence(media))
            .unwrap_or_else(|| panic!("{what}: {media} is not documented"));
        if essence(media) == "application/json" {
            let body: Value = serde_json::from_slice(&answer.body).expect("JSON");
            assert_fits(document, &media_doc["schema"], &body, &what);
        }
    }

    /// Every operation reached with a success, and every JSON answer that
    /// is not a refusal seen, but for `unseen`.
    fn assert_complete(&self, document: &Value, unseen: &[(&str, &str)]) {
        let mut missing = Vec::new();
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let id = operation["operationId"].as_str().unwrap();
                let responses = operation["responses"].as_object().unwrap();
                let succeeded = self
                    .seen
                    .iter()
                    .any(|(op, status)| op == id && status.as_str() < "400");
                if !succeeded {
                    missing.push(format!("{id}: no success"));
                }
                for (status, answer) in responses {
                    let schema = &answer["content"]["application/json"]["schema"];
                    let named = schema.get("$ref").is_some();
                    let key = (id.to_owned(), status.clone());
                    if named && !self.seen.contains(&key) && !unseen.contains(&(id, status)) {
                        missing.push(format!("{id} {status}: not seen"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "the tour missed:\n{}",
            missing.join("\n")
        );
    }
}

fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": document["components"],
    });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn assert_fits(document: &Value, schema: &Value, body: &Value, what: &str) {
    let errors: Vec<String> = validator(document, schema)
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {body}\n{}", errors.join("\n"));
}

/// Each documented header the answer carries fits its schema.
fn check_headers(document: &Value, documented: &Value, headers: &HeaderMap, what: &str) {
    for (name, header) in documented["headers"].as_object().into_iter().flatten() {
        let Some(value) = headers.get(name.as_str()) else {
            continue;
        };
        let value = value.to_str().unwrap();
        let schema = &header["schema"];
        let value = match schema["type"].as_str() {
            Some("integer") => json!(value.parse::<i64>().expect("an integer header")),
            _ => json!(value),
        };
        assert_fits(document, schema, &value, &format!("{what}: {name}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_a_tour_is_documented() {
    let home = Home::new(Backend::Embedded);
    let mut tour = Tour::start(&home).await;
    let own = tour.app.base.clone();
    let poll = "/v1/polls/danh-gia-cong";

    // The counter.
    let hit = tour
        .send(Req::post("/v1/hits").json(json!({"page": "/tin-tuc/1"})))
        .await;
    assert_eq!(hit.status, 200);
    assert!(hit.headers.contains_key("set-cookie"));
    tour.send(Req::post("/v1/hits").body("text/plain", r#"{"page":"/"}"#))
        .await;
    tour.send(Req::post("/v1/hits")).await;
    let first_party = cookie();
    let hit = tour
        .send(Req::post("/v1/hits").header("tally-visitor", &first_party))
        .await;
    let issued = hit.headers["set-cookie"].to_str().unwrap();
    assert!(
        issued.starts_with(&format!("tally_vid={first_party};")),
        "{issued}"
    );
    let foreign = tour
        .send(Req::post("/v1/hits").header("origin", "https://elsewhere.example"))
        .await;
    assert_eq!(foreign.status, 200);
    assert!(!foreign.headers.contains_key("set-cookie"));
    for refused in [
        Req::post("/v1/hits").header("tally-visitor", "forged"),
        Req::post("/v1/hits").json(json!([1])),
        Req::post("/v1/hits").json(json!({"page": "x".repeat(300)})),
        Req::post("/v1/hits").body("application/xml", "<hit/>"),
        Req::post("/v1/hits").json(json!({"page": "x".repeat(5000)})),
        Req::new(Listener::Public, Method::DELETE, "/v1/hits"),
    ] {
        assert!(tour.send(refused).await.status.is_client_error());
    }
    tour.send(Req::get("/v1/counter")).await;
    tour.send(Req::get("/v1/counter?page=%2Ftin-tuc%2F1")).await;
    tour.send(Req::get(&format!("/v1/counter?page={}", "x".repeat(300))))
        .await;
    tour.send(Req::new(Listener::Public, Method::HEAD, "/v1/counter"))
        .await;
    tour.send(Req::get("/v1/counter.svg?lang=en")).await;
    tour.send(Req::get("/v1/pixel.gif?page=%2F").header("referer", format!("{PORTAL}/")))
        .await;

    // The polls, as JSON.
    let voter = cookie();
    let voted = tour
        .send(
            Req::post(&format!("{poll}/votes"))
                .visitor(&voter)
                .json(json!({"options": ["tot"]})),
        )
        .await;
    assert_eq!(voted.status, 201);
    let again = tour
        .send(
            Req::post(&format!("{poll}/votes"))
                .visitor(&voter)
                .json(json!({"options": ["tot"]})),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["error"]["choices"], json!(["tot"]));
    let read = tour.send(Req::get(poll).visitor(&voter)).await;
    assert_eq!(read.json()["voted"], true);
    let by_address = tour.send(Req::get(poll)).await;
    assert_eq!(by_address.json()["voted"], false);
    for forged in [Req::get(poll), Req::get(poll).visitor(&voter)] {
        let refused = tour.send(forged.header("tally-visitor", "forged")).await;
        assert_eq!(refused.json()["error"]["code"], "invalid_visitor");
    }
    tour.send(Req::get("/v1/polls/khong-co")).await;
    tour.send(Req::get("/v1/polls/Not_An_Id")).await;
    for refused in [
        Req::post(&format!("{poll}/votes")).json(json!({"options": ["rat-xau"]})),
        Req::post(&format!("{poll}/votes")).json(json!({"options": ["tot", "rat-tot"]})),
        Req::post(&format!("{poll}/votes")).json(json!({"choices": ["tot"]})),
        Req::post(&format!("{poll}/votes")).body("text/plain", "tot"),
        Req::post(&format!("{poll}/votes")).body("text/html", "<p>tot</p>"),
        Req::post(&format!("{poll}/votes"))
            .header("origin", "https://elsewhere.example")
            .json(json!({"options": ["tot"]})),
        Req::post("/v1/polls/khong-co/votes").json(json!({"options": ["tot"]})),
    ] {
        assert!(tour.send(refused).await.status.is_client_error());
    }
    let results = tour.send(Req::get(&format!("{poll}/results"))).await;
    assert_eq!(results.json()["percent_base"], "votes");
    tour.send(Req::get("/v1/polls/khong-co/results")).await;

    // The polls, as pages.
    let html = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";
    tour.send(Req::get("/polls/danh-gia-cong").header("accept", html))
        .await;
    tour.send(Req::get("/polls/danh-gia-cong").visitor(&voter))
        .await;
    tour.send(Req::get("/polls/khong-co").header("accept", html))
        .await;
    tour.send(Req::get("/polls/khong-co")).await;
    let form = || {
        Req::post("/polls/danh-gia-cong?lang=vi")
            .header("origin", own.clone())
            .body("application/x-www-form-urlencoded", "option=rat-tot")
    };
    let counted = tour.send(form()).await;
    assert_eq!(counted.status, 303);
    let location = counted.headers["location"].to_str().unwrap();
    assert_eq!(location, "danh-gia-cong/results?lang=vi&notice=thanks");
    let no_origin =
        Req::post("/polls/danh-gia-cong").body("application/x-www-form-urlencoded", "option=tot");
    assert_eq!(tour.send(no_origin).await.status, 403);
    let referer = Req::post("/polls/danh-gia-cong")
        .header("referer", format!("{PORTAL}/tin-tuc/1"))
        .header("accept", html)
        .body("application/x-www-form-urlencoded", "option=khong-co");
    assert_eq!(tour.send(referer).await.status, 400);
    let not_an_option = Req::post("/polls/danh-gia-cong")
        .header("origin", PORTAL)
        .body("application/x-www-form-urlencoded", "option=Not_An_Id");
    assert_eq!(tour.send(not_an_option).await.status, 400);
    let json_form = Req::post("/polls/danh-gia-cong")
        .header("origin", PORTAL)
        .json(json!({"option": ["tot"]}));
    assert_eq!(tour.send(json_form).await.status, 415);
    tour.send(
        Req::new(Listener::Public, Method::PUT, "/polls/danh-gia-cong").header("accept", html),
    )
    .await;
    tour.send(Req::get("/polls/danh-gia-cong/results?notice=thanks"))
        .await;
    tour.send(Req::get("/polls/khong-co/results").header("accept", html))
        .await;

    // The assets and this document.
    let widget = tour.send(Req::get("/widget.js")).await;
    let etag = widget.headers["etag"].to_str().unwrap().to_owned();
    let fresh = tour
        .send(Req::get("/widget.js").header("if-none-match", etag))
        .await;
    assert_eq!(fresh.status, 304);
    for path in [
        "/demo",
        "/demo.css",
        "/pages.css",
        "/favicon.ico",
        "/openapi.json",
    ] {
        assert!(
            tour.send(Req::get(path)).await.status.is_success(),
            "{path}"
        );
    }

    // The ops listener.
    for path in [
        "/metrics",
        "/healthz",
        "/readyz",
        "/readyz?exclude=store",
        "/openapi.json",
    ] {
        assert_eq!(
            tour.send(Req::ops(Method::GET, path)).await.status,
            200,
            "{path}"
        );
    }
    tour.send(Req::ops(Method::GET, "/admin/polls")).await;
    tour.send(Req::ops(Method::GET, "/admin/polls").header("authorization", "Bearer wrong"))
        .await;
    tour.send(Req::admin(Method::GET, "/admin/polls")).await;
    tour.send(Req::admin(Method::GET, "/admin/polls/danh-gia-cong"))
        .await;
    tour.send(Req::admin(Method::GET, "/admin/polls/khong-co"))
        .await;
    let definition = json!({"id": "thu-nghiem", "question": "Thử nghiệm?",
        "options": [{"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]});
    let created = tour
        .send(Req::admin(Method::POST, "/admin/polls").json(definition.clone()))
        .await;
    assert_eq!(created.status, 201);
    let unchanged = tour
        .send(Req::admin(Method::POST, "/admin/polls").json(definition))
        .await;
    assert_eq!(unchanged.json()["result"], "unchanged");
    let by_path = json!({"question": "Khác?",
        "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]});
    let put = tour
        .send(Req::admin(Method::PUT, "/admin/polls/khac").json(by_path))
        .await;
    assert_eq!(put.status, 201);
    tour.send(
        Req::post("/v1/polls/thu-nghiem/votes")
            .visitor(&cookie())
            .json(json!({"options": ["khong"]})),
    )
    .await;
    let narrower = json!({"question": "Thử nghiệm?",
        "options": [{"id": "co", "label": "Có"}, {"id": "chua", "label": "Chưa"}]});
    let conflict = tour
        .send(Req::admin(Method::PUT, "/admin/polls/thu-nghiem").json(narrower.clone()))
        .await;
    assert_eq!(conflict.status, 409);
    let forced = tour
        .send(Req::admin(Method::PUT, "/admin/polls/thu-nghiem?force=true").json(narrower))
        .await;
    assert_eq!(forced.json()["result"], "replaced");
    for refused in [
        Req::admin(Method::PUT, "/admin/polls/thu-nghiem").json(json!({"id": "khac"})),
        Req::admin(Method::POST, "/admin/polls")
            .json(json!({"id": "x", "question": "?", "options": []})),
        Req::admin(Method::POST, "/admin/polls").body("text/plain", "{}"),
        Req::admin(Method::PUT, "/admin/counter/baseline")
            .json(json!({"baseline": 10_000_000_000_000_u64})),
        Req::admin(Method::DELETE, "/admin/polls"),
        Req::admin(Method::POST, "/admin/polls/khong-co/close"),
    ] {
        assert!(tour.send(refused).await.status.is_client_error());
    }
    let closed = tour
        .send(Req::admin(Method::POST, "/admin/polls/thu-nghiem/close"))
        .await;
    assert_eq!(closed.json()["poll"]["status"], "closed");
    let late = tour
        .send(
            Req::post("/v1/polls/thu-nghiem/votes")
                .visitor(&cookie())
                .json(json!({"options": ["co"]})),
        )
        .await;
    assert_eq!(late.json()["error"]["code"], "poll_closed");
    let baseline =
        Req::admin(Method::PUT, "/admin/counter/baseline").json(json!({"baseline": 7_582_803}));
    assert_eq!(tour.send(baseline).await.status, 200);

    tour.assert_complete(&tour.public, &[]);
    // Readiness answers 503 only in a store outage or a starved listener;
    // its body is held to the schema by the unit tests.
    tour.assert_complete(&tour.ops, &[("getReady", "503")]);
    tour.app.stop().await;
}
