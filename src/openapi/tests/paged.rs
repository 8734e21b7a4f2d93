//! What the lists of polls gained when they began to answer a page at a
//! time (issue 30): the optional `offset` and `limit` query parameters,
//! set aside before today's documents are compared with those of before.

use std::collections::BTreeMap;

use serde_json::Value;

/// The lists, by listener and operation.
const PAGED: &[(&str, &str)] = &[
    ("public", "GET /v1/polls"),
    ("public", "GET /polls"),
    ("ops", "GET /admin/polls"),
];

/// Takes `offset` and `limit` out of the paged operations of the
/// `listener`'s `shape`, each found there.
pub(super) fn without_paging(listener: &str, shape: &mut BTreeMap<String, Value>) {
    for (_, operation) in PAGED.iter().filter(|(l, _)| *l == listener) {
        let parameters = shape.get_mut(*operation).unwrap()["parameters"]
            .as_array_mut()
            .unwrap();
        for name in ["offset", "limit"] {
            let gained = format!("\"{name}\" in \"query\" required false");
            let at = parameters.iter().position(|p| *p == gained.as_str());
            parameters.remove(at.unwrap_or_else(|| panic!("{operation} has no {name}")));
        }
    }
}
