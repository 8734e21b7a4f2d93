//! The sheets tally exports, for people (in the site's language or the one
//! asked, options by their labels, what and when above the table) and for
//! scripts (ids, ISO dates, the English column names scripts already read):
//! a poll's results and ballots per day, visits per day and per month, the
//! most-read pages, the audit log.

use crate::calendar::{Day, Month};
use crate::counter::SiteVisits;
use crate::edge::text::{Lang, tr};
use crate::history::DayBallots;
use crate::ids::PageId;
use crate::ops::export::{Cell, Sheet, file_name};
use crate::poll::{Poll, Results};
use crate::sites::SiteDef;

/// Whom a sheet is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// A person, in a language.
    Person(Lang),
    /// A script: the columns and names the CSV export has always had.
    Script,
}

impl Reader {
    fn words(self, vi: &'static str, en: &'static str, script: &'static str) -> String {
        match self {
            Reader::Person(lang) => tr(lang, vi, en).to_owned(),
            Reader::Script => script.to_owned(),
        }
    }

    /// A day as this reader reads it: a date cell for people, its ISO
    /// text for scripts.
    fn day(self, day: Day) -> Cell {
        if self.people() {
            Cell::Date(day)
        } else {
            Cell::Text(day.to_string())
        }
    }

    fn people(self) -> bool {
        matches!(self, Reader::Person(_))
    }

    fn lang(self) -> Lang {
        match self {
            Reader::Person(lang) => lang,
            Reader::Script => Lang::En,
        }
    }
}

/// A span of days as people write it.
fn span(lang: Lang, from: Day, to: Day) -> String {
    let d = |day: Day| day.date().strftime("%d/%m/%Y").to_string();
    format!(
        "{}: {} – {}",
        tr(lang, "Thời gian", "Period"),
        d(from),
        d(to)
    )
}

/// A poll's results: each option's votes and share, the question, the
/// totals and the moment above them.
pub fn results(poll: &Poll, votes: &[u64], voters: u64, at: &str, reader: Reader) -> Sheet {
    let results = Results::new(poll, votes);
    let lang = reader.lang();
    let rows = results
        .options
        .into_iter()
        .map(|o| {
            let mut row = Vec::new();
            if !reader.people() {
                row.push(Cell::Text(o.id.as_str().to_owned()));
            }
            row.extend([
                Cell::Text(o.label),
                Cell::Count(o.votes),
                Cell::Percent(o.percent),
            ]);
            row
        })
        .collect();
    let mut header = Vec::new();
    if !reader.people() {
        header.push("option".to_owned());
    }
    header.extend([
        reader.words("Phương án", "Option", "label"),
        reader.words("Số phiếu", "Votes", "votes"),
        reader.words("Tỷ lệ (%)", "Share (%)", "percent"),
    ]);
    let total = format!(
        "{}: {} · {}: {}",
        tr(lang, "Tổng số phiếu", "Total votes"),
        lang.number(results.total_votes),
        tr(lang, "Số người bình chọn", "Voters"),
        lang.number(voters),
    );
    Sheet {
        name: format!(
            "{}-{}",
            tr(lang, "ket-qua", "results"),
            file_name(&poll.question)
        ),
        about: vec![
            poll.question.clone(),
            total,
            format!("{}: {at}", tr(lang, "Số liệu lúc", "As of")),
        ],
        header,
        rows,
    }
}

/// A poll's ballots per day and option.
pub fn ballots(poll: &Poll, days: &[DayBallots], reader: Reader) -> Sheet {
    let mut header = vec![reader.words("Ngày", "Date", "date")];
    let rows = if reader.people() {
        // One column an option, one row a day: what a chart wants.
        header.extend(poll.options.iter().map(|o| o.label.clone()));
        header.push(reader.words("Số người bình chọn", "Voters", "voters"));
        days.iter()
            .map(|d| {
                let mut row = vec![Cell::Date(d.day)];
                row.extend(d.votes.iter().map(|n| Cell::Count(*n)));
                row.push(Cell::Count(d.voters));
                row
            })
            .collect()
    } else {
        header.extend(["option".into(), "label".into(), "votes".into()]);
        days.iter()
            .flat_map(|d| {
                poll.options.iter().zip(&d.votes).map(|(o, n)| {
                    vec![
                        Cell::Text(d.day.to_string()),
                        Cell::Text(o.id.as_str().to_owned()),
                        Cell::Text(o.label.clone()),
                        Cell::Count(*n),
                    ]
                })
            })
            .collect()
    };
    let lang = reader.lang();
    let about = match (days.first(), days.last()) {
        (Some(first), Some(last)) => vec![poll.question.clone(), span(lang, first.day, last.day)],
        _ => vec![poll.question.clone()],
    };
    Sheet {
        name: format!(
            "{}-{}",
            tr(lang, "phieu-theo-ngay", "ballots-per-day"),
            file_name(&poll.question)
        ),
        about,
        header,
        rows,
    }
}

/// Visits on each day of a span.
pub fn days(days: &[(Day, u64)], from: Day, to: Day, reader: Reader) -> Sheet {
    let lang = reader.lang();
    Sheet {
        name: format!("{}-{from}-{to}", tr(lang, "luot-truy-cap", "visits")),
        about: vec![
            tr(lang, "Lượt truy cập mỗi ngày", "Visits per day").to_owned(),
            span(lang, from, to),
        ],
        header: vec![
            reader.words("Ngày", "Date", "date"),
            reader.words("Lượt truy cập", "Visits", "visits"),
        ],
        rows: days
            .iter()
            .map(|(d, n)| vec![reader.day(*d), Cell::Count(*n)])
            .collect(),
    }
}

