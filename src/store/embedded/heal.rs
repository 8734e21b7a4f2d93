//! How the embedded store's writer gets over a disk error (a full disk, an
//! I/O error). redb then refuses every operation until the file is closed
//! and opened again, so the writer gives the database up, refuses writes
//! (their callers hear 503 at once; the store is not ready), and tries to
//! open the file again after a growing, bounded delay: once a probe file
//! and a durable commit show that the disk takes writes, the new database
//! is swapped in ([`Current`]) and writes resume, without a restart.
//!
//! Writes committed without an fsync since the last durable commit may be
//! lost with the old database, as with `kill -9`; a ballot answered 201
//! was durable before its answer.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use redb::Database;

use super::current::Current;
use super::tables::CACHE_BYTES;
use crate::pacing::{Backoff, LogGate};

/// The first wait before opening the file again, and the longest: writes
/// resume within about that long of the disk taking them again.
const FIRST_TRY: Duration = Duration::from_millis(200);
const MOST_WAIT: Duration = Duration::from_secs(4);
/// Writes that succeeded for this long make the next failure start the
/// delays over; a disk that fails again sooner keeps backing off.
const STEADY: Duration = Duration::from_secs(60);
/// What a probe file writes: a disk with less room is still full.
const PROBE_BYTES: usize = 1 << 20;
const PROBE_NAME: &str = ".tally-disk-probe";

/// The writer's side of the database: the one it commits to, and what it
/// needs to replace it after a disk error.
pub(super) struct Disk {
    path: PathBuf,
    current: Arc<Current>,
    /// `None` from a disk error until the file is open again.
    db: Option<Arc<Database>>,
    /// The database given up after a disk error, closed once no read
    /// holds it any more.
    closing: Option<Arc<Database>>,
    backoff: Backoff,
    steady_since: Instant,
    failed_line: LogGate,
    retry_line: LogGate,
    rolled_back_line: LogGate,
}

impl Disk {
    /// The writer's side of `current`, the database in the file `path`.
    pub(super) fn new(path: PathBuf, current: Arc<Current>) -> Self {
        Self {
            db: current.db().ok(),
            path,
            current,
            closing: None,
            backoff: Backoff::new(FIRST_TRY, MOST_WAIT),
            steady_since: Instant::now(),
            failed_line: LogGate::default(),
            retry_line: LogGate::default(),
            rolled_back_line: LogGate::default(),
        }
    }

    /// The database to commit to; `None` while writes fail.
    pub(super) fn db(&self) -> Option<&Database> {
        self.db.as_deref()
    }

    /// `writes` refused unrun while writes fail.
    pub(super) fn refused(&self, writes: usize) {
        self.current.refused(writes as u64);
    }

    /// Whether the database was given up after a disk error.
    pub(super) fn failing(&self) -> bool {
        self.db.is_none()
    }

    /// A write's own refusal (not the disk's) rolled its group back.
    pub(super) fn rolled_back(&self, error: &redb::Error) {
        if let Some(held) = self.rolled_back_line.pass() {
            tracing::error!(error = %error, not_logged_since_last = held, "embedded store: write rolled back");
        }
    }

    /// A commit carrying `writes` writes failed on the disk: the database
    /// is given up, and writes are refused until [`Disk::heal`] opens the
    /// file again.
    pub(super) fn failed(&mut self, error: redb::Error, writes: usize) {
        if self.steady_since.elapsed() >= STEADY {
            self.backoff.reset();
        }
        let cause = error.to_string();
        drop(self.current.failed(cause.clone(), writes.max(1) as u64));
        if let Some(db) = self.db.take() {
            self.closing = Some(db);
        }
        if let Some(held) = self.failed_line.pass() {
            tracing::error!(
                error = %cause,
                not_logged_since_last = held,
                "embedded store: the disk refused a write; writes are refused (not ready) until the database file is opened again, tried with a growing delay"
            );
        }
    }

