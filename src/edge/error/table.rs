//! The error table itself: for each refusal its status, its stable code and
//! its message in Vietnamese and English.

use std::borrow::Cow;

use http::StatusCode;

use super::ApiError;
use crate::edge::text::{Lang, text};
use crate::poll::Shown;

/// One row of the table.
pub(super) struct Row {
    pub(super) status: StatusCode,
    pub(super) code: &'static str,
    pub(super) vi: Cow<'static, str>,
    pub(super) en: Cow<'static, str>,
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
    pub(super) fn row(&self) -> Row {
        use ApiError::*;
        use StatusCode as S;
        let (vi, en) = (text(Lang::Vi), text(Lang::En));
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
                "Mã khách truy cập (Tally-Visitor) phải đúng 36 chữ số thập lục phân viết thường, gửi một lần, không kèm khoảng trắng.",
                "Tally-Visitor must be exactly 36 lowercase hex digits, sent once, with nothing around them.",
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
            SiteNotFound => row(
                S::NOT_FOUND,
                "site_not_found",
                "Không tìm thấy trang thông tin này (tham số site).",
                "There is no such site (the site parameter).",
            ),
            SiteRequired => row(
                S::BAD_REQUEST,
                "site_required",
                "Thiếu tên trang thông tin (tham số site, data-site của tiện ích).",
                "The request must name its site (the site parameter; the widget's data-site).",
            ),
            ForeignOrigin => row(
                S::FORBIDDEN,
                "foreign_origin",
                "Trang này không thuộc trang thông tin được nêu (tham số site): phiếu không được tính.",
                "This page is not one of the named site's (the site parameter): the ballot is not counted.",
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
            ResultsHidden(shown) => {
                let (vi_why, en_why) = match shown {
                    Shown::AfterVote => (vi.results_after_vote, en.results_after_vote),
                    Shown::Never => (vi.results_never, en.results_never),
                    _ => (vi.results_after_close, en.results_after_close),
                };
                row(S::FORBIDDEN, "results_hidden", vi_why, en_why)
            }
            TooManyStreams => row(
                S::SERVICE_UNAVAILABLE,
                "too_many_streams",
                "Quá nhiều người đang xem trực tiếp. Kết quả vẫn xem được khi tải lại trang.",
                "Too many live views are open; the results can still be read by reloading.",
            ),
            TooManyStreamsFromAddress { most } => row(
                S::TOO_MANY_REQUESTS,
                "too_many_streams_from_address",
                format!(
                    "Mạng của bạn đang mở quá nhiều trang xem kết quả trực tiếp (tối đa {most}). Hãy đóng bớt; kết quả vẫn xem được khi tải lại trang."
                ),
                format!(
                    "Your address has too many live views open (at most {most}); close one, or read the results by reloading."
                ),
            ),
            ChallengeRequired => row(
                S::FORBIDDEN,
                "challenge_required",
                "Phiếu bầu cần kèm lời giải của thử thách chống bỏ phiếu tự động. Vui lòng tải lại trang và thử lại.",
                "This poll asks each ballot to carry a solved challenge (GET /v1/polls/{id}/challenge).",
            ),
            ChallengeReplayed => row(
                S::FORBIDDEN,
                "challenge_replayed",
                "Lời giải này đã được dùng cho một phiếu khác. Vui lòng thử lại.",
                "This challenge's solution was already used by another ballot; fetch a new challenge.",
            ),
            FormPaused => row(
                S::SERVICE_UNAVAILABLE,
                "form_paused",
                "Cuộc bình chọn đang nhận nhiều phiếu bất thường nên tạm ngừng nhận phiếu từ trình duyệt không chạy JavaScript. Vui lòng bật JavaScript hoặc thử lại sau ít phút.",
                "This poll is taking unusual traffic, so ballots without JavaScript are paused for now. Enable JavaScript, or try again in a few minutes.",
            ),
            ChallengeFailed(e) => {
                use crate::challenge::ChallengeError as C;
                let status = if *e == C::Malformed {
                    S::BAD_REQUEST
                } else {
                    S::FORBIDDEN
                };
                let en = match e {
                    C::Malformed => "The challenge solution is not well formed.",
                    C::Invalid => "The challenge solution does not hold.",
                    C::Expired => "The challenge has expired; fetch a new one.",
                    C::OtherPoll => "The challenge was issued for another poll.",
                    C::TooEasy => {
                        "The challenge is easier than the level asked now; fetch a new one."
                    }
                };
                row(
                    status,
                    e.code(),
                    "Không xác minh được phiếu bầu. Vui lòng thử lại.",
                    en,
                )
            }
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
            ForbiddenRole => row(
                S::FORBIDDEN,
                "forbidden_role",
                "Vai trò của bạn không được phép làm việc này; không có gì thay đổi.",
                "Your role may not do this; nothing changed.",
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
                "Chức năng quản trị đang tắt (chưa đặt TALLY_ADMIN_TOKEN hay TALLY_ADMIN_TOKENS).",
                "The admin API is off (neither TALLY_ADMIN_TOKEN nor TALLY_ADMIN_TOKENS is set).",
            ),
            InvalidPoll(why) => row(
                S::BAD_REQUEST,
                "invalid_poll",
                format!("Cuộc bình chọn không hợp lệ: {why}"),
                why.clone(),
            ),
            InvalidCharacter(bad) => {
                let (vi, en) = bad.words();
                row(S::BAD_REQUEST, "invalid_character", vi, en)
            }
            InvalidBaseline(why) => row(
                S::BAD_REQUEST,
                "invalid_baseline",
                format!("Số lượt ban đầu không hợp lệ: {why}"),
                why.clone(),
            ),
            InvalidImport(why) => row(
                S::BAD_REQUEST,
                "invalid_import",
                format!("Không đọc được tệp lịch sử (mỗi dòng: ngày,lượt truy cập): {why}"),
                format!("The history file cannot be read (each line: date,visits): {why}"),
            ),
            ImportUnsettled => row(
                S::GATEWAY_TIMEOUT,
                "import_unsettled",
                "Kho dữ liệu ngừng trả lời trước khi biết kết quả: hoặc mọi ngày trong tệp đã được nhập, hoặc không ngày nào. Xem lịch sử truy cập hoặc nhật ký; nhập lại cùng tệp là an toàn.",
                "The store stopped answering before the import's outcome was known: every day of the file is in, or none. The history and the audit log show which; importing the same file again is safe.",
            ),
            PollConflict(_) => row(
                S::CONFLICT,
                "poll_has_ballots",
                "Các phương án bị bỏ đã có phiếu; thêm ?force=true để xóa chúng.",
                "Options to be removed hold ballots; add ?force=true to delete them.",
            ),
            PublishedWithBallots => row(
                S::CONFLICT,
                "published_with_ballots",
                "Câu hỏi đã có phiếu bầu nên không thể chuyển về bản nháp; có thể đóng hoặc lưu trữ câu hỏi.",
                "The poll already has ballots, so it cannot go back to draft; close or archive it instead.",
            ),
            InvalidSite(why) => row(
                S::BAD_REQUEST,
                "invalid_site",
                format!("Trang thông tin không hợp lệ: {why}"),
                why.clone(),
            ),
            SiteTaken(why) => row(
                S::CONFLICT,
                "site_taken",
                format!("Mã trang thông tin đã được dùng: {why}"),
                format!("The site id is taken: {why}"),
            ),
            SiteInFile => row(
                S::CONFLICT,
                "site_in_file",
                "Trang này được khai báo trong tệp trang thông tin (TALLY_SITES_FILE), tệp sẽ ghi đè khi khởi động lại: hãy sửa trong tệp.",
                "This site is defined in the sites file (TALLY_SITES_FILE), which would set it back at the next start: change it in the file.",
            ),
            SiteHasChildren => row(
                S::CONFLICT,
                "site_has_children",
                "Trang này còn trang con: hãy xoá hoặc chuyển các trang con trước.",
                "This site has sites below it: delete or move them first.",
            ),
            SitesFileRequired => row(
                S::CONFLICT,
                "sites_file_required",
                "Triển khai này chưa có tệp trang thông tin (TALLY_SITES_FILE) nên chỉ có một trang; hãy khai báo trang cổng tỉnh trong tệp trước.",
                "This deployment has no sites file (TALLY_SITES_FILE) and serves its one site; define the province's portal in a sites file first.",
            ),
            Internal => row(
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Lỗi hệ thống.",
                "Internal error.",
            ),
        }
    }
}