/// Every site's visits on each day of a span, one row per site and day:
/// what a province sets beside the national monitoring system's figures.
pub fn site_days(sites: &[SiteVisits], days: &[Day], from: Day, to: Day, reader: Reader) -> Sheet {
    let lang = reader.lang();
    let parent = |site: &SiteDef| {
        site.parent
            .as_ref()
            .map_or_else(String::new, ToString::to_string)
    };
    Sheet {
        name: format!(
            "{}-{from}-{to}",
            tr(lang, "luot-truy-cap-cac-trang", "visits-by-site")
        ),
        about: vec![
            tr(
                lang,
                "Lượt truy cập mỗi ngày của từng trang",
                "Visits per day, site by site",
            )
            .to_owned(),
            span(lang, from, to),
        ],
        header: vec![
            reader.words("Mã trang", "Site", "site"),
            reader.words("Tên trang", "Name", "name"),
            reader.words("Trực thuộc", "Parent", "parent"),
            reader.words("Ngày", "Date", "date"),
            reader.words(
                "Lượt truy cập (cả các trang trực thuộc)",
                "Visits (with the sites below)",
                "visits",
            ),
            reader.words("Lượt truy cập của riêng trang", "Own visits", "own"),
        ],
        rows: sites
            .iter()
            .flat_map(|row| {
                days.iter()
                    .zip(row.visits.iter().zip(&row.own))
                    .map(move |(day, (visits, own))| {
                        vec![
                            Cell::Text(row.site.id.to_string()),
                            Cell::Text(row.site.name.clone()),
                            Cell::Text(parent(&row.site)),
                            reader.day(*day),
                            Cell::Count(*visits),
                            Cell::Count(*own),
                        ]
                    })
            })
            .collect(),
    }
}

/// Visits in each month of a span.
pub fn months(months: &[(Month, u64)], reader: Reader) -> Sheet {
    let lang = reader.lang();
    let name = match (months.first(), months.last()) {
        (Some((a, _)), Some((b, _))) => format!(
            "{}-{a}-{b}",
            tr(lang, "luot-truy-cap-thang", "visits-by-month")
        ),
        _ => tr(lang, "luot-truy-cap-thang", "visits-by-month").to_owned(),
    };
    Sheet {
        name,
        about: vec![tr(lang, "Lượt truy cập mỗi tháng", "Visits per month").to_owned()],
        header: vec![
            reader.words("Tháng", "Month", "month"),
            reader.words("Lượt truy cập", "Visits", "visits"),
        ],
        rows: months
            .iter()
            .map(|(m, n)| {
                let month = if reader.people() {
                    format!(
                        "{:02}/{}",
                        m.first_day().date().month(),
                        m.first_day().date().year()
                    )
                } else {
                    m.to_string()
                };
                vec![Cell::Text(month), Cell::Count(*n)]
            })
            .collect(),
    }
}

/// Each day's most-read pages.
pub fn pages_per_day(
    days: &[(Day, Vec<(PageId, u64)>)],
    from: Day,
    to: Day,
    reader: Reader,
) -> Sheet {
    let lang = reader.lang();
    Sheet {
        name: format!("{}-{from}-{to}", tr(lang, "luot-xem-trang", "page-views")),
        about: vec![
            tr(
                lang,
                "Trang được xem nhiều nhất mỗi ngày",
                "Most-read pages each day",
            )
            .to_owned(),
            span(lang, from, to),
        ],
        header: vec![
            reader.words("Ngày", "Date", "date"),
            reader.words("Trang", "Page", "page"),
            reader.words("Lượt xem", "Views", "views"),
        ],
        rows: days
            .iter()
            .flat_map(|(day, pages)| {
                pages.iter().map(move |(p, n)| {
                    vec![
                        reader.day(*day),
                        Cell::Text(p.as_str().to_owned()),
                        Cell::Count(*n),
                    ]
                })
            })
            .collect(),
    }
}

/// The most-read pages of a span.
pub fn top_pages(pages: &[(PageId, u64)], from: Day, to: Day, reader: Reader) -> Sheet {
    let lang = reader.lang();
    Sheet {
        name: format!("{}-{from}-{to}", tr(lang, "trang-xem-nhieu", "top-pages")),
        about: vec![
            tr(lang, "Trang được xem nhiều nhất", "Most-read pages").to_owned(),
            span(lang, from, to),
        ],
        header: vec![
            reader.words("Trang", "Page", "page"),
            reader.words("Lượt xem", "Views", "views"),
        ],
        rows: pages
            .iter()
            .map(|(p, n)| vec![Cell::Text(p.as_str().to_owned()), Cell::Count(*n)])
            .collect(),
    }
}

/// One audit entry's columns: when, who, what, which, before, after.
pub type AuditRow = [String; 6];

/// The audit log, newest first.
pub fn audit(entries: &[AuditRow], today: Day, reader: Reader) -> Sheet {
    let lang = reader.lang();
    Sheet {
        name: format!("{}-{today}", tr(lang, "nhat-ky", "audit")),
        about: vec![tr(lang, "Nhật ký thay đổi", "Audit log").to_owned()],
        header: vec![
            reader.words("Thời điểm", "When", "at"),
            reader.words("Người thực hiện", "Who", "who"),
            reader.words("Thao tác", "Action", "action"),
            reader.words("Đối tượng", "Target", "target"),
            reader.words("Trước", "Before", "before"),
            reader.words("Sau", "After", "after"),
        ],
        rows: entries
            .iter()
            .map(|e| e.iter().map(|c| Cell::Text(c.clone())).collect())
            .collect(),
    }
}
