//! The documents against the ones served before the edge moved
//! (`tests/fixtures/openapi/`): every operation, parameter and answer is
//! still there, and what was added since is listed with its reason.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{operations, ops, paged, public};

/// What a document says of each operation, as a client relies on it: its
/// parameters (where and whether required) and, per answer's status, the
/// media types.
fn shape(document: &Value) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    for (template, method) in operations(document) {
        let operation = &document["paths"][&template][method.to_lowercase()];
        let parameters: BTreeSet<String> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("{} in {} required {}", p["name"], p["in"], p["required"]))
            .collect();
        let answers: BTreeMap<String, BTreeSet<String>> = operation["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(status, answer)| {
                let media: BTreeSet<String> = answer["content"]
                    .as_object()
                    .map(|c| c.keys().cloned().collect())
                    .unwrap_or_default();
                (status.clone(), media)
            })
            .collect();
        let body: Vec<String> = operation["requestBody"]["content"]
            .as_object()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default();
        found.insert(
            format!("{method} {template}"),
            json!({
                "operationId": operation["operationId"],
                "parameters": parameters,
                "answers": answers,
                "body": body,
            }),
        );
    }
    found
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/openapi/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What the documents gained since the fixtures were taken, each for a
/// reason: `(listener, operation, status, media type)`.
const ADDED: &[(&str, &str, &str, &str)] = &[
    // Exports a Vietnamese office opens: `.xlsx` beside CSV.
    ("ops", "GET /admin/audit", "200", XLSX),
    ("ops", "GET /admin/history/days", "200", XLSX),
    ("ops", "GET /admin/history/months", "200", XLSX),
    ("ops", "GET /admin/history/pages", "200", XLSX),
    ("ops", "GET /admin/history/top-pages", "200", XLSX),
    ("ops", "GET /admin/polls/{id}/ballots-per-day", "200", XLSX),
    ("ops", "GET /admin/polls/{id}/results", "200", XLSX),
    // An import whose outcome the store did not say in time: `503` means
    // nothing changed, so this one has a status of its own.
    ("ops", "POST /admin/history/import", "504", JSON),
    // A list's page out of bounds (issue 30); the archive had a 400 before.
    ("ops", "GET /admin/polls", "400", JSON),
    // Roles: a viewer changing anything, an editor taking a backup.
    ("ops", "POST /admin/polls", "403", JSON),
    ("ops", "PUT /admin/polls/{id}", "403", JSON),
    ("ops", "DELETE /admin/polls/{id}", "403", JSON),
    ("ops", "POST /admin/polls/{id}/close", "403", JSON),
    ("ops", "POST /admin/polls/{id}/reopen", "403", JSON),
    ("ops", "POST /admin/polls/{id}/archive", "403", JSON),
    ("ops", "POST /admin/polls/{id}/publish", "403", JSON),
    ("ops", "PUT /admin/counter/baseline", "403", JSON),
    ("ops", "POST /admin/history/import", "403", JSON),
    ("ops", "GET /admin/backup", "403", JSON),
    // Sites (issue 26): a token on one site, refused the primary site's
    // reads.
    ("ops", "GET /admin/polls", "403", JSON),
    ("ops", "GET /admin/polls/{id}", "403", JSON),
    ("ops", "GET /admin/polls/{id}/ballots-per-day", "403", JSON),
    ("ops", "GET /admin/polls/{id}/results", "403", JSON),
    ("ops", "GET /admin/history/days", "403", JSON),
    ("ops", "GET /admin/history/months", "403", JSON),
    ("ops", "GET /admin/history/pages", "403", JSON),
    ("ops", "GET /admin/history/top-pages", "403", JSON),
    ("ops", "GET /admin/audit", "403", JSON),
    // Sites (issue 26): a site that is not one.
    ("public", "POST /v1/hits", "404", JSON),
    ("public", "GET /v1/counter", "404", JSON),
    ("public", "GET /v1/counter.svg", "404", JSON),
    ("public", "GET /v1/pixel.gif", "404", JSON),
    // Polls per site: a site that is not one, or none named where sites
    // are configured.
    ("public", "GET /v1/polls", "404", JSON),
    ("public", "GET /polls", "404", JSON),
    ("public", "GET /polls", "404", HTML),
    ("public", "GET /v1/polls/{id}/challenge", "400", JSON),
];

