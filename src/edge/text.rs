//! The words and number formats of the pages and the badge: Vietnamese by
//! default, English on request. Error messages are in `error.rs`, beside
//! their codes.

pub use crate::lang::Lang;

/// A phrase in `lang`: `vi` in Vietnamese, `en` in English. Every message
/// that has no row of its own in a table says itself this way, both
/// languages side by side.
pub fn tr(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The phrases of `lang`.
pub fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// Every phrase of the pages.
pub struct Text {
    pub poll_title: &'static str,
    pub submit: &'static str,
    pub see_results: &'static str,
    pub results_title: &'static str,
    pub total_votes: &'static str,
    pub votes: &'static str,
    pub choose_up_to: &'static str,
    pub back_to_poll: &'static str,
    pub thanks: &'static str,
    pub already_voted: &'static str,
    pub closed: &'static str,
    pub not_yet_open: &'static str,
    pub choose_one: &'static str,
    pub too_many: &'static str,
    pub error_title: &'static str,
    pub error_code: &'static str,
    /// The badge's label for a page's views.
    pub views: &'static str,
    /// The badge's label for the site's visits.
    pub visits: &'static str,
    pub back_to_article: &'static str,
    pub portal_home: &'static str,
    pub archive_title: &'static str,
    pub archive_open: &'static str,
    pub archive_upcoming: &'static str,
    pub archive_closed: &'static str,
    pub archive_empty: &'static str,
    /// Before a date: "closed at …".
    pub closed_at: &'static str,
    /// Before a date: "opens at …".
    pub opens_at: &'static str,
    /// Before a date: "closes at …".
    pub closes_at: &'static str,
    pub results_after_vote: &'static str,
    /// Before a date, or alone when the poll has none.
    pub results_after_close: &'static str,
    pub results_never: &'static str,
    /// After an option's label: "(your choice)".
    pub your_choice: &'static str,
    /// Before the options a voter chose, at the start of a sentence.
    pub you_chose: &'static str,
    pub total_voters: &'static str,
    pub percent_of_votes: &'static str,
    pub home_title: &'static str,
    pub home_intro: &'static str,
    pub home_demo: &'static str,
    pub home_api: &'static str,
}

const VI: Text = Text {
    poll_title: "Bình chọn",
    submit: "Gửi bình chọn",
    see_results: "Xem kết quả",
    results_title: "Kết quả bình chọn",
    total_votes: "Tổng số phiếu",
    votes: "phiếu",
    choose_up_to: "Chọn tối đa",
    back_to_poll: "Quay lại bình chọn",
    thanks: "Cảm ơn bạn đã tham gia bình chọn!",
    already_voted: "Bạn đã bình chọn cho câu hỏi này rồi. Cảm ơn bạn!",
    closed: "Cuộc bình chọn đã kết thúc.",
    not_yet_open: "Cuộc bình chọn chưa bắt đầu.",
    choose_one: "Vui lòng chọn ít nhất một phương án.",
    too_many: "Bạn đã chọn quá số phương án cho phép.",
    error_title: "Không thể thực hiện",
    error_code: "Mã lỗi",
    views: "Lượt xem",
    visits: "Số lượt truy cập",
    back_to_article: "Quay lại bài viết",
    portal_home: "Trang chủ cổng thông tin",
    archive_title: "Các cuộc bình chọn",
    archive_open: "Đang diễn ra",
    archive_upcoming: "Sắp diễn ra",
    archive_closed: "Đã kết thúc",
    archive_empty: "Chưa có cuộc bình chọn nào.",
    closed_at: "Kết thúc lúc",
    opens_at: "Bắt đầu lúc",
    closes_at: "Kết thúc lúc",
    results_after_vote: "Kết quả sẽ hiển thị sau khi bạn bình chọn.",
    results_after_close: "Kết quả sẽ được công bố khi cuộc bình chọn kết thúc",
    results_never: "Kết quả của cuộc bình chọn này không được công bố.",
    your_choice: "Lựa chọn của bạn",
    you_chose: "Lựa chọn của bạn",
    total_voters: "Số người bình chọn",
    percent_of_votes: "Tỷ lệ tính trên tổng số phiếu.",
    home_title: "Bộ đếm truy cập và bình chọn",
    home_intro: "Dịch vụ này đếm lượt truy cập, lượt xem bài viết và tổ chức bình chọn cho cổng thông tin.",
    home_demo: "Trang trình diễn",
    home_api: "Tài liệu API (OpenAPI)",
};

const EN: Text = Text {
    poll_title: "Poll",
    submit: "Submit vote",
    see_results: "See results",
    results_title: "Poll results",
    total_votes: "Total votes",
    votes: "votes",
    choose_up_to: "Choose up to",
    back_to_poll: "Back to the poll",
    thanks: "Thank you for voting!",
    already_voted: "You have already voted in this poll. Thank you!",
    closed: "This poll is closed.",
    not_yet_open: "This poll has not opened yet.",
    choose_one: "Please choose at least one option.",
    too_many: "You chose more options than allowed.",
    error_title: "Something went wrong",
    error_code: "Error code",
    views: "Views",
    visits: "Visits",
    back_to_article: "Back to the article",
    portal_home: "Portal home page",
    archive_title: "Polls",
    archive_open: "Open",
    archive_upcoming: "Coming up",
    archive_closed: "Closed",
    archive_empty: "There are no polls yet.",
    closed_at: "Closed on",
    opens_at: "Opens on",
    closes_at: "Closes on",
    results_after_vote: "The results are shown once you have voted.",
    results_after_close: "The results will be published when the poll closes",
    results_never: "The results of this poll are not published.",
    your_choice: "your choice",
    you_chose: "Your choice",
    total_voters: "Voters",
    percent_of_votes: "Percentages are of all votes.",
    home_title: "Visit counter and polls",
    home_intro: "This service counts the portal's visits and article views and runs its polls.",
    home_demo: "Demo page",
    home_api: "API document (OpenAPI)",
};
