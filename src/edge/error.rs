//! Every error a client can see, in one table: its status, its stable code,
//! and its message in each language the site speaks. JSON answers and HTML
//! error pages both come from here.
//!
//! Unexpected errors log their cause and answer an opaque 500; store
//! failures answer 503 `store_unavailable`. Clients never see internals.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use super::text::Lang;
use crate::pacing::{LOG_EVERY, LogGate};
use crate::poll::Shown;

mod body;
pub mod sample;
mod table;

pub use body::{
    AlreadyVotedDetail, ErrorBody, ErrorDetail, ErrorDetailSchema, HeldOption, HiddenDetail,
    PollConflictDetail,
};

/// A refusal, as the client sees it.
#[derive(Debug)]
pub enum ApiError {
    NotFound,
    MethodNotAllowed {
        allow: String,
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
    /// The request names a site this deployment does not serve.
    SiteNotFound,
    /// Sites are configured and the request names none.
    SiteRequired,
    /// A ballot naming a site, from a page that is not one of its origins.
    ForeignOrigin,
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
    /// The client's address holds its share of live streams
    /// (`TALLY_MAX_STREAMS_PER_ADDRESS`).
    TooManyStreamsFromAddress {
        most: usize,
    },
    /// The poll asks for a solved challenge and the ballot brought none.
    ChallengeRequired,
    /// The ballot's solution was spent by another ballot.
    ChallengeReplayed,
    /// The ballot's solution does not hold.
    ChallengeFailed(crate::challenge::ChallengeError),
    /// A form ballot (no JavaScript, no challenge) in a poll whose level is
    /// raised for the ballot's network: paused until it is calm again.
    FormPaused,
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
    /// A correct token (or console session) whose role may not do this:
    /// a viewer changing anything, an editor the deployment's operations.
    ForbiddenRole,
    /// A wrong admin token from an address that sent too many and must
    /// wait between them (a correct token is never refused).
    SignInLockedOut {
        retry_after_secs: u64,
    },
    AdminDisabled,
    InvalidPoll(String),
    /// A poll's question or label holds a control or direction-changing
    /// character (which field, which character).
    InvalidCharacter(crate::poll::BadCharacter),
    InvalidBaseline(String),
    /// A previous counter's history that cannot be read (the line named).
    InvalidImport(String),
    /// An import whose outcome the store did not say in time: every day
    /// is in, or none.
    ImportUnsettled,
    /// Replacing the poll would drop options that hold ballots.
    PollConflict(PollConflictDetail),
    /// A published poll that holds ballots cannot go back to draft.
    PublishedWithBallots,
    /// A site's definition that cannot be served (the field and why).
    InvalidSite(String),
    /// A site's id already taken: by a site, an alias, or a removed
    /// site whose data is still kept (which one).
    SiteTaken(String),
    /// A site of the sites file, which the file would set back at the
    /// next start: it is changed in the file.
    SiteInFile,
    /// A site with sites below it, which would be left without a parent.
    SiteHasChildren,
    /// Sites are created beside a sites file's: a deployment without
    /// one serves the one site `default`.
    SitesFileRequired,
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
            ApiError::MethodNotAllowed { ref allow } => HeaderValue::from_str(allow)
                .map(|v| vec![(header::ALLOW, v)])
                .unwrap_or_default(),
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
            ApiError::TooManyStreams | ApiError::TooManyStreamsFromAddress { .. } => {
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
    pub fn to_json(&self, lang: Lang) -> Response {
        let body = serde_json::to_vec(&self.body(lang)).expect("an error body serializes");
        let mut response = Response::new(axum::body::Body::from(body));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.headers() {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// A refusal a handler answered, carried on its answer to the listener's
/// door, which renders it the way the request asked (JSON or a page, in
/// the site's language or the one `?lang=` asks for).
#[derive(Debug, Clone)]
pub struct Refused(pub Arc<ApiError>);

impl IntoResponse for ApiError {
    /// The status and the refusal, to be rendered by the door (a handler
    /// has no view of the request's language or of what it accepts).
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(Refused(Arc::new(self)));
        response
    }
}

/// Each request a store outage refuses would log a line: one in a while
/// is written, saying how many were not.
static STORE_UNAVAILABLE_LINE: LogGate = LogGate::new(LOG_EVERY);

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(why) => {
                if let Some(held) = STORE_UNAVAILABLE_LINE.pass() {
                    tracing::warn!(error = %why, not_logged_since_last = held, "store unavailable");
                }
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
