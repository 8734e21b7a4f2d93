//! Exports as a spreadsheet reads them: `.xlsx` (numbers as numbers, dates
//! as dates), or CSV in UTF-8 with a byte-order mark (so Excel shows
//! Vietnamese as written) in one of two dialects — for scripts, `,` between
//! fields and `.` in numbers; for a Vietnamese office, `;` and a decimal
//! comma, as Excel under Vietnamese regional settings expects. Cells a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are
//! prefixed with `'`.

use http::{HeaderValue, StatusCode, header};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};

use crate::calendar::Day;
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, bytes_response, query_param};
use crate::edge::text::Lang;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// A share in percent, one decimal.
    Percent(f64),
    Date(Day),
}

/// A table to export, with what it is about above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The file name, without its extension.
    pub name: String,
    /// Lines above the table for people (the question, the period); left
    /// out of a CSV for scripts.
    pub about: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// How a sheet is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `,` and `.`, no lines above the table: what a script reads.
    Csv,
    /// `;` and a decimal comma, the lines above the table included: what
    /// Excel opens in one click under Vietnamese regional settings.
    CsvVi,
    Xlsx,
}

impl Form {
    /// The form a request asks for (`?format=`), JSON being `None`.
    pub fn asked(query: Option<&str>) -> Result<Option<Form>, ApiError> {
        match query_param(query, "format").as_deref() {
            None | Some("json") => Ok(None),
            Some("csv") => Ok(Some(Form::Csv)),
            Some("csv-vi") => Ok(Some(Form::CsvVi)),
            Some("xlsx") => Ok(Some(Form::Xlsx)),
            Some(_) => Err(ApiError::InvalidQuery(
                "format must be json, csv, csv-vi or xlsx".into(),
            )),
        }
    }

    /// The form an editor's spreadsheet wants in `lang`.
    pub fn for_people(lang: Lang, xlsx: bool) -> Form {
        match (xlsx, lang) {
            (true, _) => Form::Xlsx,
            (false, Lang::Vi) => Form::CsvVi,
            (false, Lang::En) => Form::Csv,
        }
    }
}

impl Sheet {
    /// The sheet in `form`.
    pub fn bytes(&self, form: Form) -> Vec<u8> {
        match form {
            Form::Csv => self.csv(b',', '.', false),
            Form::CsvVi => self.csv(b';', ',', true),
            Form::Xlsx => self.xlsx(),
        }
    }

    fn csv(&self, delimiter: u8, decimal: char, about: bool) -> Vec<u8> {
        let writer = |out: Vec<u8>| {
            csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(out)
        };
        // Writing into memory cannot fail.
        let mut out = "\u{feff}".as_bytes().to_vec();
        if about && !self.about.is_empty() {
            let mut lines = writer(out);
            for line in &self.about {
                let _ = lines.write_record([safe(line)]);
            }
            out = lines.into_inner().unwrap_or_default();
            // A blank line between what it is and the table.
            out.extend_from_slice(b"\r\n");
        }
        let mut table = writer(out);
        let _ = table.write_record(self.header.iter().map(|h| safe(h)));
        for row in &self.rows {
            let _ = table.write_record(row.iter().map(|c| text(c, decimal)));
        }
        table.into_inner().unwrap_or_default()
    }

    fn xlsx(&self) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let bold = CellFormat::new().set_bold();
        let date = CellFormat::new().set_num_format("dd/mm/yyyy");
        let percent = CellFormat::new().set_num_format("0.0");
        let mut row: u32 = 0;
        for line in &self.about {
            let _ = sheet.write_string_with_format(row, 0, line, &bold);
            row += 1;
        }
        if !self.about.is_empty() {
            row += 1;
        }
        for (col, name) in (0u16..).zip(&self.header) {
            let _ = sheet.write_string_with_format(row, col, name, &bold);
        }
        for cells in &self.rows {
            row += 1;
            for (col, cell) in (0u16..).zip(cells) {
                let _ = match cell {
                    Cell::Text(t) => sheet.write_string(row, col, t),
                    Cell::Count(n) => sheet.write_number(row, col, *n as f64),
                    Cell::Percent(p) => sheet.write_number_with_format(row, col, *p, &percent),
                    Cell::Date(d) => {
                        let d = d.date();
                        match ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        ) {
                            Ok(at) => sheet.write_datetime_with_format(row, col, &at, &date),
                            Err(_) => sheet.write_string(row, col, d.to_string()),
                        }
                    }
                };
            }
        }
        sheet.autofit();
        book.save_to_buffer().unwrap_or_default()
    }

    /// A download of the sheet in `form`.
    pub fn response(&self, form: Form) -> Response {
        let (kind, extension) = match form {
            Form::Csv | Form::CsvVi => ("text/csv; charset=utf-8", "csv"),
            Form::Xlsx => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        };
        let mut response = bytes_response(StatusCode::OK, kind, "no-store", self.bytes(form));
        let disposition = format!(
            "attachment; filename=\"{}.{extension}\"",
            file_name(&self.name)
        );
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}

/// A cell as CSV text: numbers with `decimal`, dates as a spreadsheet in
/// that convention reads them.
fn text(cell: &Cell, decimal: char) -> String {
    match cell {
        Cell::Text(t) => safe(t),
        Cell::Count(n) => n.to_string(),
        Cell::Percent(p) => format!("{p:.1}").replace('.', &decimal.to_string()),
        Cell::Date(d) if decimal == ',' => d.date().strftime("%d/%m/%Y").to_string(),
        Cell::Date(d) => d.to_string(),
    }
}

/// Text a spreadsheet will not run as a formula.
fn safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// A file name of ASCII letters, digits, `-`, `_` and `.` only: Vietnamese
/// letters lose their marks ("Đánh giá" → `danh-gia`).
pub fn file_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in name.nfd() {
        let c = match c {
            'đ' => 'd',
            'Đ' => 'D',
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') => c,
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            _ => '-',
        };
        if c != '-' || !out.ends_with('-') {
            out.push(c);
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "tally".into()
    } else {
        out.chars().take(80).collect()
    }
}

#[cfg(test)]
mod tests;
