//! Which day, week and month a moment falls in, in the portal's time zone.
//! "Today" begins at local midnight; a week begins on Monday. Days, weeks
//! and months are types: the store's keys are their `Display` forms
//! (`2026-11-28`, the week's Monday `2026-11-23`, `2026-11`).

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(Date);

impl Day {
    pub fn new(date: Date) -> Self {
        Self(date)
    }

    pub fn date(self) -> Date {
        self.0
    }

    /// `yyyymmdd`, the compact form a visitor's state keeps.
    pub fn code(self) -> u32 {
        let year = u32::try_from(self.0.year()).unwrap_or(0);
        year * 10_000 + self.0.month() as u32 * 100 + self.0.day() as u32
    }

    /// The day before.
    pub fn yesterday(self) -> Self {
        Self(
            self.0
                .yesterday()
                .expect("a day exists before any supported date"),
        )
    }

    /// The week it belongs to.
    pub fn week(self) -> Week {
        let monday = self
            .0
            .checked_sub(i64::from(self.0.weekday().to_monday_zero_offset()).days())
            .expect("a Monday exists before any supported date");
        Week(monday)
    }

    /// The month it belongs to.
    pub fn month(self) -> Month {
        Month(self.0.first_of_month())
    }

    /// The day after, if the calendar has one.
    pub fn tomorrow(self) -> Option<Self> {
        self.0.tomorrow().ok().map(Self)
    }

    /// `n` days earlier (the earliest day the calendar has, at most).
    pub fn days_before(self, n: u32) -> Self {
        Self(self.0.checked_sub(i64::from(n).days()).unwrap_or(Date::MIN))
    }

    /// Its day of the month as two digits, the field of a month's hash.
    pub fn field(self) -> String {
        format!("{:02}", self.0.day())
    }

    /// Every day from `self` to `to`, both included (none if `to` is
    /// earlier).
    pub fn through(self, to: Day) -> impl Iterator<Item = Day> {
        std::iter::successors(Some(self).filter(|d| *d <= to), move |d| {
            d.tomorrow().filter(|next| *next <= to)
        })
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for Day {
    type Err = jiff::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// A week, Monday to Sunday, named by its Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Week(Date);

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for Week {
    type Err = jiff::Error;

    /// A Monday's date, as `Display` wrote it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<Date>().map(|d| Day(d).week())
    }
}

/// A month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month(Date);

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0.year(), self.0.month())
    }
}

impl Month {
    /// Its first day.
    pub fn first_day(self) -> Day {
        Day(self.0)
    }

    /// Its last day.
    pub fn last_day(self) -> Day {
        Day(self.0.last_of_month())
    }
}

impl std::str::FromStr for Month {
    type Err = jiff::Error;

    /// `yyyy-mm`, as `Display` wrote it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        format!("{s}-01").parse::<Date>().map(|d| Day(d).month())
    }
}

/// Days, weeks and months travel as their `Display` forms (exports).
macro_rules! as_text {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

as_text!(Day, Week, Month);

/// The calendar buckets a visit is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Buckets {
    pub day: Day,
    pub week: Week,
    pub month: Month,
}

impl Buckets {
    pub fn of(day: Day) -> Self {
        Self {
            day,
            week: day.week(),
            month: day.month(),
        }
    }
}

