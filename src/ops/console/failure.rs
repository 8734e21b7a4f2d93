//! Why a console request failed, answered as a page in the console's
//! language: a refusal of the shared error table, a form refused, or one
//! that does not make sense, in words.

use http::StatusCode;

use super::layout::{Frame, error_page};
use crate::edge::error::ApiError;
use crate::edge::respond::Response;
use crate::editing::EditError;
use crate::history::HistoryError;
use crate::store::StoreError;

/// Why a console request failed, answered as a page.
#[derive(Debug)]
pub enum Failure {
    /// A refusal of the shared error table (`edge/error/table.rs`): the
    /// page says its words in the console's language, and its code.
    Refused(ApiError),
    /// A form without its CSRF token, from elsewhere, or after sign-out.
    Forbidden(&'static str, &'static str),
    /// A form that does not make sense, explained.
    Invalid(String),
    /// The same, in Vietnamese and in English.
    Worded(&'static str, &'static str),
}

impl Failure {
    pub const NOT_FOUND: Failure = Failure::Refused(ApiError::NotFound);
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Refused(e.into())
    }
}

impl From<EditError> for Failure {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound => Failure::NOT_FOUND,
            EditError::ClosesInThePast => Failure::Worded(
                "Thời gian đóng phải ở tương lai.",
                "The closing time must be in the future.",
            ),
            EditError::VotersForgotten => Failure::Worded(
                "Không thể mở lại bình chọn này: nó đã đóng quá lâu, tally đã xoá (hoặc sắp xoá) \
                 danh sách người đã bình chọn, nên họ có thể bình chọn lần hai.",
                "This poll cannot reopen: it closed so long ago that tally has deleted (or is \
                 about to delete) who voted, so they could vote twice.",
            ),
            EditError::DraftWithBallots => Failure::Refused(ApiError::PublishedWithBallots),
            EditError::Store(e) => e.into(),
        }
    }
}

impl From<HistoryError> for Failure {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Store(e) => e.into(),
            HistoryError::Unsettled(e) => {
                tracing::warn!(error = %e, "console: import outcome unknown");
                Failure::Refused(ApiError::ImportUnsettled)
            }
            other => Failure::Invalid(other.to_string()),
        }
    }
}

impl Failure {
    pub(super) fn answer(self, frame: &Frame) -> Response {
        let (status, message, code) = match self {
            Failure::Refused(error) => (
                error.status(),
                error.message(frame.lang),
                Some(error.code()),
            ),
            Failure::Forbidden(vi, en) => (StatusCode::FORBIDDEN, frame.t(vi, en).to_owned(), None),
            Failure::Invalid(why) => (StatusCode::BAD_REQUEST, why, None),
            Failure::Worded(vi, en) => (StatusCode::BAD_REQUEST, frame.t(vi, en).to_owned(), None),
        };
        error_page(frame, status, &message, code)
    }
}
