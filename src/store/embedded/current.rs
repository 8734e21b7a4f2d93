//! The database file the embedded store uses now, and whether it takes
//! writes. After a disk error redb refuses every operation until the file
//! is closed and opened again; the writer thread does that (`heal.rs`) and
//! swaps the new database in here, where readers take it from.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use redb::Database;

use crate::store::{DiskHealth, StoreError};

/// The current database, shared by the writer and every reader.
pub(super) struct Current {
    /// `None` from a disk error until the file is open again.
    db: RwLock<Option<Arc<Database>>>,
    /// Why writes fail, while they do.
    fault: Mutex<Option<Fault>>,
    /// Writes the disk did not take, since the start.
    refused: AtomicU64,
}

struct Fault {
    cause: String,
    since: Instant,
}

impl Current {
    pub(super) fn new(db: Arc<Database>) -> Self {
        Self {
            db: RwLock::new(Some(db)),
            fault: Mutex::new(None),
            refused: AtomicU64::new(0),
        }
    }

    /// The database to read from; refused while the file is being opened
    /// again after a disk error.
    pub(super) fn db(&self) -> Result<Arc<Database>, StoreError> {
        let db = self.db.read().clone();
        db.ok_or_else(|| self.refusal())
    }

    /// Refused while writes fail, naming why.
    pub(super) fn writable(&self) -> Result<(), StoreError> {
        let failing = self.fault.lock().is_some();
        if failing { Err(self.refusal()) } else { Ok(()) }
    }

    /// What a write or read is told while writes fail.
    pub(super) fn refusal(&self) -> StoreError {
        let why = match &*self.fault.lock() {
            Some(fault) => format!(
                "embedded store: writes fail ({}), for {}s; reopening the database",
                fault.cause,
                fault.since.elapsed().as_secs()
            ),
            None => "embedded store: the write failed and was rolled back".into(),
        };
        StoreError::Unavailable(why)
    }

    /// A disk error: writes fail from now on, and readers get no database
    /// until [`Current::healed`]. Gives the database up to the caller, who
    /// closes it once no reader holds it. `refused`: the writes it cost.
    pub(super) fn failed(&self, cause: String, refused: u64) -> Option<Arc<Database>> {
        self.refused.fetch_add(refused, Ordering::Relaxed);
        let mut fault = self.fault.lock();
        match fault.as_mut() {
            Some(fault) => fault.cause = cause,
            None => {
                *fault = Some(Fault {
                    cause,
                    since: Instant::now(),
                })
            }
        }
        self.db.write().take()
    }

    /// Still failing, now for `cause` (a try at reopening said so).
    pub(super) fn still_failing(&self, cause: String) {
        if let Some(fault) = self.fault.lock().as_mut() {
            fault.cause = cause;
        }
    }

    /// Counts `n` writes refused while writes fail.
    pub(super) fn refused(&self, n: u64) {
        self.refused.fetch_add(n, Ordering::Relaxed);
    }

    /// The file is open again and took a durable write: how long writes
    /// failed.
    pub(super) fn healed(&self, db: Arc<Database>) -> Option<std::time::Duration> {
        *self.db.write() = Some(db);
        let fault = self.fault.lock().take();
        fault.map(|f| f.since.elapsed())
    }

    pub(super) fn health(&self) -> DiskHealth {
        DiskHealth {
            writable: self.fault.lock().is_none(),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}
