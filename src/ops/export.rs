//! Exports as spreadsheets read them: CSV in UTF-8 with a byte-order mark
//! (so Excel shows Vietnamese as written), lines ended by CRLF, fields
//! quoted where they need it, and cells that a spreadsheet would run as a
//! formula (`=`, `+`, `-`, `@` first) prefixed with `'`.

use http::{HeaderValue, StatusCode, header};

use crate::calendar::{Day, Month};
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, bytes_response};
use crate::poll::{Poll, Results};

/// A table to export: a header and rows of cells.
pub struct Sheet {
    /// The file name, without `.csv`.
    pub name: String,
    pub header: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// A poll's results: option, label, votes, percent (one decimal).
    pub fn results(name: String, poll: &Poll, votes: &[u64]) -> Self {
        let rows = Results::new(poll, votes)
            .options
            .into_iter()
            .map(|o| {
                let percent = format!("{:.1}", o.percent);
                vec![
                    o.id.as_str().to_owned(),
                    o.label,
                    o.votes.to_string(),
                    percent,
                ]
            })
            .collect();
        Self {
            name,
            header: &["option", "label", "votes", "percent"],
            rows,
        }
    }

    /// Visits per day.
    pub fn days(name: String, days: &[(Day, u64)]) -> Self {
        Self::pairs(name, &["date", "visits"], days)
    }

    /// Visits per month.
    pub fn months(name: String, months: &[(Month, u64)]) -> Self {
        Self::pairs(name, &["month", "visits"], months)
    }

    fn pairs(name: String, header: &'static [&'static str], rows: &[(impl ToString, u64)]) -> Self {
        Self {
            name,
            header,
            rows: rows
                .iter()
                .map(|(k, n)| vec![k.to_string(), n.to_string()])
                .collect(),
        }
    }

    /// The CSV text, byte-order mark first.
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let header = self
            .header
            .iter()
            .map(|h| (*h).to_owned())
            .collect::<Vec<_>>();
        for row in std::iter::once(&header).chain(&self.rows) {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// A download of the CSV.
    pub fn response(&self) -> Response {
        let mut response = bytes_response(
            StatusCode::OK,
            "text/csv; charset=utf-8",
            "no-store",
            self.csv(),
        );
        let disposition = format!("attachment; filename=\"{}.csv\"", file_name(&self.name));
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}

/// One CSV field.
fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A file name of ASCII letters, digits, `-`, `_` and `.` only.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Whether the request asks for CSV (`?format=csv`) rather than JSON.
pub fn wants_csv(query: Option<&str>) -> Result<bool, ApiError> {
    match crate::edge::respond::query_param(query, "format").as_deref() {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(ApiError::InvalidQuery("format must be json or csv".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheets_read_it_as_written() {
        let sheet = Sheet {
            name: "kết quả/2026".into(),
            header: &["option", "label", "votes"],
            rows: vec![
                vec!["rat-tot".into(), "Rất tốt, \"nhanh\"".into(), "12".into()],
                vec!["x".into(), "=HYPERLINK(\"http://x\")".into(), "0".into()],
                vec!["y".into(), "-1 điểm".into(), "3".into()],
            ],
        };
        assert_eq!(
            sheet.csv(),
            "\u{feff}option,label,votes\r\n\
             rat-tot,\"Rất tốt, \"\"nhanh\"\"\",12\r\n\
             x,\"'=HYPERLINK(\"\"http://x\"\")\",0\r\n\
             y,'-1 điểm,3\r\n"
        );
        let response = sheet.response();
        assert_eq!(
            response.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"k-t-qu--2026.csv\""
        );
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
    }
}
