//! Reading a previous counter's daily history: CSV lines `date,visits`.
//! Pure: the rules only.
//!
//! What portals' old counters export varies, so the reader is lenient
//! where it cannot be wrong and strict where it could: `,`, `;` or a tab
//! between the fields; dates as `2024-03-01` or `01/03/2024` (day first,
//! as Vietnam writes them); visits as digits, grouped by `.`, `,` or
//! spaces (`7.582.803`) when unambiguous; a byte-order mark, blank lines
//! and one heading line are skipped. A day given twice, a day after
//! today, a year outside 1970–9999, visits past the baseline's bound
//! (10^12) on one day or in the whole file, or anything else unreadable
//! refuses the whole file, naming the line.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use jiff::civil::Date;
use thiserror::Error;

use crate::calendar::Day;
use crate::config::MAX_BASELINE;

/// Most days one import takes (more than a century).
pub const MOST_DAYS: usize = 40_000;

/// The years a day may be in: no counter ran before 1970, and a date
/// after 9999 is no date anyone means.
pub const YEARS: RangeInclusive<i16> = 1970..=9999;

/// What is wrong with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    Fields,
    Date,
    /// The year is outside [`YEARS`].
    Year,
    Visits,
    TooMany,
    /// The visits up to this line add up past the baseline's bound.
    Total,
    AfterToday,
    Twice,
}

impl LineError {
    /// In Vietnamese and in English.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            LineError::Fields => (
                "cần hai cột: ngày, số lượt truy cập",
                "expected two fields: date, visits",
            ),
            LineError::Date => (
                "ngày không theo dạng yyyy-mm-dd hoặc dd/mm/yyyy",
                "the date is not yyyy-mm-dd or dd/mm/yyyy",
            ),
            LineError::Year => (
                "năm nằm ngoài khoảng 1970–9999",
                "the year is outside 1970–9999",
            ),
            LineError::Visits => (
                "số lượt truy cập không phải số nguyên",
                "visits is not a whole number",
            ),
            LineError::TooMany => (
                "số lượt truy cập lớn hơn mức lưu được (10^12)",
                "visits is larger than tally keeps (10^12)",
            ),
            LineError::Total => (
                "tổng số lượt truy cập đến dòng này lớn hơn mức lưu được (10^12)",
                "the visits up to this line add up to more than tally keeps (10^12)",
            ),
            LineError::AfterToday => ("ngày ở sau hôm nay", "the day is after today"),
            LineError::Twice => (
                "ngày này có hai lần trong tệp",
                "this day is in the file twice",
            ),
        }
    }
}

impl ImportError {
    /// Why, in Vietnamese and in English.
    pub fn words(&self) -> (String, String) {
        match self {
            ImportError::Line { line, reason } => {
                let (vi, en) = reason.words();
                (format!("dòng {line}: {vi}"), format!("line {line}: {en}"))
            }
            ImportError::Empty => ("tệp không có ngày nào".into(), self.to_string()),
            ImportError::TooLong => (format!("tệp có hơn {MOST_DAYS} ngày"), self.to_string()),
            ImportError::NotText => ("tệp không phải văn bản UTF-8".into(), self.to_string()),
        }
    }
}

/// Why an import was refused.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("line {line}: {}", reason.words().1)]
    Line { line: usize, reason: LineError },
    #[error("the file holds no day")]
    Empty,
    #[error("the file holds more than {MOST_DAYS} days")]
    TooLong,
    #[error("the file is not UTF-8 text")]
    NotText,
}

/// The days and visits in `csv`, in file order.
pub fn parse(csv: &[u8], today: Day) -> Result<Vec<(Day, u64)>, ImportError> {
    let text = std::str::from_utf8(csv).map_err(|_| ImportError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut days = Vec::new();
    let mut seen = HashSet::new();
    let mut total: u64 = 0;
    let mut first = true;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let fail = |reason: LineError| ImportError::Line { line, reason };
        let Some((date, visits)) = split(raw) else {
            return Err(fail(LineError::Fields));
        };
        let Some(date) = parse_date(date) else {
            if std::mem::take(&mut first) {
                continue; // a heading
            }
            return Err(fail(LineError::Date));
        };
        first = false;
        if !YEARS.contains(&date.year()) {
            return Err(fail(LineError::Year));
        }
        let visits = parse_visits(visits).ok_or_else(|| fail(LineError::Visits))?;
        if visits > MAX_BASELINE {
            return Err(fail(LineError::TooMany));
        }
        total += visits;
        if total > MAX_BASELINE {
            return Err(fail(LineError::Total));
        }
        let day = Day::new(date);
        if day > today {
            return Err(fail(LineError::AfterToday));
        }
        if !seen.insert(day) {
            return Err(fail(LineError::Twice));
        }
        if days.len() == MOST_DAYS {
            return Err(ImportError::TooLong);
        }
        days.push((day, visits));
    }
    if days.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(days)
}

