//! The retractions' journal: one JSON line per waiting retraction, in a
//! file of this run's own under `<TALLY_DATA_DIR>/retractions/`.
//!
//! A retraction is appended and synced before its caller hears 503; the
//! file is written anew (under a temporary name, then renamed) when some
//! are done, and removed when none wait. A start claims the files earlier
//! runs left by renaming each before reading it, so two replicas sharing
//! the directory never both take one; it writes what they hold to its own
//! file before removing them, and keeps their damaged lines aside in
//! `<file>.damaged` for a person to look at.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ids::{AddressKey, Attempt, BallotId, PollId, VisitorKey, hex, random};
use crate::pacing::LogGate;
use crate::store::Retraction;

const PREFIX: &str = "pending-";
const SUFFIX: &str = ".jsonl";

pub struct Journal {
    dir: PathBuf,
    /// This run's file.
    file: PathBuf,
    /// A disk that refuses the journal refuses every write to it: logged
    /// once in a while.
    failed_line: LogGate,
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
            failed_line: LogGate::default(),
        })
    }

    /// The retractions earlier runs left. Each file is claimed, its
    /// readable lines are written to this run's own journal (synced) before
    /// the file is removed, and its damaged lines are kept aside in
    /// `<file>.damaged` beside it, counted in one log line: nothing is
    /// dropped unseen. A file that cannot be read, or whose lines cannot be
    /// kept, is given back under its name for a later start.
    pub fn take_left(&self) -> Vec<Retraction> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut left = Vec::new();
        let mut taken = Vec::new();
        let (mut damaged, mut aside) = (0, Vec::new());
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with(PREFIX) || !name.ends_with(SUFFIX) || entry.path() == self.file {
                continue;
            }
            let claimed = self.dir.join(format!("claimed-{}", hex(&random::<8>())));
            if fs::rename(entry.path(), &claimed).is_err() {
                continue; // another replica took it
            }
            let read = fs::read(&claimed).and_then(|bytes| {
                let (good, bad) = read_lines(&bytes);
                if !bad.is_empty() {
                    let kept = self.dir.join(format!("{name}.damaged"));
                    keep_aside(&kept, &bad)?;
                    damaged += bad.len();
                    aside.push(kept.display().to_string());
                }
                Ok(good)
            });
            match read {
                Ok(good) => {
                    left.extend(good);
                    taken.push((claimed, entry.path()));
                }
                Err(e) => {
                    tracing::error!(file = %entry.path().display(), error = %e, "cannot read a retractions' journal; it is left for a later start");
                    let _ = fs::rename(&claimed, entry.path());
                }
            }
        }
        if damaged > 0 {
            // A line cut short by a crash mid-append (its 503 was never
            // sent) is one of these; anything else is worth a look.
            tracing::warn!(
                damaged,
                kept = aside.join(", "),
                "damaged lines in the retractions' journal, kept aside; the others are retracted"
            );
        }
        let kept = taken.is_empty() || left.is_empty() || self.write(&left).is_ok();
        for (claimed, name) in taken {
            if kept {
                let _ = fs::remove_file(&claimed);
            } else {
                let _ = fs::rename(&claimed, name);
            }
        }
        if !kept {
            tracing::error!(file = %self.file.display(), "cannot write the retractions' journal; those left are kept where they were for a later start");
        }
        left
    }

    /// Appends `r` and syncs it to disk. A line the disk refuses (a full
    /// disk) is cut off again, so the next one does not follow half a line.
    pub fn append(&self, r: &Retraction) {
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .and_then(|mut f| {
                let before = f.metadata()?.len();
                let mut line = serde_json::to_vec(&Line::of(r)).map_err(std::io::Error::other)?;
                line.push(b'\n');
                let appended = f.write_all(&line).and_then(|()| f.sync_data());
                if appended.is_err() {
                    let _ = f.set_len(before);
                }
                appended
            });
        if let Err(e) = written
            && let Some(held) = self.failed_line.pass()
        {
            tracing::error!(file = %self.file.display(), error = %e, not_logged_since_last = held, "cannot journal a retraction; it waits in memory only");
        }
    }

    /// Writes the file anew with `waiting`; removes it when nothing waits.
    pub fn rewrite(&self, waiting: &[Retraction]) {
        if waiting.is_empty() {
            let _ = fs::remove_file(&self.file);
            return;
        }
        if let Err(e) = self.write(waiting) {
            // A full disk: what was written of the new file only takes room.
            let _ = fs::remove_file(self.file.with_extension("tmp"));
            if let Some(held) = self.failed_line.pass() {
                tracing::error!(file = %self.file.display(), error = %e, not_logged_since_last = held, "cannot rewrite the retractions' journal");
            }
        }
    }

    /// Writes the file anew with `waiting`, synced, under a temporary name
    /// first.
    fn write(&self, waiting: &[Retraction]) -> std::io::Result<()> {
        let tmp = self.file.with_extension("tmp");
        let mut f = File::create(&tmp)?;
        for r in waiting {
            let mut line = serde_json::to_vec(&Line::of(r)).map_err(std::io::Error::other)?;
            line.push(b'\n');
            f.write_all(&line)?;
        }
        f.sync_all()?;
        fs::rename(&tmp, &self.file)
    }
}

