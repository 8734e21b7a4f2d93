//! How the API documents describe refusals and what a door adds: the
//! responses of a list of refusals, built from the error table itself
//! (status, code, message, headers, a real body), and the helpers a
//! listener's document uses to add its door's refusals and headers to every
//! operation. A handler declares what it refuses beside itself with
//! [`refusals!`](crate::refusals).

use std::collections::BTreeMap;

use http::StatusCode;
use utoipa::openapi::ContentBuilder;
use utoipa::openapi::OpenApi;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Ref, Type};
use utoipa::{PartialSchema, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::schema::{HtmlPage, PageCsp};
use super::text::Lang;

/// Declares what a handler refuses, beside the door's refusals, as a type
/// its `#[utoipa::path(responses(...))]` names: `refusals!(Name: [errors])`
/// for JSON answers, `refusals!(Name, pages: [errors])` where a browser
/// is answered with a page.
#[macro_export]
macro_rules! refusals {
    ($name:ident: [$($error:expr),* $(,)?]) => {
        $crate::refusals!(@ $name, false, [$($error),*]);
    };
    ($name:ident, pages: [$($error:expr),* $(,)?]) => {
        $crate::refusals!(@ $name, true, [$($error),*]);
    };
    (@ $name:ident, $pages:expr, [$($error:expr),*]) => {
        /// What the handler beside it refuses (its documentation).
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                #[allow(unused_imports)]
                use $crate::edge::error::{ApiError::*, sample::*};
                let refusals: Vec<$crate::edge::doc::Refusal> = vec![$($crate::edge::doc::Refusal {
                    error: $error,
                    as_page: $pages,
                }),*];
                $crate::edge::doc::responses(&refusals)
                    .into_iter()
                    .map(|(status, response)| {
                        (status.as_str().to_owned(), utoipa::openapi::RefOr::T(response))
                    })
                    .collect()
            }
        }
    };
}

/// A refusal a route can answer.
#[derive(Debug)]
pub struct Refusal {
    pub error: ApiError,
    /// Answered as an HTML page to a client that asks for HTML.
    pub as_page: bool,
}

/// The fields an error's body adds beside its code and message.
fn detail_fields(error: &ApiError) -> &'static [&'static str] {
    match error {
        ApiError::AlreadyVoted(_) => &["choices"],
        ApiError::PollConflict(_) => &["options"],
        ApiError::ResultsHidden(_) => &["results_visibility", "closes_at"],
        _ => &[],
    }
}

/// The responses of `refusals`, one per status: the codes each may carry,
/// their messages, the headers they come with, and a real body.
pub fn responses(refusals: &[Refusal]) -> BTreeMap<StatusCode, Response> {
    let mut by_status: BTreeMap<StatusCode, Vec<&Refusal>> = BTreeMap::new();
    for refusal in refusals {
        by_status
            .entry(refusal.error.status())
            .or_default()
            .push(refusal);
    }
    by_status
        .into_iter()
        .map(|(status, group)| (status, response(&group)))
        .collect()
}

fn response(group: &[&Refusal]) -> Response {
    let mut codes: Vec<&'static str> = Vec::new();
    let mut description = String::new();
    let mut headers: BTreeMap<String, Header> = BTreeMap::new();
    for Refusal { error, .. } in group {
        if !codes.contains(&error.code()) {
            codes.push(error.code());
        }
        description.push_str(&format!(
            "- `{}`: {}\n",
            error.code(),
            error.message(Lang::En)
        ));
        for (name, value) in error.headers() {
            let (name, mut header) = header(name.as_str());
            // A route's methods are known: `Allow` says exactly them.
            if name == "Allow"
                && let Ok(value) = value.to_str()
            {
                header.schema = Some(string_schema().enum_values(Some([value])).into());
            }
            headers.insert(name.to_owned(), header);
        }
    }
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes));
    let mut narrowed = ObjectBuilder::new().property("code", code);
    // A detail is promised only where the status carries one code.
    if let [Refusal { error, .. }] = group {
        for field in detail_fields(error) {
            narrowed = narrowed.required(*field);
        }
    }
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name(ErrorBody::name()))
        .item(ObjectBuilder::new().property("error", narrowed));
    let example =
        serde_json::to_value(group[0].error.body(Lang::En)).expect("an error body serializes");
    let mut builder = ResponseBuilder::new()
        .description(description.trim_end())
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(schema))
                .example(Some(example))
                .build(),
        );
    if group.iter().any(|r| r.as_page) {
        builder = builder.content(
            "text/html; charset=utf-8",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(HtmlPage::name())))
                .build(),
        );
        // An error page carries the pages' headers.
        let no_store = HeaderBuilder::new()
            .schema(Some(string_schema()))
            .description(Some("`no-store`."))
            .build();
        let policy = HeaderBuilder::new()
            .schema(Some(PageCsp::schema()))
            .description(Some(
                "As on every page: no script, no inline style; framed only by this service and \
                 `TALLY_ALLOWED_ORIGINS`.",
            ))
            .build();
        headers.entry("Cache-Control".into()).or_insert(no_store);
        headers
            .entry("Content-Security-Policy".into())
            .or_insert(policy);
    }
    for (name, header) in headers {
        builder = builder.header(name, header);
    }
    builder.build()
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// The documentation of a header an error comes with. Every header the
/// error table sends is described here; the unit tests build both
/// documents, so one that is not fails them first.
pub fn header(name: &str) -> (&'static str, Header) {
    let integer = |minimum: i32, description: &str| {
        HeaderBuilder::new()
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(minimum)),
            ))
            .description(Some(description))
            .build()
    };
    let string = |description: &str| {
        HeaderBuilder::new()
            .schema(Some(string_schema()))
            .description(Some(description))
            .build()
    };
    match name {
        "allow" => ("Allow", string("The methods this resource answers.")),
        "retry-after" => (
            "Retry-After",
            integer(1, "Seconds to wait before trying again."),
        ),
        "ratelimit-limit" => (
            "RateLimit-Limit",
            integer(1, "The client's burst: requests it may make at once."),
        ),
        "ratelimit-remaining" => (
            "RateLimit-Remaining",
            integer(0, "Requests left in the client's burst."),
        ),
        "ratelimit-reset" => (
            "RateLimit-Reset",
            integer(1, "Seconds until a request would pass."),
        ),
        "www-authenticate" => ("WWW-Authenticate", string("`Bearer`.")),
        other => panic!("the header {other} is not described"),
    }
}

mod merge;
pub use merge::{absent_is_not_null, on_every_answer, operation, public_headers, refuse};

/// A listener's API document, serialized once, as `GET /openapi.json`
/// answers it.
pub struct Document {
    json: std::sync::OnceLock<bytes::Bytes>,
    cache_control: &'static str,
}

impl Document {
    pub fn new(cache_control: &'static str) -> Self {
        Self {
            json: std::sync::OnceLock::new(),
            cache_control,
        }
    }

    /// Keeps the finished document (once; later calls change nothing).
    pub fn keep(&self, api: &OpenApi) {
        let json = serde_json::to_vec(api).expect("an OpenAPI document serializes");
        let _ = self.json.set(json.into());
    }

    /// The document as an answer.
    pub fn answer(&self) -> super::respond::Response {
        super::respond::bytes_response(
            StatusCode::OK,
            "application/json; charset=utf-8",
            self.cache_control,
            self.json.get().cloned().unwrap_or_default(),
        )
    }
}
