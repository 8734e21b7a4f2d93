//! The previous counter's page: its figure (the baseline) set, and its
//! daily history brought in, pasted or as a file, shown first as a preview
//! (days, first and last, total, a few rows) and written only once the
//! editor confirms; a refused paste stays in the form with why in words.

use http::StatusCode;
use maud::{Markup, html};

use super::layout::{Frame, html_response};
use super::words::Lang;
use super::{Answer, Console, Editor, Failure, Fields};
use crate::calendar::Day;
use crate::config::MAX_BASELINE;
use crate::history::import::parse as read_days;
use crate::history::{HistoryError, ImportError};

/// Rows a preview shows from each end of the file.
const PREVIEW_ROWS: usize = 3;

/// What an import form asks: to see the data first, or to write it.
enum Step {
    Preview(Vec<(Day, u64)>),
    Done(crate::store::Imported),
}

fn words(lang: Lang, e: &ImportError) -> String {
    let (vi, en) = e.words();
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The data sent: a file when one was chosen, else the paste.
fn sent(f: &Fields) -> Vec<u8> {
    match f.file("file") {
        Some(file) if !file.is_empty() => file.to_vec(),
        _ => f.get("csv").unwrap_or("").as_bytes().to_vec(),
    }
}

pub(super) async fn import(console: &Console, editor: &Editor, form: Option<Fields>) -> Answer {
    let frame = &editor.frame;
    let title = frame.t("Bộ đếm cũ", "The previous counter");
    // What was sent, kept in the form when it is refused.
    let (mut csv, mut baseline_typed) = (String::new(), String::new());
    let (mut notice, mut refusal, mut step) = (None, None, None);
    if let Some(f) = &form {
        if let Some(typed) = f.get("baseline") {
            baseline_typed = typed.to_owned();
            match parse_baseline(typed) {
                Some(baseline) => {
                    console.editing.set_baseline(&editor.who, baseline).await?;
                    notice = Some(format!(
                        "{} {}.",
                        frame.t(
                            "Đã đặt số lượt truy cập trước khi dùng tally:",
                            "The visits counted before tally are now"
                        ),
                        frame.lang.number(baseline)
                    ));
                    baseline_typed.clear();
                }
                None => {
                    refusal = Some(format!(
                        "{} {}.",
                        frame.t(
                            "Số lượt truy cập ban đầu phải là một số nguyên từ 0 đến",
                            "The starting visits must be a whole number from 0 to"
                        ),
                        frame.lang.number(MAX_BASELINE)
                    ));
                }
            }
        } else {
            let data = sent(f);
            csv = String::from_utf8_lossy(&data).into_owned();
            let confirmed = f.get("confirm").is_some();
            let read = if confirmed {
                console
                    .history
                    .import_visits(&editor.who, &data, &console.editing.audit)
                    .await
                    .map(Step::Done)
            } else {
                read_days(&data, console.history.today())
                    .map(Step::Preview)
                    .map_err(HistoryError::Import)
            };
            match read {
                Ok(s) => step = Some(s),
                Err(HistoryError::Import(e)) => {
                    refusal = Some(format!(
                        "{}: {}",
                        frame.t(
                            "Không nhập được, chưa có gì thay đổi",
                            "Not imported, nothing changed"
                        ),
                        words(frame.lang, &e),
                    ));
                }
                Err(other) => return Err(Failure::from(other)),
            }
        }
    }
    if let Some(Step::Done(imported)) = &step {
        notice = Some(format!(
            "{} {} {} · {} {} · {} {}",
            frame.t("Đã nhập.", "Imported."),
            frame.t("Số ngày:", "Days:"),
            frame.lang.number(imported.days),
            frame.t("ngày thay đổi:", "days changed:"),
            frame.lang.number(imported.changed),
            frame.t("tổng số thay đổi:", "total changed by:"),
            signed(frame.lang, imported.added),
        ));
        csv.clear();
    }
    let status = if refusal.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let current = console.counter.stored_baseline().await?;
    let preview = match &step {
        Some(Step::Preview(days)) => Some(preview(frame, days, &csv)),
        _ => None,
    };
    let body = html! {
        h1 { (title) }
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        @if let Some(refusal) = refusal { p.error role="alert" { (refusal) } }
        @if let Some(preview) = preview { (preview) }
        h2 { (frame.t("Số lượt truy cập trước khi dùng tally", "Visits counted before tally")) }
        p { (frame.t(
            "Con số của bộ đếm cũ mà tổng số lượt truy cập cộng thêm. Hiện tại:",
            "The previous counter's figure that the total adds to. Now:",
        )) " " strong { (frame.lang.number(current)) } }
        form method="post" action=(frame.link("/admin/console/import")) {
            (frame.csrf_field())
            label for="baseline" { (frame.t("Số lượt truy cập ban đầu", "Starting visits")) }
            input #baseline name="baseline" inputmode="numeric" required value=(baseline_typed) placeholder="7582803";
            div.actions { button type="submit" { (frame.t("Đặt", "Set")) } }
        }
        h2 { (frame.t("Nhập lịch sử truy cập", "Import visit history")) }
        (formats(frame))
        form method="post" enctype="multipart/form-data" action=(frame.link("/admin/console/import")) {
            (frame.csrf_field())
            label for="csv" { (frame.t("Dán dữ liệu", "Paste the data")) }
            textarea #csv name="csv" placeholder="2019-01-01,20154" aria-describedby="formats" { (csv) }
            label for="file" { (frame.t("hoặc chọn tệp (CSV, TSV, văn bản)", "or choose a file (CSV, TSV, text)")) }
            input #file type="file" name="file" accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain";
            p.hint { (frame.t(
                "Khi có tệp, tệp được dùng thay cho phần dán. Chưa có gì được ghi cho đến khi bạn xác nhận.",
                "A chosen file is used instead of the paste. Nothing is written until you confirm.",
            )) }
            div.actions { button type="submit" { (frame.t("Xem trước", "Preview")) } }
        }
    };
    Ok(html_response(status, frame.page(title, false, body)))
}

/// What the page accepts, in words.
fn formats(frame: &Frame) -> Markup {
    html! {
        div #formats {
            p { (frame.t(
                "Mỗi dòng một ngày: ngày, dấu phân cách, số lượt truy cập. Nhập lại cùng dữ liệu không làm thay đổi gì; một ngày nhập lại thay cho lần nhập trước.",
                "One day a line: the date, a separator, the visits. Importing the same data again changes nothing; a day imported again replaces its earlier import.",
            )) }
            ul {
                li { (frame.t("Dấu phân cách: dấu phẩy (,), dấu chấm phẩy (;) hoặc tab.", "Separator: a comma (,), a semicolon (;) or a tab.")) }
                li { (frame.t("Ngày: 2024-03-01 (năm-tháng-ngày) hoặc 01/03/2024 (ngày/tháng/năm).", "Date: 2024-03-01 (year-month-day) or 01/03/2024 (day/month/year).")) }
                li { (frame.t("Số lượt: chữ số, có thể nhóm hàng nghìn như 7.582 hoặc 7,582 hoặc 7 582; có thể trong dấu ngoặc kép.", "Visits: digits, thousands may be grouped as 7.582, 7,582 or 7 582; quotes are fine.")) }
                li { (frame.t("Một dòng tiêu đề ở đầu, dòng trống và cột thêm sau dấu ; hoặc tab được bỏ qua.", "A heading line at the top, blank lines and further columns after ; or a tab are skipped.")) }
                li { (frame.t("Không nhận: một ngày hai lần, ngày sau hôm nay, năm ngoài 1970–9999. Một dòng sai thì cả tệp không được nhập, và trang nói dòng nào.", "Refused: a day given twice, a day after today, a year outside 1970–9999. One wrong line refuses the whole file, and the page names it.")) }
            }
        }
    }
}

