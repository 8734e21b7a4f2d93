//! Which day, week and month a moment falls in, in the portal's time zone.
//! "Today" begins at local midnight; a week begins on Monday.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// The calendar buckets a visit is counted in, as stable string keys
/// (`2026-11-28`, the week's Monday `2026-11-23`, `2026-11`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Buckets {
    pub day: String,
    pub week: String,
    pub month: String,
}

/// The keys a counter read needs: today's buckets plus yesterday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub now: Buckets,
    pub yesterday: String,
    /// Today as `yyyymmdd`, the form a visitor's state keeps.
    pub today_code: u32,
}

/// A date as `yyyymmdd`.
pub fn day_code(date: Date) -> u32 {
    let year = u32::try_from(date.year()).unwrap_or(0);
    year * 10_000 + date.month() as u32 * 100 + date.day() as u32
}

/// The portal's calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
}

impl Calendar {
    pub fn new(tz: TimeZone) -> Self {
        Self { tz }
    }

    /// The local date at `at`.
    pub fn date(&self, at: Timestamp) -> Date {
        at.to_zoned_datetime(self.tz.clone()).date()
    }

    /// The buckets a visit at `at` counts in.
    pub fn buckets(&self, at: Timestamp) -> Buckets {
        let date = self.date(at);
        let monday = date
            .checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days())
            .expect("a Monday exists before any supported date");
        Buckets {
            day: date.to_string(),
            week: monday.to_string(),
            month: format!("{:04}-{:02}", date.year(), date.month()),
        }
    }

    /// The local day `at` falls in, as the instants it begins and ends.
    pub fn day_span(&self, at: Timestamp) -> (Timestamp, Timestamp) {
        let date = self.date(at);
        let start = |d: Date| {
            d.to_zoned_datetime(self.tz.clone())
                .map(|z| z.timestamp())
                .ok()
        };
        let begins = start(date).unwrap_or(at);
        let ends = date.tomorrow().ok().and_then(start).unwrap_or(at);
        (begins, ends)
    }

    /// Time from `at` to the next local midnight (at least a second).
    pub fn until_tomorrow(&self, at: Timestamp) -> std::time::Duration {
        let midnight = self
            .date(at)
            .tomorrow()
            .ok()
            .and_then(|d| d.to_zoned_datetime(self.tz.clone()).ok())
            .map(|z| z.timestamp());
        let secs = midnight.map_or(3600, |m| (m - at).as_secs().max(1));
        std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(1))
    }

    /// Today's buckets and yesterday's day key.
    pub fn period(&self, at: Timestamp) -> Period {
        let yesterday = self
            .date(at)
            .yesterday()
            .expect("a day exists before any supported date");
        Period {
            now: self.buckets(at),
            yesterday: yesterday.to_string(),
            today_code: day_code(self.date(at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hcm() -> Calendar {
        Calendar::new(TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_day_turns_at_local_midnight_not_utc() {
        // 16:59:59Z is 23:59:59 in Hồ Chí Minh City (UTC+7).
        assert_eq!(hcm().buckets(ts("2026-11-28T16:59:59Z")).day, "2026-11-28");
        assert_eq!(hcm().buckets(ts("2026-11-28T17:00:00Z")).day, "2026-11-29");
        // Early UTC morning is already the local afternoon of the same day.
        assert_eq!(hcm().buckets(ts("2026-11-28T01:00:00Z")).day, "2026-11-28");
    }

    #[test]
    fn a_day_spans_local_midnight_to_midnight() {
        let (begins, ends) = hcm().day_span(ts("2026-11-28T09:00:00Z"));
        assert_eq!(begins, ts("2026-11-28T00:00:00+07:00"));
        assert_eq!(ends, ts("2026-11-29T00:00:00+07:00"));
    }

    #[test]
    fn tomorrow_begins_at_local_midnight() {
        let left = hcm().until_tomorrow(ts("2026-11-28T23:30:00+07:00"));
        assert_eq!(left, std::time::Duration::from_secs(30 * 60));
        let left = hcm().until_tomorrow(ts("2026-11-28T00:00:00+07:00"));
        assert_eq!(left, std::time::Duration::from_secs(24 * 3600));
    }

    #[test]
    fn weeks_start_on_monday() {
        // Sunday 2026-11-29 belongs to the week of Monday 2026-11-23 ...
        let sunday = hcm().buckets(ts("2026-11-29T10:00:00+07:00"));
        assert_eq!(sunday.week, "2026-11-23");
        // ... and Monday 2026-11-30 starts the next.
        let monday = hcm().buckets(ts("2026-11-30T00:00:00+07:00"));
        assert_eq!(monday.week, "2026-11-30");
        assert_eq!(monday.month, "2026-11");
    }

    #[test]
    fn months_and_yesterday_cross_year_ends() {
        let period = hcm().period(ts("2027-01-01T00:30:00+07:00"));
        assert_eq!(period.now.day, "2027-01-01");
        assert_eq!(period.now.month, "2027-01");
        assert_eq!(period.now.week, "2026-12-28");
        assert_eq!(period.yesterday, "2026-12-31");
        assert_eq!(period.today_code, 20270101);
    }
}
