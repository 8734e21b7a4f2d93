//! Every error a client can see, in one table: its status, its stable code,
//! and its message in each language the site speaks. JSON answers and HTML
//! error pages both come from here.
//!
//! Unexpected errors log their cause and answer an opaque 500; store
//! failures answer 503 `store_unavailable`. Clients never see internals.

use http::{HeaderValue, StatusCode, header};

use super::api::bodies::{
    AlreadyVotedDetail, ErrorBody, ErrorDetail, HiddenDetail, PollConflictDetail,
};
use super::i18n::Lang;
use super::respond::{Response, json_response};
use crate::poll::Shown;

mod table;

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
    /// The poll does not let this visitor see its results now.
    ResultsHidden(Shown),
    /// `TALLY_MAX_STREAMS` live streams are open already.
    TooManyStreams,
    /// The poll asks for a solved challenge and the ballot brought none.
    ChallengeRequired,
    /// The ballot's solution was spent by another ballot.
    ChallengeReplayed,
    /// The ballot's solution does not hold.
    ChallengeFailed(crate::challenge::ChallengeError),
    /// Carries the choice already recorded and the poll's results.
    AlreadyVoted(Box<AlreadyVotedDetail>),
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
    /// A previous counter's history that cannot be read (the line named).
    InvalidImport(String),
    /// Replacing the poll would drop options that hold ballots.
    PollConflict(PollConflictDetail),
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        self.row().status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.row().code
    }

    /// A sentence for a person, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let row = self.row();
        match lang {
            Lang::Vi => row.vi.into_owned(),
            Lang::En => row.en.into_owned(),
        }
    }

    /// The headers that go with the error, whatever the body's form:
    /// `Retry-After`, `RateLimit-*`, `Allow`, `WWW-Authenticate`.
    pub fn headers(&self) -> Vec<(header::HeaderName, HeaderValue)> {
        match *self {
            ApiError::MethodNotAllowed { allow } => {
                vec![(header::ALLOW, HeaderValue::from_static(allow))]
            }
            ApiError::RateLimited {
                retry_after_secs,
                limit,
            } => vec![
                (header::RETRY_AFTER, retry_after_secs.into()),
                (
                    header::HeaderName::from_static("ratelimit-limit"),
                    limit.into(),
                ),
                (
                    header::HeaderName::from_static("ratelimit-remaining"),
                    0.into(),
                ),
                (
                    header::HeaderName::from_static("ratelimit-reset"),
                    retry_after_secs.into(),
                ),
            ],
            ApiError::AddressLimit { retry_after_secs }
            | ApiError::SignInLockedOut { retry_after_secs } => {
                vec![(header::RETRY_AFTER, retry_after_secs.into())]
            }
            ApiError::StoreUnavailable => {
                vec![(header::RETRY_AFTER, HeaderValue::from_static("5"))]
            }
            ApiError::TooManyStreams => {
                vec![(header::RETRY_AFTER, HeaderValue::from_static("30"))]
            }
            ApiError::Unauthorized => {
                vec![(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))]
            }
            _ => Vec::new(),
        }
    }

    /// The error's JSON body, its message in `lang`.
    pub fn body(&self, lang: Lang) -> ErrorBody<'_> {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message(lang),
                already_voted: match self {
                    ApiError::AlreadyVoted(detail) => Some(detail),
                    _ => None,
                },
                conflict: match self {
                    ApiError::PollConflict(detail) => Some(detail),
                    _ => None,
                },
                hidden: match self {
                    ApiError::ResultsHidden(shown) => Some(HiddenDetail::of(*shown)),
                    _ => None,
                },
            },
        }
    }

    /// The error as JSON, its message in `lang`.
    pub fn into_json(self, lang: Lang) -> Response {
        let mut response = json_response(self.status(), &self.body(lang));
        for (name, value) in self.headers() {
            response.headers_mut().insert(name, value);
        }
        response
    }

    /// The error as JSON, in English: for the ops listener and the JSON API.
    pub fn into_response(self) -> Response {
        self.into_json(Lang::En)
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
