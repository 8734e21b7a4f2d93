//! The retractions' journal: one JSON line per waiting retraction, in a
//! file of this run's own under `<TALLY_DATA_DIR>/retractions/`.
//!
//! A retraction is appended and synced before its caller hears 503; the
//! file is written anew (under a temporary name, then renamed) when some
//! are done, and removed when none wait. A start claims the files earlier
//! runs left by renaming each before reading it, so two replicas sharing
//! the directory never both take one.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ids::{AddressKey, Attempt, BallotId, PollId, VisitorKey, hex, random};
use crate::store::Retraction;

const PREFIX: &str = "pending-";
const SUFFIX: &str = ".jsonl";

pub struct Journal {
    dir: PathBuf,
    /// This run's file.
    file: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Line {
    poll: String,
    visitor: String,
    address: String,
    /// `yyyy-mm-dd`.
    day: String,
    ballot: String,
    attempt: String,
}

impl Line {
    fn of(r: &Retraction) -> Self {
        Self {
            poll: r.poll.to_string(),
            visitor: r.visitor.to_string(),
            address: r.address.as_str().to_owned(),
            day: r.day.to_string(),
            ballot: r.ballot.to_string(),
            attempt: r.attempt.to_hex(),
        }
    }

    fn retraction(&self) -> Option<Retraction> {
        Some(Retraction {
            poll: PollId::parse(&self.poll).ok()?,
            visitor: VisitorKey::from_stored(&self.visitor)?,
            address: AddressKey::from_stored(&self.address)?,
            day: self.day.parse().ok()?,
            ballot: BallotId::parse(&self.ballot).ok()?,
            attempt: Attempt(u64::from_str_radix(&self.attempt, 16).ok()?),
        })
    }
}

impl Journal {
    /// A journal in `dir`, made if missing. `None` (logged) when the
    /// directory cannot be made: retractions then wait in memory only.
    pub fn open(dir: &Path) -> Option<Self> {
        if let Err(e) = fs::create_dir_all(dir) {
            tracing::error!(dir = %dir.display(), error = %e, "cannot make the retractions' directory; retractions will not survive a restart");
            return None;
        }
        let file = dir.join(format!("{PREFIX}{}{SUFFIX}", hex(&random::<8>())));
        Some(Self {
            dir: dir.to_owned(),
            file,
        })
    }

    /// The retractions earlier runs left, each file claimed and removed.
    pub fn take_left(&self) -> Vec<Retraction> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut left = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with(PREFIX) || !name.ends_with(SUFFIX) || entry.path() == self.file {
                continue;
            }
            let claimed = self.dir.join(format!("claimed-{}", hex(&random::<8>())));
            if fs::rename(entry.path(), &claimed).is_err() {
                continue; // another replica took it
            }
            if let Ok(file) = File::open(&claimed) {
                for line in BufReader::new(file).lines().map_while(Result::ok) {
                    match serde_json::from_str::<Line>(&line)
                        .ok()
                        .and_then(|l| l.retraction())
                    {
                        Some(r) => left.push(r),
                        // A line cut short by a crash mid-append: its 503
                        // was never sent.
                        None => tracing::warn!("skipping an unreadable retraction line"),
                    }
                }
            }
            let _ = fs::remove_file(&claimed);
        }
        left
    }

    /// Appends `r` and syncs it to disk.
    pub fn append(&self, r: &Retraction) {
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .and_then(|mut f| {
                let mut line = serde_json::to_vec(&Line::of(r)).map_err(std::io::Error::other)?;
                line.push(b'\n');
                f.write_all(&line)?;
                f.sync_data()
            });
        if let Err(e) = written {
            tracing::error!(file = %self.file.display(), error = %e, "cannot journal a retraction; it waits in memory only");
        }
    }

    /// Writes the file anew with `waiting`; removes it when nothing waits.
    pub fn rewrite(&self, waiting: &[Retraction]) {
        if waiting.is_empty() {
            let _ = fs::remove_file(&self.file);
            return;
        }
        let tmp = self.file.with_extension("tmp");
        let written = File::create(&tmp).and_then(|mut f| {
            for r in waiting {
                let mut line = serde_json::to_vec(&Line::of(r)).map_err(std::io::Error::other)?;
                line.push(b'\n');
                f.write_all(&line)?;
            }
            f.sync_all()?;
            fs::rename(&tmp, &self.file)
        });
        if let Err(e) = written {
            tracing::error!(file = %self.file.display(), error = %e, "cannot rewrite the retractions' journal");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retraction(n: u8) -> Retraction {
        Retraction {
            poll: PollId::parse("danh-gia").unwrap(),
            visitor: VisitorKey::from_cookie(&format!("{n:036x}")).unwrap(),
            address: AddressKey::from_hash([n; 16]),
            day: "2026-12-02".parse().unwrap(),
            ballot: BallotId::parse(&format!("{n:032x}")).unwrap(),
            attempt: Attempt(u64::from(n) << 40),
        }
    }

    #[test]
    fn what_one_run_journals_the_next_takes_once() {
        let dir = std::env::temp_dir().join(format!("tally-journal-{}", hex(&random::<6>())));
        let first = Journal::open(&dir).unwrap();
        first.append(&retraction(1));
        first.append(&retraction(2));
        first.rewrite(&[retraction(2)]);
        first.append(&retraction(3));
        // A line cut short by a crash.
        let mut f = OpenOptions::new().append(true).open(&first.file).unwrap();
        f.write_all(b"{\"poll\":\"danh").unwrap();
        drop(f);

        let second = Journal::open(&dir).unwrap();
        assert_eq!(second.take_left(), vec![retraction(2), retraction(3)]);
        let third = Journal::open(&dir).unwrap();
        assert!(third.take_left().is_empty(), "a journal is taken once");
        second.rewrite(&[]);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
