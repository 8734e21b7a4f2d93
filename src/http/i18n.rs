//! The words and number formats of the pages and the badge: Vietnamese by
//! default, English on request. Error messages are in `error.rs`, beside
//! their codes.

use http::{HeaderMap, header};

/// A language the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// `?lang=` first, then the first of `vi`/`en` in `Accept-Language`.
    pub fn choose(query: Option<&str>, headers: &HeaderMap) -> Self {
        let asked = query.and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.into_owned())
        });
        if let Some(lang) = asked.as_deref().and_then(Self::from_tag) {
            return lang;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(|tag| Self::from_tag(tag.split(';').next().unwrap_or("").trim()))
            .next()
            .unwrap_or(Lang::Vi)
    }

    fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// A whole number with thousands grouped: `7.582.803` / `7,582,803`.
    pub fn number(self, n: u64) -> String {
        let sep = match self {
            Lang::Vi => '.',
            Lang::En => ',',
        };
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(d);
        }
        out
    }

    /// A percentage from tenths: `41,7%` / `41.7%`.
    pub fn percent(self, tenths: u32) -> String {
        let mark = match self {
            Lang::Vi => ',',
            Lang::En => '.',
        };
        format!("{}{mark}{}%", tenths / 10, tenths % 10)
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
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_the_vietnamese_way() {
        assert_eq!(Lang::Vi.number(7_582_803), "7.582.803");
        assert_eq!(Lang::Vi.number(138), "138");
        assert_eq!(Lang::Vi.number(1000), "1.000");
        assert_eq!(Lang::Vi.number(0), "0");
        assert_eq!(Lang::En.number(7_582_803), "7,582,803");
        assert_eq!(Lang::Vi.percent(417), "41,7%");
        assert_eq!(Lang::En.percent(1000), "100.0%");
    }

    #[test]
    fn the_language_comes_from_the_query_then_the_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::choose(None, &h), Lang::Vi);
        h.insert(
            header::ACCEPT_LANGUAGE,
            "fr-FR, en-US;q=0.8, vi;q=0.5".parse().unwrap(),
        );
        assert_eq!(Lang::choose(None, &h), Lang::En);
        assert_eq!(Lang::choose(Some("lang=vi"), &h), Lang::Vi);
        assert_eq!(Lang::choose(Some("lang=de"), &HeaderMap::new()), Lang::Vi);
    }
}
