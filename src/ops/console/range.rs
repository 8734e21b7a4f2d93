//! The span of days the history page shows, as an editor picks it in two
//! date fields (`?from=2026-11-01&to=2026-11-30`), checked and bounded;
//! the span just before it, of the same length, to compare with; and a
//! change between two figures in percent, written the page's way.

use super::words::Lang;
use crate::calendar::Day;

/// The longest span the page shows: a leap year.
pub const MOST_DAYS: u32 = 366;
/// The span shown when none is asked for: the last 30 days.
pub const USUAL_DAYS: u32 = 30;

/// Days `from..=to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: Day,
    pub to: Day,
}

/// Why a picked span is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrong {
    From,
    To,
    Order,
    AfterToday,
    TooLong,
}

impl Wrong {
    /// In Vietnamese and in English.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Wrong::From => (
                "Ngày bắt đầu không hợp lệ: hãy chọn một ngày (năm-tháng-ngày).",
                "The start date is not a date: pick one (year-month-day).",
            ),
            Wrong::To => (
                "Ngày kết thúc không hợp lệ: hãy chọn một ngày (năm-tháng-ngày).",
                "The end date is not a date: pick one (year-month-day).",
            ),
            Wrong::Order => (
                "Ngày bắt đầu phải trước hoặc trùng ngày kết thúc.",
                "The start date must not be after the end date.",
            ),
            Wrong::AfterToday => (
                "Ngày kết thúc không được sau hôm nay.",
                "The end date cannot be after today.",
            ),
            Wrong::TooLong => (
                "Mỗi lần xem được tối đa 366 ngày.",
                "A span can be at most 366 days long.",
            ),
        }
    }
}

impl Span {
    /// The last `days` days up to `today`.
    pub fn last(today: Day, days: u32) -> Self {
        Self {
            from: today.days_before(days.saturating_sub(1)),
            to: today,
        }
    }

    /// The span the fields say: an empty start is 30 days before the end,
    /// an empty end is today.
    pub fn pick(from: Option<&str>, to: Option<&str>, today: Day) -> Result<Self, Wrong> {
        fn field(f: Option<&str>) -> Option<&str> {
            f.map(str::trim).filter(|f| !f.is_empty())
        }
        let end = match field(to) {
            Some(typed) => typed.parse::<Day>().map_err(|_| Wrong::To)?,
            None => today,
        };
        let start = match field(from) {
            Some(typed) => typed.parse::<Day>().map_err(|_| Wrong::From)?,
            None => end.days_before(USUAL_DAYS - 1),
        };
        if start > end {
            return Err(Wrong::Order);
        }
        if end > today {
            return Err(Wrong::AfterToday);
        }
        let span = Self {
            from: start,
            to: end,
        };
        if span.from.through(span.to).nth(MOST_DAYS as usize).is_some() {
            return Err(Wrong::TooLong);
        }
        Ok(span)
    }

    /// How many days it holds.
    pub fn days(&self) -> u32 {
        self.from.through(self.to).count() as u32
    }

    /// The span of as many days that ends the day before it starts.
    pub fn before(&self) -> Self {
        let to = self.from.yesterday();
        Self {
            from: to.days_before(self.days().saturating_sub(1)),
            to,
        }
    }
}

/// `now` against `before` in percent, signed, to a tenth: `+12,5%`;
/// a dash when there was nothing before to compare with.
pub fn change(lang: Lang, now: u64, before: u64) -> String {
    if before == 0 {
        return "—".into();
    }
    let tenths = (now as i128 - before as i128) * 1000 / before as i128;
    let sign = match tenths.signum() {
        1 => "+",
        -1 => "−",
        _ => "",
    };
    let tenths = u32::try_from(tenths.unsigned_abs()).unwrap_or(u32::MAX);
    format!("{sign}{}", lang.percent(tenths))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn spans_are_picked_and_bounded() {
        let today = day("2026-12-07");
        assert_eq!(
            Span::pick(None, None, today),
            Ok(Span::last(today, USUAL_DAYS))
        );
        assert_eq!(Span::last(today, 30).from, day("2026-11-08"));
        let picked = Span::pick(Some("2026-11-01"), Some(" 2026-11-30 "), today).unwrap();
        assert_eq!(picked.days(), 30);
        assert_eq!(
            picked.before(),
            Span {
                from: day("2026-10-02"),
                to: day("2026-10-31")
            }
        );
        assert_eq!(
            Span::pick(Some("2025-12-07"), None, today).unwrap().days(),
            366
        );
        for (from, to, wrong) in [
            ("2025-12-06", "", Wrong::TooLong),
            ("31/12/2026", "", Wrong::From),
            ("", "2026-02-30", Wrong::To),
            ("2026-12-02", "2026-12-01", Wrong::Order),
            ("2026-12-01", "2026-12-08", Wrong::AfterToday),
        ] {
            assert_eq!(
                Span::pick(Some(from), Some(to), today),
                Err(wrong),
                "{from}..{to}"
            );
        }
    }

    #[test]
    fn changes_are_written_the_pages_way() {
        assert_eq!(change(Lang::Vi, 1_125, 1_000), "+12,5%");
        assert_eq!(change(Lang::En, 900, 1_000), "−10.0%");
        assert_eq!(change(Lang::En, 1_000, 1_000), "0.0%");
        assert_eq!(change(Lang::Vi, 5, 0), "—");
    }
}
