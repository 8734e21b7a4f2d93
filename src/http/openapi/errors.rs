//! The refusals the documents describe, built from samples of [`ApiError`]:
//! the status, code, message, headers and body of every documented error
//! are the error table's own.

use std::collections::BTreeMap;

use http::StatusCode;
use utoipa::ToSchema;
use utoipa::openapi::ContentBuilder;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Ref, Type};

use super::schemas::HtmlPage;
use crate::challenge::ChallengeError;
use crate::config::MAX_BASELINE;
use crate::http::api::bodies::{
    AlreadyVotedDetail, ErrorBody, HeldOption, OptionResultBody, PercentBase, PollConflictDetail,
    ResultsBody,
};
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::ids::{IdError, OptionId, PAGE_ID_MAX_BYTES, PollId};
use crate::poll::{PollError, PollStatus};

/// The largest body the public listener reads by default
/// (`TALLY_MAX_BODY_BYTES`), as the samples say it.
const DEFAULT_MAX_BODY_BYTES: usize = 4096;
/// The largest admin body.
pub const ADMIN_MAX_BODY_BYTES: usize = 64 * 1024;

fn option(id: &str) -> OptionId {
    OptionId::parse(id).expect("a sample option id is well formed")
}

/// Sample results of the site poll.
pub fn sample_results() -> ResultsBody {
    let options = [
        ("rat-tot", "Rất tốt", 5, 41.7),
        ("tot", "Tốt", 4, 33.3),
        ("binh-thuong", "Bình thường", 2, 16.7),
        ("chua-tot", "Chưa tốt", 1, 8.3),
    ];
    ResultsBody {
        poll: PollId::parse("danh-gia-cong").expect("a sample poll id is well formed"),
        question: "Bạn đánh giá như thế nào về cổng thông tin này?".into(),
        status: PollStatus::Open,
        total_votes: 12,
        total_voters: 12,
        percent_base: PercentBase::Votes,
        options: options
            .into_iter()
            .map(|(id, label, votes, percent)| OptionResultBody {
                id: option(id),
                label: label.into(),
                votes,
                percent,
            })
            .collect(),
    }
}

/// Samples of the errors that carry a value.
pub mod sample;

/// One of each error a client can see.
pub fn every() -> Vec<ApiError> {
    use ApiError::*;
    let all = vec![
        NotFound,
        sample::method_not_allowed("GET, HEAD"),
        sample::invalid_json(),
        sample::invalid_body(),
        sample::invalid_page(),
        sample::invalid_query(),
        InvalidVisitor,
        sample::unsupported_media_type("application/json"),
        sample::payload_too_large(),
        RequestTimeout,
        PollNotFound,
        sample::invalid_option(),
        sample::too_many_choices(),
        sample::closed(),
        sample::not_yet_open(),
        sample::already_voted(),
        sample::address_limit(),
        sample::results_hidden(),
        ChallengeRequired,
        ChallengeReplayed,
        ChallengeFailed(ChallengeError::Malformed),
        ChallengeFailed(ChallengeError::Invalid),
        ChallengeFailed(ChallengeError::Expired),
        ChallengeFailed(ChallengeError::OtherPoll),
        OriginNotAllowed,
        OriginRequired,
        sample::rate_limited(),
        StoreUnavailable,
        TooManyStreams,
        Unauthorized,
        sample::locked_out(),
        AdminDisabled,
        sample::invalid_poll(),
        sample::invalid_baseline(),
        sample::invalid_import(),
        sample::poll_has_ballots(),
        Internal,
    ];
    debug_assert!(all.iter().all(sampled));
    all
}

/// Every variant, without a wildcard: a new error does not compile until
/// it is sampled in [`every`] and listed here.
fn sampled(error: &ApiError) -> bool {
    use ApiError::*;
    match error {
        NotFound
        | MethodNotAllowed { .. }
        | InvalidJson(_)
        | InvalidBody(_)
        | InvalidPage(_)
        | InvalidQuery(_)
        | InvalidVisitor
        | UnsupportedMediaType { .. }
        | PayloadTooLarge { .. }
        | RequestTimeout
        | PollNotFound
        | InvalidOption(_)
        | TooManyChoices { .. }
        | PollClosed { .. }
        | AlreadyVoted(_)
        | ResultsHidden(_)
        | TooManyStreams
        | ChallengeRequired
        | ChallengeReplayed
        | ChallengeFailed(_)
        | AddressLimit { .. }
        | OriginNotAllowed
        | OriginRequired
        | RateLimited { .. }
        | StoreUnavailable
        | Unauthorized
        | SignInLockedOut { .. }
        | AdminDisabled
        | InvalidPoll(_)
        | InvalidBaseline(_)
        | InvalidImport(_)
        | PollConflict(_)
        | Internal => true,
    }
}

/// Every error code, once each, in the table's order.
pub fn codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = Vec::new();
    for error in every() {
        if !codes.contains(&error.code()) {
            codes.push(error.code());
        }
    }
    codes
}

/// A refusal a route can answer.
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