/// The keys a counter read needs: today's buckets plus yesterday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub now: Buckets,
    pub yesterday: Day,
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

    /// The portal's time zone by its IANA name (`UTC` for a fixed offset
    /// without one).
    pub fn zone_name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    /// `at` in RFC 3339 with the portal's offset, to the second
    /// (`2026-12-02T17:37:47+07:00`).
    /// An offset of the distant past with seconds in it (local mean time,
    /// `+07:06:40`), which RFC 3339 cannot write, gives the instant in UTC.
    pub fn local(&self, at: Timestamp) -> String {
        let zoned = at.to_zoned_datetime(self.tz.clone());
        if zoned.offset().seconds() % 60 == 0 {
            zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
        } else {
            at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
        }
    }

    /// The instant a local date and time (`2026-12-02T17:37`, seconds
    /// optional) names in the portal's zone; in a gap or a fold, the
    /// earlier reading.
    pub fn instant(&self, local: &str) -> Option<Timestamp> {
        let civil: jiff::civil::DateTime = local.trim().parse().ok()?;
        civil
            .to_zoned_datetime(self.tz.clone())
            .ok()
            .map(|z| z.timestamp())
    }

    /// The local day at `at`.
    pub fn day(&self, at: Timestamp) -> Day {
        Day(at.to_zoned_datetime(self.tz.clone()).date())
    }

    /// The buckets a visit at `at` counts in.
    pub fn buckets(&self, at: Timestamp) -> Buckets {
        Buckets::of(self.day(at))
    }

    /// The local day `at` falls in, as the instants it begins and ends.
    pub fn day_span(&self, at: Timestamp) -> (Timestamp, Timestamp) {
        let date = self.day(at).date();
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
        let (_, midnight) = self.day_span(at);
        let secs = (midnight - at).as_secs().max(1);
        std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(1))
    }

    /// Today's buckets and yesterday.
    pub fn period(&self, at: Timestamp) -> Period {
        let today = self.day(at);
        Period {
            now: Buckets::of(today),
            yesterday: today.yesterday(),
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
    fn times_are_written_with_the_sites_offset_to_the_second() {
        let c = hcm();
        assert_eq!(
            c.local(ts("2026-12-02T10:37:47.962644751Z")),
            "2026-12-02T17:37:47+07:00"
        );
        // Local mean time's offset has seconds, which RFC 3339 cannot say.
        assert_eq!(
            c.local(ts("0895-07-20T12:09:04.187Z")),
            "0895-07-20T12:09:04Z"
        );
        assert_eq!(
            c.instant("2026-12-31T17:00"),
            Some(ts("2026-12-31T10:00:00Z"))
        );
        assert_eq!(c.instant("31/12/2026"), None);
    }

    #[test]
    fn the_day_turns_at_local_midnight_not_utc() {
        // 16:59:59Z is 23:59:59 in Hồ Chí Minh City (UTC+7).
        let day = |at: &str| hcm().day(ts(at)).to_string();
        assert_eq!(day("2026-11-28T16:59:59Z"), "2026-11-28");
        assert_eq!(day("2026-11-28T17:00:00Z"), "2026-11-29");
        // Early UTC morning is already the local afternoon of the same day.
        assert_eq!(day("2026-11-28T01:00:00Z"), "2026-11-28");
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
        assert_eq!(sunday.week.to_string(), "2026-11-23");
        // ... and Monday 2026-11-30 starts the next.
        let monday = hcm().buckets(ts("2026-11-30T00:00:00+07:00"));
        assert_eq!(monday.week.to_string(), "2026-11-30");
        assert_eq!(monday.month.to_string(), "2026-11");
    }

    #[test]
    fn months_and_yesterday_cross_year_ends() {
        let period = hcm().period(ts("2027-01-01T00:30:00+07:00"));
        assert_eq!(period.now.day.to_string(), "2027-01-01");
        assert_eq!(period.now.month.to_string(), "2027-01");
        assert_eq!(period.now.week.to_string(), "2026-12-28");
        assert_eq!(period.yesterday.to_string(), "2026-12-31");
        assert_eq!(period.now.day.code(), 20270101);
    }

    #[test]
    fn keys_read_back_as_written() {
        let day: Day = "2026-11-29".parse().unwrap();
        assert_eq!(day.week().to_string().parse::<Week>().unwrap(), day.week());
        assert_eq!(
            day.month().to_string().parse::<Month>().unwrap(),
            day.month()
        );
        assert_eq!(
            "2026-11-29".parse::<Week>().unwrap().to_string(),
            "2026-11-23"
        );
    }
}