/// Parameters added since the fixtures were taken, each for a reason:
/// `(listener, operation, parameter as [`shape`] writes it)`.
const ADDED_PARAMETERS: &[(&str, &str, &str)] = &[
    // Sites (issue 26): the site a count is of, as the widget names it.
    ("public", "POST /v1/hits", SITE),
    ("public", "GET /v1/counter", SITE),
    ("public", "GET /v1/counter.svg", SITE),
    ("public", "GET /v1/pixel.gif", SITE),
    // Polls per site: the site whose polls a request is about.
    ("public", "GET /v1/polls", SITE),
    ("public", "GET /v1/polls/{id}", SITE),
    ("public", "POST /v1/polls/{id}/votes", SITE),
    ("public", "GET /v1/polls/{id}/results", SITE),
    ("public", "GET /v1/polls/{id}/challenge", SITE),
    ("public", "GET /v1/polls/{id}/events", SITE),
    ("public", "GET /polls", SITE),
    ("public", "GET /polls/{id}", SITE),
    ("public", "POST /polls/{id}", SITE),
    ("public", "GET /polls/{id}/results", SITE),
    // Polls per site: the site whose polls an editor reads or changes.
    ("ops", "GET /admin/polls", SITE),
    ("ops", "POST /admin/polls", SITE),
    ("ops", "GET /admin/polls/{id}", SITE),
    ("ops", "PUT /admin/polls/{id}", SITE),
    ("ops", "DELETE /admin/polls/{id}", SITE),
    ("ops", "POST /admin/polls/{id}/close", SITE),
    ("ops", "POST /admin/polls/{id}/reopen", SITE),
    ("ops", "POST /admin/polls/{id}/archive", SITE),
    ("ops", "GET /admin/polls/{id}/results", SITE),
    ("ops", "GET /admin/polls/{id}/ballots-per-day", SITE),
    // Each site's own audit log.
    ("ops", "GET /admin/audit", SITE),
];

const SITE: &str = r#""site" in "query" required false"#;

/// Operations added since the fixtures were taken, each for a reason.
const ADDED_OPERATIONS: &[(&str, &str)] = &[
    // Drafts (issue 23): a poll saved as a draft is published.
    ("ops", "POST /admin/polls/{id}/publish"),
    // Sites (issue 26): the sites, and each site's visits per day.
    ("ops", "GET /admin/sites"),
    ("ops", "GET /admin/sites/days"),
    // A site's life (issue 26): the removed sites, kept 30 days.
    ("ops", "GET /admin/sites/removed"),
    // A site's life (issue 26): sites created and changed while tally
    // runs, beside the sites file's.
    ("ops", "POST /admin/sites"),
    ("ops", "PUT /admin/sites/{id}"),
    // A created site deleted (issue 26): a removed site, kept 30 days.
    ("ops", "DELETE /admin/sites/{id}"),
];

const JSON: &str = "application/json";

const HTML: &str = "text/html; charset=utf-8";

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[test]
fn the_documents_keep_every_operation_parameter_and_answer_served_before() {
    for (name, document) in [("public", public()), ("ops", ops())] {
        let before = shape(&fixture(name));
        let mut now = shape(&document);
        for (listener, operation, status, media) in ADDED {
            if *listener == name {
                let answers = &mut now.get_mut(*operation).unwrap()["answers"];
                let media_types = answers[*status].as_array_mut().unwrap();
                let had = media_types.len();
                media_types.retain(|m| m != media);
                assert_eq!(
                    media_types.len(),
                    had - 1,
                    "{operation} {status} gained {media}"
                );
                // A status gained whole is gone with its one media type.
                if media_types.is_empty() {
                    answers.as_object_mut().unwrap().remove(*status);
                }
            }
        }
        for (_, operation, parameter) in ADDED_PARAMETERS.iter().filter(|(l, ..)| *l == name) {
            let parameters = now.get_mut(*operation).unwrap()["parameters"]
                .as_array_mut()
                .unwrap();
            let had = parameters.len();
            parameters.retain(|p| p != parameter);
            assert_eq!(parameters.len(), had - 1, "{operation} gained {parameter}");
        }
        for (_, operation) in ADDED_OPERATIONS.iter().filter(|(l, _)| *l == name) {
            assert!(now.remove(*operation).is_some(), "{operation} is served");
        }
        paged::without_paging(name, &mut now);
        let gone: Vec<_> = before.keys().filter(|k| !now.contains_key(*k)).collect();
        let new: Vec<_> = now.keys().filter(|k| !before.contains_key(*k)).collect();
        assert!(
            gone.is_empty() && new.is_empty(),
            "{name}: gone {gone:?}, new {new:?}"
        );
        for (operation, was) in &before {
            assert_eq!(&now[operation], was, "{name}: {operation}");
        }
    }
}
