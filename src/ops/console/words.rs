//! How the console speaks: a phrase in Vietnamese (the default) or English,
//! numbers grouped the language's way, and moments in the site's zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;

pub use crate::edge::text::{Lang, tr};

/// `17:00 31/12/2026` in the site's zone, to the minute.
pub fn when(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%H:%M %d/%m/%Y")
        .to_string()
}

/// The value of a `datetime-local` field for `at` in the site's zone.
pub fn local_input(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `datetime-local` field's value (`2026-12-31T17:00`, seconds optional)
/// as a moment in the site's zone; `None` if it is no such value. A time
/// skipped by a clock change resolves forward, as the zone's rules say.
pub fn parse_local(text: &str, tz: &TimeZone) -> Option<Timestamp> {
    let local: jiff::civil::DateTime = text.trim().parse().ok()?;
    tz.to_ambiguous_zoned_datetime(local)
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_round_trip_in_the_site_zone() {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let at: Timestamp = "2026-12-31T10:00:00Z".parse().unwrap();
        assert_eq!(local_input(at, &tz), "2026-12-31T17:00");
        assert_eq!(parse_local("2026-12-31T17:00", &tz), Some(at));
        assert_eq!(when(at, &tz), "17:00 31/12/2026");
        assert_eq!(parse_local("31/12/2026", &tz), None);
        assert_eq!(parse_local("", &tz), None);
    }
}