/// The data read, before anything is written, with the button that writes
/// the same data.
fn preview(frame: &Frame, days: &[(Day, u64)], csv: &str) -> Markup {
    let n = |v: u64| frame.lang.number(v);
    let first = days.iter().map(|(d, _)| *d).min();
    let last = days.iter().map(|(d, _)| *d).max();
    let total: u64 = days.iter().map(|(_, v)| *v).sum();
    let date = |d: Option<Day>| {
        d.map(|d| d.date().strftime("%d/%m/%Y").to_string())
            .unwrap_or_default()
    };
    let shown: Vec<&(Day, u64)> = if days.len() <= PREVIEW_ROWS * 2 {
        days.iter().collect()
    } else {
        days[..PREVIEW_ROWS]
            .iter()
            .chain(&days[days.len() - PREVIEW_ROWS..])
            .collect()
    };
    html! {
        section.confirm #preview aria-labelledby="preview-title" {
            h2 #preview-title { (frame.t("Xem trước: chưa có gì được ghi", "Preview: nothing written yet")) }
            dl {
                dt { (frame.t("Số ngày", "Days")) } dd { (n(days.len() as u64)) }
                dt { (frame.t("Từ ngày", "First day")) } dd { (date(first)) }
                dt { (frame.t("Đến ngày", "Last day")) } dd { (date(last)) }
                dt { (frame.t("Tổng số lượt truy cập", "Total visits")) } dd { (n(total)) }
            }
            table {
                caption { (frame.t("Một vài dòng (đầu và cuối tệp)", "A few rows (first and last in the file)")) }
                thead { tr { th scope="col" { (frame.t("Ngày", "Day")) } th scope="col" { (frame.t("Lượt truy cập", "Visits")) } } }
                tbody {
                    @for (i, (day, visits)) in shown.iter().enumerate() {
                        @if i == PREVIEW_ROWS && days.len() > PREVIEW_ROWS * 2 {
                            tr { td colspan="2" { "… " (n((days.len() - PREVIEW_ROWS * 2) as u64)) " " (frame.t("ngày nữa", "more days")) } }
                        }
                        tr { th scope="row" { (date(Some(*day))) } td { (n(*visits)) } }
                    }
                }
            }
            form method="post" action=(frame.link("/admin/console/import")) {
                (frame.csrf_field())
                input type="hidden" name="csv" value=(csv);
                input type="hidden" name="confirm" value="1";
                div.actions { button type="submit" { (frame.t("Xác nhận nhập", "Confirm the import")) } }
            }
        }
    }
}

