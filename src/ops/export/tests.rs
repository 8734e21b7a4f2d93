//! Exports read back by a spreadsheet library: the same numbers, dates and
//! text in `.xlsx` and in both CSV dialects, formulas defused.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::*;

fn sheet() -> Sheet {
    Sheet {
        name: "Đánh giá cổng: kết quả/2026".into(),
        about: vec!["Bạn đánh giá như thế nào về cổng thông tin này?".into()],
        header: vec!["Phương án".into(), "Số phiếu".into(), "Tỷ lệ (%)".into()],
        rows: vec![
            vec![
                Cell::Text("Rất tốt, \"nhanh\"".into()),
                Cell::Count(5),
                Cell::Percent(41.7),
            ],
            vec![
                Cell::Text("=HYPERLINK(\"http://x\")".into()),
                Cell::Count(7),
                Cell::Percent(58.3),
            ],
        ],
    }
}

#[test]
fn a_vietnamese_office_reads_the_semicolon_csv_as_written() {
    let text = String::from_utf8(sheet().bytes(Form::CsvVi)).unwrap();
    assert_eq!(
        text,
        "\u{feff}Bạn đánh giá như thế nào về cổng thông tin này?\r\n\
         \r\n\
         Phương án;Số phiếu;Tỷ lệ (%)\r\n\
         \"Rất tốt, \"\"nhanh\"\"\";5;41,7\r\n\
         \"'=HYPERLINK(\"\"http://x\"\")\";7;58,3\r\n"
    );
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    // A reader skips the blank line: the question, the header, the rows.
    assert_eq!(rows[2], ["Rất tốt, \"nhanh\"", "5", "41,7"]);
}

#[test]
fn scripts_read_the_comma_csv_without_lines_above_it() {
    let text = String::from_utf8(sheet().bytes(Form::Csv)).unwrap();
    assert!(
        text.starts_with("\u{feff}Phương án,Số phiếu,Tỷ lệ (%)\r\n"),
        "{text}"
    );
    assert!(text.contains(",5,41.7\r\n"), "{text}");
}

#[test]
fn a_spreadsheet_reads_the_xlsx_numbers_as_numbers() {
    let bytes = sheet().bytes(Form::Xlsx);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let cell = |row: u32, col: u32| range.get_value((row, col)).cloned();
    assert_eq!(
        cell(0, 0),
        Some(Data::String(
            "Bạn đánh giá như thế nào về cổng thông tin này?".into()
        ))
    );
    assert_eq!(cell(2, 1), Some(Data::String("Số phiếu".into())));
    assert_eq!(cell(3, 1), Some(Data::Float(5.0)));
    assert_eq!(cell(4, 2), Some(Data::Float(58.3)));
    assert_eq!(
        cell(4, 0),
        Some(Data::String("=HYPERLINK(\"http://x\")".into())),
        "text, never a formula"
    );
}

#[test]
fn dates_are_dates_in_every_form() {
    let day: Day = "2026-12-06".parse().unwrap();
    let sheet = Sheet {
        name: "visits".into(),
        about: vec![],
        header: vec!["Ngày".into(), "Lượt truy cập".into()],
        rows: vec![vec![Cell::Date(day), Cell::Count(7_582)]],
    };
    let vi = String::from_utf8(sheet.bytes(Form::CsvVi)).unwrap();
    assert!(vi.ends_with("06/12/2026;7582\r\n"), "{vi}");
    let en = String::from_utf8(sheet.bytes(Form::Csv)).unwrap();
    assert!(en.ends_with("2026-12-06,7582\r\n"), "{en}");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(sheet.bytes(Form::Xlsx))).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    // A date cell: Excel's serial day 46 362 is 6 December 2026.
    match range.get_value((1, 0)) {
        Some(Data::DateTime(at)) => assert_eq!(at.as_f64(), 46_362.0),
        other => panic!("not a date: {other:?}"),
    }
    assert_eq!(range.get_value((1, 1)), Some(&Data::Float(7_582.0)));
}

#[test]
fn file_names_keep_their_letters_without_marks() {
    assert_eq!(
        file_name("Đánh giá cổng: kết quả/2026"),
        "Danh-gia-cong-ket-qua-2026"
    );
    assert_eq!(file_name("???"), "tally");
    let response = sheet().response(Form::Xlsx);
    assert_eq!(
        response.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"Danh-gia-cong-ket-qua-2026.xlsx\""
    );
}