/// A journal's retractions, and its lines that are not one (as written).
fn read_lines(bytes: &[u8]) -> (Vec<Retraction>, Vec<&[u8]>) {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<Line>(line)
            .ok()
            .and_then(|l| l.retraction())
        {
            Some(r) => good.push(r),
            None => bad.push(line),
        }
    }
    (good, bad)
}

/// Appends `lines` to `path`, synced.
fn keep_aside(path: &Path, lines: &[&[u8]]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    for line in lines {
        f.write_all(line)?;
        f.write_all(b"\n")?;
    }
    f.sync_all()
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
        // The second run retracts them: its journal goes, and the first's
        // was taken once.
        second.rewrite(&[]);
        let third = Journal::open(&dir).unwrap();
        assert!(third.take_left().is_empty(), "a journal is taken once");
        // Only the torn line is left, kept aside.
        let left: Vec<_> = fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(left.len(), 1);
        assert!(
            left[0]
                .file_name()
                .to_string_lossy()
                .ends_with(".jsonl.damaged")
        );
        assert_eq!(fs::read(left[0].path()).unwrap(), b"{\"poll\":\"danh\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn damaged_lines_are_kept_aside_and_the_others_taken_into_the_new_journal() {
        let dir = std::env::temp_dir().join(format!("tally-journal-{}", hex(&random::<6>())));
        let first = Journal::open(&dir).unwrap();
        first.append(&retraction(1));
        let bad: [&[u8]; 3] = [
            b"not json at all",
            b"\xff\xfe{\"poll\":1}",
            b"{\"poll\":\"danh-gia\",\"visitor\":\"?\",\"address\":\"\",\"day\":\"2026-02-30\",\"ballot\":\"\",\"attempt\":\"zz\"}",
        ];
        let mut f = OpenOptions::new().append(true).open(&first.file).unwrap();
        for line in bad {
            f.write_all(line).unwrap();
            f.write_all(b"\n").unwrap();
        }
        drop(f);
        first.append(&retraction(2));
        let name = first
            .file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();

        let second = Journal::open(&dir).unwrap();
        assert_eq!(second.take_left(), vec![retraction(1), retraction(2)]);
        // Already in the new run's journal: a crash now loses none.
        let third = Journal::open(&dir).unwrap();
        assert_eq!(third.take_left(), vec![retraction(1), retraction(2)]);
        let kept = fs::read(dir.join(format!("{name}.damaged"))).unwrap();
        assert_eq!(kept, [bad.join(&b'\n'), b"\n".to_vec()].concat());
        fs::remove_dir_all(&dir).unwrap();
    }
}
