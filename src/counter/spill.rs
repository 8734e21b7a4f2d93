//! Hits the store would not take before shutdown, kept on local disk and
//! written by the next start, so a SIGTERM during a store outage loses
//! nothing that reaches the next start of a replica with the same
//! directory.
//!
//! A spill file holds the outage buffer's hits (with their ids, so sending
//! them again is safe) and the batches of increments not yet acknowledged
//! (with their ids, which the store recognises for an hour). It is written
//! whole under a temporary name and renamed; a start claims each file by
//! renaming it before reading it, so two replicas sharing the directory
//! never both take one.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Hit, PendingHit};
use crate::calendar::Buckets;
use crate::ids::random;
use crate::ids::{PageId, VisitId, VisitorKey};
use crate::store::Batch;

const PREFIX: &str = "spill-";
const SUFFIX: &str = ".json";

/// What one shutdown could not write.
#[derive(Default)]
pub(super) struct Spill {
    pub hits: Vec<PendingHit>,
    pub batches: Vec<Batch>,
}

#[derive(Serialize, Deserialize)]
struct HitRecord {
    visitor: String,
    inherit: Option<String>,
    page: Option<String>,
    at_ms: i64,
    /// `yyyy-mm-dd`.
    day: String,
    id: u64,
}

#[derive(Serialize, Deserialize)]
struct BatchRecord {
    id: String,
    /// (day, visits): the week and month follow from the day.
    visits: Vec<(String, u64)>,
    page_views: Vec<(String, u64)>,
    /// (day, page, views); absent in files of earlier versions.
    #[serde(default)]
    page_days: Vec<(String, String, u64)>,
    seen: Vec<(u64, i64)>,
}

#[derive(Serialize, Deserialize)]
struct File {
    hits: Vec<HitRecord>,
    batches: Vec<BatchRecord>,
}

