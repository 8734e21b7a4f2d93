//! The documents against the code and against what was served before:
//! every operation, parameter and answer of today's documents is still
//! there (the differences listed and explained); every documented JSON
//! answer accepts the bodies the code renders; the hand-described schemas
//! accept what the domain does.

use std::collections::BTreeSet;

use http::StatusCode;
use serde_json::{Value, json};

use crate::edge::error::sample;
use crate::edge::schema;
use crate::edge::text::Lang;
use crate::ids::{OptionId, PageId, PollId};
use crate::poll::{self, PollStatus};

mod before;
mod paged;
mod rendered;
mod rendered_history;

use rendered::{rendered, to_json};

fn public() -> Value {
    serde_json::to_value(super::documents().0).unwrap()
}

fn ops() -> Value {
    serde_json::to_value(super::documents().1).unwrap()
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "options", "head"];

/// `(template, method)` of every operation in a document.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                found.insert((template.clone(), method.to_uppercase()));
            }
        }
    }
    found
}

/// Every `$ref` in `value`.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    for document in [public(), ops()] {
        let mut found = Vec::new();
        references(&document, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let pointer = target
                .strip_prefix('#')
                .expect("a reference within the document");
            assert!(
                document.pointer(pointer).is_some(),
                "{target} resolves to nothing"
            );
        }
    }
}

#[test]
fn operation_ids_are_unique_and_named() {
    for document in [public(), ops()] {
        let mut ids = BTreeSet::new();
        for (template, method) in operations(&document) {
            let id = document["paths"][&template][method.to_lowercase()]["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {template} has no operationId"))
                .to_owned();
            assert!(ids.insert(id.clone()), "{id} twice");
        }
    }
}

/// A validator for `schema`, whose `$ref`s point into `document`.
fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = json!({ "allOf": [schema], "components": document["components"] });
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn assert_fits(document: &Value, schema: &Value, body: &Value, what: &str) {
    let errors: Vec<String> = validator(document, schema)
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {body}\n{}", errors.join("\n"));
}

/// Every JSON answer of a document, with its status and schema.
fn json_answers(document: &Value) -> Vec<(String, StatusCode, Value)> {
    let mut found = Vec::new();
    for (template, method) in operations(document) {
        let operation = &document["paths"][&template][method.to_lowercase()];
        for (status, answer) in operation["responses"].as_object().unwrap() {
            let status = StatusCode::from_bytes(status.as_bytes()).unwrap();
            for (media, content) in answer["content"].as_object().into_iter().flatten() {
                if media.starts_with("application/json") {
                    let schema = content["schema"].clone();
                    found.push((format!("{method} {template} {status}"), status, schema));
                }
            }
        }
    }
    found
}

/// The codes an answer's schema narrows `Error` to, if it is a refusal.
fn refusal_codes(schema: &Value) -> Option<Vec<String>> {
    let all_of = schema.get("allOf")?.as_array()?;
    if all_of[0]["$ref"] != "#/components/schemas/Error" {
        return None;
    }
    let codes = all_of[1]["properties"]["error"]["properties"]["code"]["enum"].as_array()?;
    Some(
        codes
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect(),
    )
}

#[test]
fn every_json_answer_accepts_what_the_code_renders() {
    for document in [public(), ops()] {
        for (what, status, schema) in json_answers(&document) {
            if let Some(codes) = refusal_codes(&schema) {
                for code in codes {
                    let errors: Vec<_> = sample::every()
                        .into_iter()
                        .filter(|e| e.code() == code)
                        .collect();
                    assert!(!errors.is_empty(), "{what}: no error has the code {code}");
                    for error in errors.iter().filter(|e| e.status() == status) {
                        for lang in [Lang::En, Lang::Vi] {
                            let body = to_json(error.body(lang));
                            assert_fits(&document, &schema, &body, &what);
                        }
                    }
                    assert!(
                        errors.iter().any(|e| e.status() == status),
                        "{what}: {code} is never answered with {status}"
                    );
                }
                continue;
            }
            let name = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .unwrap_or_else(|| panic!("{what}: the body is not a named schema"));
            for body in rendered(name) {
                assert_fits(&document, &schema, &body, &what);
            }
        }
    }
}

#[test]
fn every_error_fits_the_error_schema() {
    let document = public();
    let schema = json!({ "$ref": "#/components/schemas/Error" });
    for error in sample::every() {
        assert_fits(
            &document,
            &schema,
            &to_json(error.body(Lang::En)),
            error.code(),
        );
    }
    let errors = validator(&document, &schema);
    for unknown in [
        json!({"error": {"code": "teapot", "message": "I'm a teapot."}}),
        json!({"error": {"code": "not_found"}}),
        json!({"error": {"code": "not_found", "message": "No.", "extra": 1}}),
    ] {
        assert!(!errors.is_valid(&unknown), "{unknown}");
    }
}

#[test]
fn the_described_poll_status_is_the_domains() {
    for status in [PollStatus::NotYetOpen, PollStatus::Open, PollStatus::Closed] {
        assert_eq!(
            to_json(status),
            to_json(schema::PollStatus::from(status)),
            "{status:?}"
        );
    }
}

#[test]
fn the_described_poll_definition_is_what_editors_may_send() {
    let document = ops();
    let schema = json!({ "$ref": "#/components/schemas/PollSpec" });
    let valid = [
        json!({"id": "danh-gia", "question": "Tốt không?",
            "options": [{"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]}),
        json!({"id": "chuyen-muc", "question": "Chuyên mục?", "max_choices": 2,
            "opens_at": "2026-01-01T00:00:00Z", "closes_at": null, "draft": true,
            "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}, {"id": "c", "label": "C"}]}),
    ];
    for definition in valid {
        assert_fits(&document, &schema, &definition, "a poll definition");
        let spec: poll::PollSpec = serde_json::from_value(definition.clone()).unwrap();
        poll::Poll::new(spec).unwrap();
    }
    // The path names the poll a `PUT` defines.
    let by_path =
        json!({"question": "?", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]});
    assert_fits(&document, &schema, &by_path, "a definition without its id");
    let unknown = json!({"id": "x", "question": "?", "colour": "red",
        "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]});
    assert!(!validator(&document, &schema).is_valid(&unknown));
    assert!(serde_json::from_value::<poll::PollSpec>(unknown).is_err());
}

#[test]
fn the_described_ids_are_the_domains() {
    let document = public();
    let poll_id = validator(&document, &json!({ "$ref": "#/components/schemas/PollId" }));
    let page_id = validator(&document, &json!({ "$ref": "#/components/schemas/PageId" }));
    let long = "a".repeat(65);
    for id in ["danh-gia-cong", "a", "A", "", "x y", "tốt", long.as_str()] {
        assert_eq!(
            poll_id.is_valid(&json!(id)),
            PollId::parse(id).is_ok(),
            "{id:?}"
        );
        assert_eq!(
            poll_id.is_valid(&json!(id)),
            OptionId::parse(id).is_ok(),
            "{id:?}"
        );
    }
    let long = "/".repeat(257);
    for page in ["/tin-tuc/123", "", "a\u{7}b", "a\u{85}b", long.as_str()] {
        assert_eq!(
            page_id.is_valid(&json!(page)),
            PageId::parse(page).is_ok(),
            "{page:?}"
        );
    }
}

#[test]
fn the_baseline_bound_is_the_counters() {
    let document = ops();
    let maximum =
        &document["components"]["schemas"]["Baseline"]["properties"]["baseline"]["maximum"];
    assert_eq!(maximum.as_u64(), Some(crate::config::MAX_BASELINE));
}