/// The two fields of a line, unquoted.
fn split(line: &str) -> Option<(&str, &str)> {
    let separator = [';', '\t', ','].into_iter().find(|s| line.contains(*s))?;
    let (date, visits) = line.split_once(separator)?;
    fn unquote(f: &str) -> &str {
        f.trim().trim_matches('"').trim()
    }
    let visits = unquote(visits);
    // Further fields (a trailing separator, a note) are not the visits'.
    let visits = if separator == ',' {
        visits
    } else {
        visits.split(separator).next().unwrap_or("").trim()
    };
    Some((unquote(date), visits))
}

fn parse_date(field: &str) -> Option<Date> {
    if let Ok(date) = field.parse::<Date>() {
        return Some(date);
    }
    let mut parts = field.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// Digits, or digits in groups of three separated by one of `.`, `,`, ` `.
fn parse_visits(field: &str) -> Option<u64> {
    if !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit()) {
        return field.parse().ok();
    }
    let separator = field.chars().find(|c| matches!(c, '.' | ',' | ' '))?;
    let groups: Vec<&str> = field.split(separator).collect();
    let well_grouped = groups.iter().enumerate().all(|(i, g)| {
        g.bytes().all(|b| b.is_ascii_digit())
            && if i == 0 {
                (1..=3).contains(&g.len())
            } else {
                g.len() == 3
            }
    });
    well_grouped.then(|| groups.concat().parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Day {
        "2026-12-04".parse().unwrap()
    }

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn reads_what_old_counters_export() {
        let csv = "\u{feff}Ngày;Lượt truy cập\r\n01/03/2024;7.582\r\n\r\n2024-03-02;\"1.234.567\"\r\n2024-03-03;12\r\n";
        assert_eq!(
            parse(csv.as_bytes(), today()).unwrap(),
            vec![
                (day("2024-03-01"), 7_582),
                (day("2024-03-02"), 1_234_567),
                (day("2024-03-03"), 12),
            ]
        );
        assert_eq!(
            parse(b"date,visits\n2024-03-01,5\n", today()).unwrap(),
            vec![(day("2024-03-01"), 5)]
        );
    }

    #[test]
    fn refuses_what_it_cannot_read_naming_the_line() {
        let cases: &[(&str, usize)] = &[
            ("2024-03-01,5\n2024-03-01,6\n", 2),
            ("2024-03-01,5\n2024-02-30,6\n", 2),
            ("2024-03-01,5\n2026-12-05,6\n", 2),
            ("2024-03-01,-5\n", 1),
            ("2024-03-01,5.5\n", 1),
            ("2024-03-01,12.34.567\n", 1),
            ("2024-03-01,1000000000001\n", 1),
            ("2024-03-01\n", 1),
            ("0000-03-01,5\n", 1),
            ("2024-03-01,5\n01/03/-999,5\n", 2),
            ("01/01/1969,5\n", 1),
            ("date,visits\n-000999-03-01,5\n", 2),
            ("2024-03-01,600000000000\n2024-03-02,400000000001\n", 2),
            ("date,visits\nyesterday,5\n", 2),
        ];
        for (csv, line) in cases {
            match parse(csv.as_bytes(), today()) {
                Err(ImportError::Line { line: l, .. }) => assert_eq!(l, *line, "{csv:?}"),
                other => panic!("{csv:?}: {other:?}"),
            }
        }
        assert_eq!(
            parse(b"0000-03-01,5\n", today()),
            Err(ImportError::Line {
                line: 1,
                reason: LineError::Year
            })
        );
        // Up to the bound, the whole file is taken.
        let at_bound = "1970-01-01,600000000000\n9999-12-31,400000000000\n";
        let far = "9999-12-31".parse().unwrap();
        assert_eq!(parse(at_bound.as_bytes(), far).unwrap().len(), 2);
        assert_eq!(parse(b"", today()), Err(ImportError::Empty));
        assert_eq!(parse(b"date,visits\n", today()), Err(ImportError::Empty));
        assert_eq!(parse(&[0xff, 0xfe], today()), Err(ImportError::NotText));
    }
}