    /// Waits before the next try (refusing whatever write arrives
    /// meanwhile), then tries to open the file again. `false` when the
    /// writer is stopping.
    pub(super) fn heal<T>(&mut self, jobs: &mpsc::Receiver<T>) -> bool {
        let until = Instant::now() + self.backoff.failed();
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match jobs.recv_timeout(left) {
                // Dropped unrun: its caller hears that writes fail.
                Ok(job) => {
                    drop(job);
                    self.current.refused(1);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
        match self.reopen() {
            Ok(db) => {
                let failed_for = self.current.healed(Arc::clone(&db));
                self.db = Some(db);
                self.steady_since = Instant::now();
                tracing::warn!(
                    failed_for = ?failed_for.unwrap_or_default(),
                    "embedded store: the disk takes writes again; database reopened, writes resume"
                );
            }
            Err(Some(why)) => {
                if let Some(held) = self.retry_line.pass() {
                    tracing::error!(error = %why, not_logged_since_last = held, "embedded store: writes still fail; trying again later");
                }
                self.current.still_failing(why);
            }
            // A read still holds the database given up: next time.
            Err(None) => {}
        }
        true
    }

    /// Closes the database given up, shows that the disk takes writes
    /// again, and opens the file anew (repairing it, as after a crash).
    /// `Err(None)` while a read still holds the database given up (redb
    /// locks its file until it is closed); `Err(Some)` says why writes
    /// still fail.
    fn reopen(&mut self) -> Result<Arc<Database>, Option<String>> {
        if let Some(old) = self.closing.take() {
            match Arc::try_unwrap(old) {
                // After a disk error its close fails too, and still lets
                // the file go.
                Ok(db) => drop(db.close()),
                Err(old) => {
                    self.closing = Some(old);
                    return Err(None);
                }
            }
        }
        self.open().map_err(Some)
    }

    fn open(&self) -> Result<Arc<Database>, String> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        probe(dir).map_err(|e| format!("writing a probe file in {}: {e}", dir.display()))?;
        let opened = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&self.path)
            .map_err(|e| format!("reopening {}: {e}", self.path.display()))?;
        // An empty durable commit: the file's header is written and synced.
        let commit = opened
            .begin_write()
            .map_err(redb::Error::from)
            .and_then(|txn| {
                txn.commit()?;
                Ok(())
            });
        commit.map_err(|e| format!("a first write to {}: {e}", self.path.display()))?;
        Ok(Arc::new(opened))
    }
}

/// Whether a write's `error` comes from the disk (the database must be
/// opened again), not from its own data.
pub(super) fn is_disk_error(error: &redb::Error) -> bool {
    matches!(
        error,
        redb::Error::Io(_)
            | redb::Error::PreviousIo
            | redb::Error::DatabaseClosed
            | redb::Error::Backend(_)
            | redb::Error::LockPoisoned(_)
            | redb::Error::TransactionPoisoned
    )
}

/// Writes and syncs [`PROBE_BYTES`] in `dir`, then deletes them.
fn probe(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(PROBE_NAME);
    let written = std::fs::File::create(&path).and_then(|mut file| {
        file.write_all(&vec![0; PROBE_BYTES])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&path);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk_error() -> redb::Error {
        redb::Error::Io(std::io::Error::from_raw_os_error(28))
    }

    #[test]
    fn after_a_disk_error_writes_are_refused_until_the_file_is_open_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tally.redb");
        let current = Arc::new(Current::new(Arc::new(Database::create(&path).unwrap())));
        let mut disk = Disk::new(path, Arc::clone(&current));
        let (_jobs, queue) = mpsc::channel::<()>();
        // A read in flight holds the database.
        let reading = current.db().unwrap();

        disk.failed(disk_error(), 3);
        assert!(disk.failing());
        let refused = current.writable().unwrap_err().to_string();
        assert!(refused.contains("No space left on device"), "{refused}");
        assert!(current.db().is_err(), "no reads from a database given up");
        assert_eq!(current.health().refused, 3);
        assert!(!current.health().writable);

        // Not while a read holds the old database: the file is locked.
        assert!(disk.heal(&queue));
        assert!(disk.failing());
        let refused = current.writable().unwrap_err().to_string();
        assert!(refused.contains("No space left on device"), "{refused}");
        drop(reading);
        assert!(disk.heal(&queue));
        assert!(!disk.failing());
        assert!(current.writable().is_ok() && current.db().is_ok());
        assert!(current.health().writable);
        let txn = disk.db().unwrap().begin_write().unwrap();
        txn.commit().unwrap();
    }

    #[test]
    fn a_writes_own_error_is_no_disk_error() {
        assert!(is_disk_error(&disk_error()));
        assert!(is_disk_error(&redb::Error::PreviousIo));
        assert!(!is_disk_error(&redb::Error::Corrupted("a poll".into())));
        assert!(!is_disk_error(&redb::Error::TableDoesNotExist("t".into())));
    }

    #[test]
    fn a_stopping_writer_stops_healing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tally.redb");
        let current = Arc::new(Current::new(Arc::new(Database::create(&path).unwrap())));
        let mut disk = Disk::new(path, current);
        disk.failed(disk_error(), 1);
        let (jobs, queue) = mpsc::channel::<()>();
        jobs.send(()).unwrap();
        drop(jobs);
        // The job waiting is refused; then the writer hears it must stop.
        assert!(!disk.heal(&queue));
    }
}
