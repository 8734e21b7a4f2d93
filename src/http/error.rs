//! Every error a client can see, in one table: its status, its stable code,
//! and its message in each language the site speaks. JSON answers and HTML
//! error pages both come from here.
//!
//! Unexpected errors log their cause and answer an opaque 500; store
//! failures answer 503 `store_unavailable`. Clients never see internals.

use std::borrow::Cow;

use http::{HeaderValue, StatusCode, header};

use super::api::bodies::{AlreadyVotedDetail, ErrorBody, ErrorDetail, PollConflictDetail};
use super::i18n::Lang;
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
    /// Replacing the poll would drop options that hold ballots.
    PollConflict(PollConflictDetail),
    Internal,
}

/// One row of the table.
struct Row {
    status: StatusCode,
    code: &'static str,
    vi: Cow<'static, str>,
    en: Cow<'static, str>,
}

fn row(
    status: StatusCode,
    code: &'static str,
    vi: impl Into<Cow<'static, str>>,
    en: impl Into<Cow<'static, str>>,
) -> Row {
    Row {
        status,
        code,
        vi: vi.into(),
        en: en.into(),
    }
}

impl ApiError {
    /// The table.
    fn row(&self) -> Row {
        use ApiError::*;
        use StatusCode as S;
        let (vi, en) = (Lang::Vi.text(), Lang::En.text());
        match self {
            NotFound => row(
                S::NOT_FOUND,
                "not_found",
                "Không tìm thấy trang này.",
                "No such resource.",
            ),
            MethodNotAllowed { allow } => row(
                S::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("Thao tác này không được hỗ trợ tại địa chỉ này (cho phép: {allow})."),
                format!("This method is not allowed here; allowed: {allow}."),
            ),
            InvalidJson(why) => row(
                S::BAD_REQUEST,
                "invalid_json",
                format!("Dữ liệu gửi lên không hợp lệ: {why}"),
                format!("The body is not valid JSON for this request: {why}"),
            ),
            InvalidBody(why) => row(
                S::BAD_REQUEST,
                "invalid_body",
                format!("Yêu cầu không hợp lệ: {why}"),
                why.clone(),
            ),
            InvalidPage(why) => row(
                S::BAD_REQUEST,
                "invalid_page",
                format!("Mã trang không hợp lệ: {why}"),
                format!("page: {why}"),
            ),
            InvalidQuery(why) => row(
                S::BAD_REQUEST,
                "invalid_query",
                format!("Tham số không hợp lệ: {why}"),
                why.clone(),
            ),
            InvalidVisitor => row(
                S::BAD_REQUEST,
                "invalid_visitor",
                "Mã khách truy cập (Tally-Visitor) phải gồm 36 chữ số thập lục phân viết thường.",
                "Tally-Visitor must be 36 lowercase hex digits.",
            ),
            UnsupportedMediaType { expected } => row(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("Hãy gửi dữ liệu dạng {expected}."),
                format!("Send the body as {expected}."),
            ),
            PayloadTooLarge { limit } => row(
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("Dữ liệu gửi lên quá lớn (tối đa {limit} byte)."),
                format!("The body is larger than {limit} bytes."),
            ),
            RequestTimeout => row(
                S::REQUEST_TIMEOUT,
                "request_timeout",
                "Yêu cầu mất quá nhiều thời gian. Vui lòng thử lại.",
                "The request took too long. Please try again.",
            ),
            PollNotFound => row(
                S::NOT_FOUND,
                "poll_not_found",
                "Không tìm thấy cuộc bình chọn này.",
                "There is no such poll.",
            ),
            InvalidOption(why) => row(
                S::BAD_REQUEST,
                "invalid_option",
                "Phương án bạn chọn không hợp lệ. Vui lòng tải lại trang và chọn lại.",
                why.clone(),
            ),
            TooManyChoices { max } => row(
                S::BAD_REQUEST,
                "too_many_choices",
                format!("Bạn đã chọn quá số phương án cho phép (tối đa {max})."),
                format!("You chose more options than allowed (at most {max})."),
            ),
            // The pages say these too: one sentence each, in i18n.
            PollClosed { not_yet_open: true } => row(
                S::FORBIDDEN,
                "poll_closed",
                vi.not_yet_open,
                en.not_yet_open,
            ),
            PollClosed { .. } => row(S::FORBIDDEN, "poll_closed", vi.closed, en.closed),
            AlreadyVoted(_) => row(
                S::CONFLICT,
                "already_voted",
                vi.already_voted,
                en.already_voted,
            ),
            AddressLimit { .. } => row(
                S::TOO_MANY_REQUESTS,
                "address_limit_reached",
                "Mạng của bạn đã gửi quá nhiều phiếu hôm nay. Vui lòng thử lại vào ngày mai.",
                "Your network has sent too many votes today. Please try again tomorrow.",
            ),
            OriginNotAllowed => row(
                S::FORBIDDEN,
                "origin_not_allowed",
                "Phiếu bầu phải được gửi từ cổng thông tin.",
                "Requests from this origin are not allowed.",
            ),
            OriginRequired => row(
                S::FORBIDDEN,
                "origin_not_allowed",
                "Phiếu bầu phải được gửi từ một trang của cổng thông tin.",
                "A form post must come from a page of the portal (Origin or Referer).",
            ),
            RateLimited {
                retry_after_secs, ..
            } => row(
                S::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Bạn thao tác quá nhanh. Vui lòng thử lại sau {retry_after_secs} giây."),
                format!("Too many requests. Please try again in {retry_after_secs} s."),
            ),
            StoreUnavailable => row(
                S::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "Hệ thống đang bận, phiếu của bạn chưa được ghi nhận. Vui lòng thử lại sau.",
                "Storage is unavailable; nothing was recorded. Please try again.",
            ),
            Unauthorized => row(
                S::UNAUTHORIZED,
                "unauthorized",
                "Cần mã quản trị hợp lệ.",
                "A valid bearer token is required.",
            ),
            SignInLockedOut { .. } => row(
                S::TOO_MANY_REQUESTS,
                "too_many_failed_sign_ins",
                "Nhập sai mã quá nhiều lần từ địa chỉ này. Vui lòng chờ rồi thử lại.",
                "Too many wrong tokens from this address; wait before trying again.",
            ),
            AdminDisabled => row(
                S::NOT_FOUND,
                "admin_disabled",
                "Chức năng quản trị đang tắt (chưa đặt TALLY_ADMIN_TOKEN).",
                "The admin API is off (TALLY_ADMIN_TOKEN is not set).",
            ),
            InvalidPoll(why) => row(
                S::BAD_REQUEST,
                "invalid_poll",
                format!("Cuộc bình chọn không hợp lệ: {why}"),
                why.clone(),
            ),
            InvalidBaseline(why) => row(
                S::BAD_REQUEST,
                "invalid_baseline",
                format!("Số lượt ban đầu không hợp lệ: {why}"),
                why.clone(),
            ),
            PollConflict(_) => row(
                S::CONFLICT,
                "poll_has_ballots",
                "Các phương án bị bỏ đã có phiếu; thêm ?force=true để xóa chúng.",
                "Options to be removed hold ballots; add ?force=true to delete them.",
            ),
            Internal => row(
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Lỗi hệ thống.",
                "Internal error.",
            ),
        }
    }

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
