//! The tour's harness: requests to either listener, each answer checked
//! against the document of the listener that gave it.

use std::collections::BTreeSet;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{BROWSER, Home, TestApp};

pub const TOKEN: &str = "an-admin-token-for-the-openapi-tour";
pub const PORTAL: &str = "https://portal.example.gov.vn";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Public,
    Ops,
}

/// A request of the tour.
pub struct Req {
    listener: Listener,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<(&'static str, String)>,
}

impl Req {
    pub fn new(listener: Listener, method: Method, path: &str) -> Self {
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

    pub fn get(path: &str) -> Self {
        Self::new(Listener::Public, Method::GET, path)
    }

    pub fn post(path: &str) -> Self {
        Self::new(Listener::Public, Method::POST, path)
    }

    pub fn ops(method: Method, path: &str) -> Self {
        Self::new(Listener::Ops, method, path)
    }

    pub fn admin(method: Method, path: &str) -> Self {
        Self::ops(method, path).header("authorization", format!("Bearer {TOKEN}"))
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn visitor(self, id: &str) -> Self {
        self.header("cookie", format!("tally_vid={id}"))
    }

    pub fn body(mut self, content_type: &'static str, body: impl Into<String>) -> Self {
        self.body = Some((content_type, body.into()));
        self
    }

    pub fn json(self, body: Value) -> Self {
        self.body("application/json", body.to_string())
    }
}

/// An answer, once checked against the document.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON answer")
    }
}

/// The app, its two documents, and what the tour has seen.
pub struct Tour {
    pub app: TestApp,
    http: reqwest::Client,
    pub public: Value,
    pub ops: Value,
    seen: BTreeSet<(String, String)>,
}

impl Tour {
    pub async fn start(home: &Home) -> Self {
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
    pub async fn send(&mut self, req: Req) -> Answer {
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
        let mut response = builder.send().await.expect("answered");
        let status = response.status();
        let headers = response.headers().clone();
        let streams = headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let body = if streams {
            // A stream does not end: its first event is enough.
            let mut body = Vec::new();
            while !body.windows(2).any(|w| w == b"\n\n") {
                match response.chunk().await.expect("a stream's event") {
                    Some(chunk) => body.extend_from_slice(&chunk),
                    None => break,
                }
            }
            body
        } else {
            response.bytes().await.unwrap().to_vec()
        };
        let answer = Answer {
            status,
            headers,
            body,
        };
        self.check(&req, &answer);
        answer
    }

    fn check(&mut self, req: &Req, answer: &Answer) {
        let path = req.path.split('?').next().unwrap();
        let (document, template) = match req.listener {
            Listener::Public => (&self.public, template_of(&self.public, path)),
            Listener::Ops => (&self.ops, template_of(&self.ops, path)),
        };
        let template = template.as_str();
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
    pub fn assert_complete(&self, document: &Value, unseen: &[(&str, &str)]) {
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

/// The document's path template that `path` matches ("unmatched" if none).
fn template_of(document: &Value, path: &str) -> String {
    let mut router = matchit::Router::new();
    for template in document["paths"].as_object().unwrap().keys() {
        router.insert(template.clone(), template.clone()).unwrap();
    }
    router
        .at(path)
        .map_or_else(|_| "unmatched".to_owned(), |m| m.value.clone())
}
