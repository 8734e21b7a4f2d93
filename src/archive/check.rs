//! Two copies of a deployment's state compared count for count: each is
//! read into a summary (one line per counter, day, page, poll count, voter
//! record, tombstone and audit entry) and every line that differs is told.
//! A summary holds the state's lines in memory: a check is an operator's
//! occasional command, not a request.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::format::Header;
use crate::ids::SiteId;
use crate::sites::Sites;
use crate::store::piece::{Period, Piece, SINK_DEPTH};
use crate::store::{Store, StoreError};

/// What one copy holds: a line's name → its value; a zero count is no
/// line, so a counter a store never wrote equals one written as 0.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    lines: BTreeMap<String, String>,
    audit: u64,
}

impl Summary {
    pub fn add(&mut self, piece: &Piece) {
        let site = piece.site();
        let mut count = |name: String, n: u64| {
            if n > 0 {
                *self
                    .lines
                    .entry(format!("{site} {name}"))
                    .or_insert_with(|| "0".into()) = n.to_string();
            }
        };
        match piece {
            Piece::Counters {
                baseline, visits, ..
            } => {
                count("baseline".into(), *baseline);
                count("visits".into(), *visits);
            }
            Piece::Bucket { period, visits, .. } => {
                let name = match period {
                    Period::Day(d) => format!("visits on day {d}"),
                    Period::Week(w) => format!("visits in week {w}"),
                    Period::Month(m) => format!("visits in month {m}"),
                };
                count(name, *visits);
            }
            Piece::Day {
                day,
                visits,
                imported,
                ..
            } => {
                count(format!("history {day}"), *visits);
                count(format!("history {day} imported"), *imported);
            }
            Piece::Page { page, views, .. } => count(format!("page {page}"), *views),
            Piece::PageDay {
                day, page, views, ..
            } => {
                count(format!("page {page} on {day}"), *views);
            }
            Piece::Poll { poll, counts, .. } => {
                for (option, n) in counts {
                    count(format!("poll {} {option}", poll.id), *n);
                }
                let def = serde_json::to_string(poll).unwrap_or_default();
                self.line(site, format!("poll {} definition", poll.id), def);
            }
            Piece::PollDay {
                poll,
                day,
                option,
                ballots,
                ..
            } => {
                count(format!("poll {poll} {option} on {day}"), *ballots);
            }
            Piece::Voter {
                poll,
                visitor,
                record,
                ..
            } => {
                self.line(site, format!("poll {poll} voter {visitor}"), record.clone());
            }
            Piece::DeletedPoll { poll, .. } => {
                self.line(site, format!("poll {poll} deleted"), "yes".into());
            }
            Piece::Audit { entry, .. } => {
                self.audit += 1;
                let name = format!("audit entry {}", self.audit);
                self.line(site, name, entry.clone());
            }
        }
    }

    fn line(&mut self, site: &str, name: String, value: String) {
        self.lines.insert(format!("{site} {name}"), value);
    }

    /// Every line that differs: `<line>: <here> here, <there> there`.
    pub fn differences(&self, there: &Summary, here_is: &str, there_is: &str) -> Vec<String> {
        let absent = || "none".to_owned();
        let mut out = Vec::new();
        let names: std::collections::BTreeSet<&String> =
            self.lines.keys().chain(there.lines.keys()).collect();
        for name in names {
            let (a, b) = (self.lines.get(name), there.lines.get(name));
            if a != b {
                let a = a.cloned().unwrap_or_else(absent);
                let b = b.cloned().unwrap_or_else(absent);
                out.push(format!("{name}: {a} in {here_is}, {b} in {there_is}"));
            }
        }
        out
    }

    /// How many lines it holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The count a line holds (`0` when it has none).
    pub fn count(&self, line: &str) -> u64 {
        self.lines
            .get(line)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// The names of its lines starting with `prefix`.
    pub fn starting_with<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.lines
            .range(prefix.to_owned()..)
            .map(|(k, _)| k.as_str())
            .take_while(move |k| k.starts_with(prefix))
    }
}

/// The summary of an export file, read whole (a cut one is refused).
pub fn file_summary(path: &std::path::Path) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    for piece in super::restore::open(path)? {
        let piece = anyhow::Context::with_context(piece, || path.display().to_string())?;
        summary.add(&piece);
    }
    Ok(summary)
}

/// The summary of what `store` holds of `sites`, read through its export,
/// one site after another.
pub async fn store_summary(store: Arc<dyn Store>, sites: &[SiteId]) -> Result<Summary, StoreError> {
    let (sink, mut pieces) = mpsc::channel(SINK_DEPTH);
    let sites = sites.to_vec();
    let reading = tokio::spawn(async move {
        for site in &sites {
            store.export(site, sink.clone()).await?;
        }
        Ok::<_, StoreError>(())
    });
    let mut summary = Summary::default();
    while let Some(piece) = pieces.recv().await {
        summary.add(&piece);
    }
    reading
        .await
        .map_err(|e| StoreError::Unavailable(format!("export task: {e}")))??;
    Ok(summary)
}

/// The sites a store is compared on with an export: every site this tally
/// serves and every site the export lists, each once, in id order (a site
/// the store holds and the export lacks is a difference too).
pub fn compared_sites(served: &Sites, header: &Header) -> Vec<SiteId> {
    let mut sites: Vec<SiteId> = served.all().into_iter().map(|d| d.id.clone()).collect();
    sites.extend(
        header
            .sites
            .iter()
            .filter_map(|entry| SiteId::parse(&entry.id).ok()),
    );
    sites.sort();
    sites.dedup();
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_count_equals_no_count_and_each_difference_is_a_line() {
        let site = || "default".to_owned();
        let mut a = Summary::default();
        a.add(&Piece::Counters {
            site: site(),
            baseline: 0,
            visits: 5,
        });
        a.add(&Piece::Page {
            site: site(),
            page: "/a".into(),
            views: 2,
        });
        let mut b = Summary::default();
        b.add(&Piece::Counters {
            site: site(),
            baseline: 0,
            visits: 5,
        });
        b.add(&Piece::Page {
            site: site(),
            page: "/a".into(),
            views: 3,
        });
        b.add(&Piece::Page {
            site: site(),
            page: "/b".into(),
            views: 0,
        });
        assert_eq!(
            a.differences(&b, "the store", "the export"),
            vec!["default page /a: 2 in the store, 3 in the export"]
        );
        b.add(&Piece::Audit {
            site: site(),
            entry: "x".into(),
        });
        assert_eq!(
            a.differences(&b, "A", "B"),
            vec![
                "default audit entry 1: none in A, x in B",
                "default page /a: 2 in A, 3 in B"
            ]
        );
    }
}
