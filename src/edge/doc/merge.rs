//! What a listener's document adds to the operations behind its door: the
//! refusals each can answer, merged into the answers the operation declares
//! (codes and contents together), and the headers on every answer.

use http::Method;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

use super::{Refusal, header, responses};

/// The operation `method` on `template`, if the document has it.
pub fn operation<'a>(
    api: &'a mut OpenApi,
    template: &str,
    method: &Method,
) -> Option<&'a mut Operation> {
    let item = api.paths.paths.get_mut(template)?;
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        _ => None,
    }
}

/// Makes what may be left out of a request (`Option` in the
/// declarations) optional rather than `null`: a parameter or a body is
/// absent or has a value, and `required` already says which.
pub fn absent_is_not_null(api: &mut OpenApi) {
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter
                    && let Some(schema) = parameter.schema.as_mut()
                {
                    not_null(schema);
                }
            }
            if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = content.schema.as_mut()
                    {
                        not_null(schema);
                    }
                }
            }
        }
    }
}

/// `oneOf: [X, {type: null}]` becomes `X`, `type: [T, null]` becomes `T`.
fn not_null(schema: &mut RefOr<Schema>) {
    match schema {
        RefOr::T(Schema::OneOf(one_of)) => {
            let null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
            one_of.items.retain(|item| !null(item));
            if let [only] = one_of.items.as_slice() {
                *schema = only.clone();
            }
        }
        RefOr::T(Schema::Object(object)) => {
            if let SchemaType::Array(types) = &mut object.schema_type {
                types.retain(|t| *t != Type::Null);
                if let [only] = types.as_slice() {
                    object.schema_type = SchemaType::Type(only.clone());
                }
            }
        }
        _ => {}
    }
}

/// Adds `refusals` to the operation's answers. Where the operation already
/// declares an answer with the same status (a page, say), the two are one
/// answer with both contents.
pub fn refuse(api: &mut OpenApi, template: &str, method: &Method, refusals: &[Refusal]) {
    let Some(operation) = operation(api, template, method) else {
        return;
    };
    for (status, refused) in responses(refusals) {
        let answers = &mut operation.responses.responses;
        match answers.get_mut(status.as_str()) {
            Some(RefOr::T(declared)) => merge(declared, refused),
            _ => {
                answers.insert(status.as_str().to_owned(), RefOr::T(refused));
            }
        }
    }
}

/// One answer of `declared` and `refused` (same status): both
/// descriptions, every content (where both are refusals, the codes of
/// both), every header.
fn merge(declared: &mut Response, refused: Response) {
    let both_refusals = refusal_codes(declared).is_some();
    declared.description = if both_refusals {
        format!("{}\n{}", declared.description, refused.description)
    } else {
        format!("{}\n\n{}", declared.description, refused.description)
    };
    let codes = refusal_codes(&refused).unwrap_or_default();
    for (media, content) in refused.content {
        match declared.content.get_mut(&media) {
            Some(kept) => {
                let mut value = serde_json::to_value(&*kept).expect("content serializes");
                if let Some(list) = value
                    .pointer_mut("/schema/allOf/1/properties/error/properties/code/enum")
                    .and_then(serde_json::Value::as_array_mut)
                {
                    for code in &codes {
                        if !list.iter().any(|c| c == code) {
                            list.push(serde_json::Value::from(code.as_str()));
                        }
                    }
                    // A detail is promised only where the status carries
                    // one code.
                    if list.len() > 1
                        && let Some(error) = value.pointer_mut("/schema/allOf/1/properties/error")
                        && let Some(object) = error.as_object_mut()
                    {
                        object.remove("required");
                    }
                }
                *kept = serde_json::from_value(value).expect("content deserializes");
            }
            None => {
                declared.content.insert(media, content);
            }
        }
    }
    for (name, header) in refused.headers {
        declared.headers.entry(name).or_insert(header);
    }
}

/// The codes an answer's JSON refusal narrows `Error` to, if it is one.
fn refusal_codes(answer: &Response) -> Option<Vec<String>> {
    let json = answer.content.get("application/json")?;
    let value = serde_json::to_value(json).ok()?;
    let codes = value
        .pointer("/schema/allOf/1/properties/error/properties/code/enum")?
        .as_array()?
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    Some(codes)
}

/// Adds `headers` to every answer of the operation.
pub fn on_every_answer(
    api: &mut OpenApi,
    template: &str,
    method: &Method,
    headers: Vec<(&'static str, Header)>,
) {
    let Some(operation) = operation(api, template, method) else {
        return;
    };
    for answer in operation.responses.responses.values_mut() {
        if let RefOr::T(answer) = answer {
            for (name, header) in &headers {
                answer
                    .headers
                    .entry((*name).to_owned())
                    .or_insert_with(|| RefOr::T(header.clone()));
            }
        }
    }
}

/// The headers the public listener puts on every answer.
pub fn public_headers() -> Vec<(&'static str, Header)> {
    let nosniff = HeaderBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["nosniff"])),
        ))
        .description(Some("On every answer."))
        .build();
    vec![
        ("X-Content-Type-Options", nosniff),
        header("ratelimit-limit"),
        header("ratelimit-remaining"),
    ]
}
