//! Every error a client can see: one code, one status, one place.
//!
//! Unexpected errors log their cause chain and answer an opaque 500; store
//! failures answer 503 `store_unavailable`. Clients never see internals.

use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use super::respond::{Response, json_response};

/// A refusal, as the client sees it.
#[derive(Debug)]
pub enum ApiError {
    NotFound,
    MethodNotAllowed {
        allow: &'static str,
    },
    InvalidJson(String),
    InvalidBody(String),
    InvalidPage(String),
    InvalidQuery(String),
    /// `Tally-Visitor` is not a well-formed visitor id.
    InvalidVisitor,
    UnsupportedMediaType {
        expected: &'static str,
    },
    PayloadTooLarge {
        limit: usize,
    },
    RequestTimeout,
    PollNotFound,
    InvalidOption(String),
    TooManyChoices {
        max: u32,
    },
    PollClosed {
        not_yet_open: bool,
    },
    /// Carries the poll's results and the choice already recorded.
    AlreadyVoted(Value),
    AddressLimit {
        retry_after_secs: u64,
    },
    OriginNotAllowed,
    /// A form post that names no origin (`Origin` or `Referer`).
    OriginRequired,
    RateLimited {
        retry_after_secs: u64,
        limit: u32,
    },
    StoreUnavailable,
    Unauthorized,
    /// Too many wrong admin tokens from this address.
    SignInLockedOut {
        retry_after_secs: u64,
    },
    AdminDisabled,
    InvalidPoll(String),
    InvalidBaseline(String),
    /// Replacing the poll would drop options that hold ballots.
    PollConflict(Value),
    Internal,
}

impl ApiError {
    /// The status and the stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use ApiError::*;
        match self {
            NotFound => (StatusCode::NOT_FOUND, "not_found"),
            MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            InvalidBody(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
            InvalidPage(_) => (StatusCode::BAD_REQUEST, "invalid_page"),
            InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            InvalidVisitor => (StatusCode::BAD_REQUEST, "invalid_visitor"),
            UnsupportedMediaType { .. } => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            PollNotFound => (StatusCode::NOT_FOUND, "poll_not_found"),
            InvalidOption(_) => (StatusCode::BAD_REQUEST, "invalid_option"),
            TooManyChoices { .. } => (StatusCode::BAD_REQUEST, "too_many_choices"),
            PollClosed { .. } => (StatusCode::FORBIDDEN, "poll_closed"),
            AlreadyVoted(_) => (StatusCode::CONFLICT, "already_voted"),
            AddressLimit { .. } => (StatusCode::TOO_MANY_REQUESTS, "address_limit_reached"),
            OriginNotAllowed | OriginRequired => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            StoreUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            SignInLockedOut { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_failed_sign_ins"),
            AdminDisabled => (StatusCode::NOT_FOUND, "admin_disabled"),
            InvalidPoll(_) => (StatusCode::BAD_REQUEST, "invalid_poll"),
            InvalidBaseline(_) => (StatusCode::BAD_REQUEST, "invalid_baseline"),
            PollConflict(_) => (StatusCode::CONFLICT, "poll_has_ballots"),
            Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// A sentence for a person.
    pub fn message(&self) -> String {
        use ApiError::*;
        match self {
            NotFound => "no such resource".into(),
            MethodNotAllowed { allow } => format!("method not allowed here; allowed: {allow}"),
            InvalidJson(why) => format!("the body is not valid JSON for this request: {why}"),
            InvalidBody(why) => why.clone(),
            InvalidPage(why) => format!("page: {why}"),
            InvalidQuery(why) => why.clone(),
            InvalidVisitor => "Tally-Visitor must be 36 lowercase hex digits".into(),
            UnsupportedMediaType { expected } => format!("send the body as {expected}"),
            PayloadTooLarge { limit } => format!("the body is larger than {limit} bytes"),
            RequestTimeout => "the request took too long".into(),
            PollNotFound => "no such poll".into(),
            InvalidOption(why) => why.clone(),
            TooManyChoices { max } => format!("choose at most {max} options"),
            PollClosed { not_yet_open: true } => "this poll is not open yet".into(),
            PollClosed { .. } => "this poll is closed".into(),
            AlreadyVoted(_) => "this visitor has already voted in this poll".into(),
            AddressLimit { .. } => {
                "too many ballots from this network today; try again tomorrow".into()
            }
            OriginNotAllowed => "requests from this origin are not allowed".into(),
            OriginRequired => {
                "a form post must come from a page of the portal (Origin or Referer)".into()
            }
            RateLimited { .. } => "too many requests; slow down".into(),
            StoreUnavailable => "storage is unavailable; nothing was recorded, try again".into(),
            Unauthorized => "a valid bearer token is required".into(),
            SignInLockedOut { .. } => {
                "too many wrong tokens from this address; wait before trying again".into()
            }
            AdminDisabled => "the admin API is off (TALLY_ADMIN_TOKEN is not set)".into(),
            InvalidPoll(why) | InvalidBaseline(why) => why.clone(),
            PollConflict(_) => {
                "options to be removed hold ballots; add ?force=true to delete them".into()
            }
            Internal => "internal error".into(),
        }
    }

    pub fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut body = json!({ "error": { "code": code, "message": self.message() } });
        match &self {
            ApiError::AlreadyVoted(details) | ApiError::PollConflict(details) => {
                if let (Some(error), Value::Object(extra)) =
                    (body["error"].as_object_mut(), details)
                {
                    error.extend(extra.clone());
                }
            }
            _ => {}
        }
        let mut response = json_response(status, &body);
        let headers = response.headers_mut();
        match self {
            ApiError::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            ApiError::RateLimited {
                retry_after_secs,
                limit,
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                headers.insert("ratelimit-limit", HeaderValue::from(limit));
                headers.insert("ratelimit-remaining", HeaderValue::from(0));
                headers.insert("ratelimit-reset", HeaderValue::from(retry_after_secs));
            }
            ApiError::AddressLimit { retry_after_secs }
            | ApiError::SignInLockedOut { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            ApiError::StoreUnavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "store unavailable");
                ApiError::StoreUnavailable
            }
            crate::store::StoreError::Credentials(why) => {
                tracing::error!(error = %why, "the store refused tally's credentials");
                ApiError::StoreUnavailable
            }
            crate::store::StoreError::Corrupt(why) => {
                tracing::error!(error = %why, "unreadable data in the store");
                ApiError::Internal
            }
        }
    }
}