impl Spill {
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty() && self.batches.is_empty()
    }

    fn to_file(&self) -> File {
        File {
            hits: self
                .hits
                .iter()
                .map(|p| HitRecord {
                    visitor: p.hit.visitor.as_str().to_owned(),
                    inherit: p.hit.inherit.as_ref().map(|v| v.as_str().to_owned()),
                    page: p.hit.page.as_ref().map(|p| p.as_str().to_owned()),
                    at_ms: p.at.as_millisecond(),
                    day: p.day.to_string(),
                    id: p.id,
                })
                .collect(),
            batches: self
                .batches
                .iter()
                .map(|b| BatchRecord {
                    id: b.id.clone(),
                    visits: b
                        .visits
                        .iter()
                        .map(|(k, n)| (k.day.to_string(), *n))
                        .collect(),
                    page_views: b
                        .page_views
                        .iter()
                        .map(|(p, n)| (p.as_str().to_owned(), *n))
                        .collect(),
                    page_days: b
                        .page_days
                        .iter()
                        .map(|(d, p, n)| (d.to_string(), p.as_str().to_owned(), *n))
                        .collect(),
                    seen: b
                        .seen
                        .iter()
                        .map(|(v, at)| (v.0, at.as_millisecond()))
                        .collect(),
                })
                .collect(),
        }
    }

    /// What a file holds; records this version cannot read are left out.
    fn from_file(file: File) -> Self {
        let hits = file
            .hits
            .into_iter()
            .filter_map(|r| {
                Some(PendingHit {
                    hit: Hit {
                        visitor: VisitorKey::from_stored(&r.visitor)?,
                        inherit: r.inherit.as_deref().and_then(VisitorKey::from_stored),
                        page: r.page.as_deref().and_then(|p| PageId::parse(p).ok()),
                    },
                    at: Timestamp::from_millisecond(r.at_ms).ok()?,
                    day: r.day.parse().ok()?,
                    id: r.id,
                })
            })
            .collect();
        let batches = file
            .batches
            .into_iter()
            .map(|b| Batch {
                id: b.id,
                visits: b
                    .visits
                    .into_iter()
                    .filter_map(|(day, n)| Some((Buckets::of(day.parse().ok()?), n)))
                    .collect(),
                page_views: b
                    .page_views
                    .into_iter()
                    .filter_map(|(p, n)| Some((PageId::parse(&p).ok()?, n)))
                    .collect(),
                page_days: b
                    .page_days
                    .into_iter()
                    .filter_map(|(d, p, n)| Some((d.parse().ok()?, PageId::parse(&p).ok()?, n)))
                    .collect(),
                seen: b
                    .seen
                    .into_iter()
                    .filter_map(|(v, at)| Some((VisitId(v), Timestamp::from_millisecond(at).ok()?)))
                    .collect(),
            })
            .collect();
        Self { hits, batches }
    }

    /// Writes a new spill file in `dir`; returns its path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let name = format!(
            "{PREFIX}{}-{}{SUFFIX}",
            Timestamp::now().as_millisecond(),
            crate::ids::hex(&random::<4>())
        );
        let path = dir.join(&name);
        let partial = dir.join(format!(".{name}.partial"));
        let bytes = serde_json::to_vec(&self.to_file()).map_err(std::io::Error::other)?;
        let written = std::fs::write(&partial, bytes)
            .and_then(|()| std::fs::File::open(&partial)?.sync_all())
            .and_then(|()| std::fs::rename(&partial, &path));
        if written.is_err() {
            // A full disk: what was written of it only takes room.
            let _ = std::fs::remove_file(&partial);
        }
        written.map(|()| path)
    }

    /// Claims and reads every spill file in `dir`, deleting each once it is
    /// in memory. A file that cannot be read is kept, renamed `.bad`.
    pub fn take_all(dir: &Path) -> Self {
        let mut all = Spill::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return all;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
            .collect();
        names.sort();
        for name in names {
            let claimed = dir.join(format!("{name}.{}.claimed", std::process::id()));
            if std::fs::rename(dir.join(&name), &claimed).is_err() {
                continue; // another replica took it
            }
            let parsed = std::fs::read(&claimed)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    serde_json::from_slice::<File>(&bytes).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(file) => {
                    let spill = Spill::from_file(file);
                    all.hits.extend(spill.hits);
                    all.batches.extend(spill.batches);
                    let _ = std::fs::remove_file(&claimed);
                }
                Err(e) => {
                    tracing::error!(file = %name, error = %e, "a spill file cannot be read; kept as .bad");
                    let _ = std::fs::rename(&claimed, dir.join(format!("{name}.bad")));
                }
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spill_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let visitor = VisitorKey::from_address_hash([7; 16]);
        let spill = Spill {
            hits: vec![PendingHit {
                hit: Hit {
                    visitor: visitor.clone(),
                    inherit: None,
                    page: Some(PageId::parse("/tin-tuc/1").unwrap()),
                },
                at: Timestamp::from_millisecond(1_800_000_000_000).unwrap(),
                day: "2027-01-15".parse().unwrap(),
                id: u64::MAX,
            }],
            batches: vec![Batch {
                id: "r-1".into(),
                visits: vec![(Buckets::of("2027-01-15".parse().unwrap()), 3)],
                page_views: vec![(PageId::parse("/a").unwrap(), 2)],
                page_days: vec![(
                    "2027-01-15".parse().unwrap(),
                    PageId::parse("/a").unwrap(),
                    2,
                )],
                seen: vec![(VisitId(9), Timestamp::from_millisecond(5).unwrap())],
            }],
        };
        spill.write(dir.path()).unwrap();
        let back = Spill::take_all(dir.path());
        assert_eq!(back.batches, spill.batches);
        assert_eq!(back.hits.len(), 1);
        assert_eq!(back.hits[0].hit.visitor, visitor);
        assert_eq!(back.hits[0].id, u64::MAX);
        assert_eq!(back.hits[0].hit.page, spill.hits[0].hit.page);
        assert!(Spill::take_all(dir.path()).is_empty(), "taken once");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