/// `+12.345` / `-5`: what a total changed by.
fn signed(lang: Lang, n: i64) -> String {
    let sign = if n < 0 {
        "-"
    } else if n > 0 {
        "+"
    } else {
        ""
    };
    format!("{sign}{}", lang.number(n.unsigned_abs()))
}

/// A baseline as an editor types it: digits, grouped with dots, commas or
/// spaces as people write 7.582.803.
fn parse_baseline(typed: &str) -> Option<u64> {
    let digits: String = typed
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}'))
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n <= MAX_BASELINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_are_read_as_people_write_them() {
        for (typed, read) in [
            ("7582803", Some(7_582_803)),
            ("7.582.803", Some(7_582_803)),
            (" 7 582 803 ", Some(7_582_803)),
            ("7,582,803", Some(7_582_803)),
            ("0", Some(0)),
            ("1000000000000", Some(1_000_000_000_000)),
            ("1000000000001", None),
            ("", None),
            ("-5", None),
            ("7.5e6", None),
            ("99999999999999999999999", None),
        ] {
            assert_eq!(parse_baseline(typed), read, "{typed:?}");
        }
    }

    #[test]
    fn changes_are_signed() {
        assert_eq!(signed(Lang::Vi, 12_345), "+12.345");
        assert_eq!(signed(Lang::En, -5_000), "-5,000");
        assert_eq!(signed(Lang::Vi, 0), "0");
    }
}
