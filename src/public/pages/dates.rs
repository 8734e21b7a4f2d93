//! Dates and times as the pages show them: in the site's time zone, to the
//! minute, the way each language writes them.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::edge::text::Lang;

/// `17:00 ngày 31/12/2026` / `31 December 2026, 17:00`.
pub fn when(at: Timestamp, tz: &TimeZone, lang: Lang) -> String {
    let local = at.to_zoned_datetime(tz.clone());
    let format = match lang {
        Lang::Vi => "%H:%M ngày %d/%m/%Y",
        Lang::En => "%-d %B %Y, %H:%M",
    };
    local.strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_local_and_read_as_each_language_writes_them() {
        let tz = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let at: Timestamp = "2026-12-31T10:00:00Z".parse().unwrap();
        assert_eq!(when(at, &tz, Lang::Vi), "17:00 ngày 31/12/2026");
        assert_eq!(when(at, &tz, Lang::En), "31 December 2026, 17:00");
    }
}
