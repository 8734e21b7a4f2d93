//! The write-behind of hits in the embedded store: a hit is decided in
//! memory against its visitor's latest record and answered at once; the
//! records are written by the writer in one job.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use redb::{Database, ReadableDatabase, WriteTransaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::current::Current;
use super::tables::{VISITORS, err};
use super::visits::{Partial, decode, encode, expiry};
use crate::store::{StoreError, Touch, TouchOutcome};
use crate::visit::{self, HitFacts, Rules};

/// Most visitors whose decided records are not written yet; a hit of
/// another visitor waits for room.
const MOST_DECIDED: usize = 4096;
/// Room left when the write job held is hurried, so the hits of new
/// visitors do not wait for it to fall due.
const HURRY_BELOW: usize = MOST_DECIDED / 4;

/// Touches decided and answered whose records the writer has not committed
/// yet: the write-behind of hits.
///
/// A hit's verdict depends only on its visitor's record (and, on a first
/// hit under a new identity, on the record it continues). It is decided
/// here, under one lock, against the latest record, which is this map's
/// until it is written and the committed table's after; the hit is
/// answered at once. So a hit never waits behind an fsync (a ballot's,
/// housekeeping's or the periodic sync), and still loses at most the sync
/// interval to `kill -9`.
///
/// The records are written by one job at a time in the writer, which takes
/// every record decided since the last one: a burst of hits is one table
/// write per visitor, however many hits they made, in one job. At most
/// [`MOST_DECIDED`] visitors wait to be written. The committed record is
/// read outside the lock, so a read that has to go to the disk holds no
/// other hit's decision.
pub(super) struct Decided {
    pending: Mutex<Pending>,
    /// One for each visitor in `pending.records`.
    room: Arc<Semaphore>,
}

impl Default for Decided {
    fn default() -> Self {
        Self {
            pending: Mutex::default(),
            room: Arc::new(Semaphore::new(MOST_DECIDED)),
        }
    }
}

#[derive(Default)]
struct Pending {
    records: HashMap<String, Latest>,
    /// Visitors decided since the write job last took the records.
    unwritten: Vec<String>,
    /// A write job waits in the writer's queue.
    queued: bool,
    /// It was hurried.
    hurried: bool,
    /// How many times `settle` has let records go.
    settled: u64,
    next: u64,
}

/// A record taken by a write job: (visitor key, decision, record).
type Taken = (String, u64, Arc<Vec<u8>>);

/// A visitor's latest decided record.
struct Latest {
    /// Which decision it is.
    seq: u64,
    /// Changed in place by each hit (copied first only while a write job
    /// holds it).
    bytes: Arc<Vec<u8>>,
    /// In `unwritten`: no write job has taken it yet.
    unwritten: bool,
    _room: OwnedSemaphorePermit,
}

impl Decided {
    /// Whether the visitor `key` has a state not expired at `now`: decided
    /// and waiting to be written, or written.
    pub(super) fn known(
        &self,
        db: &Database,
        key: &str,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let live = |record: &[u8]| expiry(record).is_some_and(|ms| ms > now.as_millisecond());
        if let Some(latest) = self.lock().records.get(key) {
            return Ok(live(&latest.bytes));
        }
        let table = db
            .begin_read()
            .map_err(err)?
            .open_table(VISITORS)
            .map_err(err)?;
        Ok(table
            .get(key)
            .map_err(err)?
            .is_some_and(|r| live(r.value())))
    }

    fn lock(&self) -> parking_lot::MutexGuard<'_, Pending> {
        self.pending.lock()
    }

    /// Decides `touch` for the visitor `key`. When no write job waits,
    /// `queue` is given one to send the writer; when room runs short,
    /// `queue` is told to hurry the job (given one, or the one waiting).
    pub(super) async fn touch(
        self: &Arc<Self>,
        current: &Current,
        key: &str,
        inherit: Option<&str>,
        touch: &Touch,
        queue: impl FnOnce(Option<Write>, bool) -> Result<(), StoreError>,
    ) -> Result<TouchOutcome, StoreError> {
        let room = Arc::clone(&self.room)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("embedded store: closing".into()))?;
        // Taken after waiting for room, so a wait never keeps a database
        // given up after a disk error from being closed.
        let db = current.db()?;
        let mut pending = self.lock();
        let mut committed = None;
        let rules = Rules {
            window: touch.window,
            max_pages: touch.max_pages as usize,
        };
        let hit = HitFacts {
            id: touch.id,
            at: touch.at,
            day: touch.day,
            page: touch.page,
        };
        // The visitor's record: the decided one, changed where it lies, or
        // a copy of the committed one.
        let mut read_here = None;
        if !pending.records.contains_key(key) {
            // Read outside the lock, which a read going to the disk would
            // hold for every other hit. The table changes for a visitor
            // only while its decided record is in the map, and the record
            // leaves the map only by `settle`: if none settled meanwhile,
            // and the visitor is still not in the map, what was read is
            // its latest record (and the snapshot every other visitor's).
            let settled = pending.settled;
            drop(pending);
            let read = read_committed(&db, &mut committed, key)?;
            pending = self.lock();
            if pending.settled != settled {
                committed = None;
                if !pending.records.contains_key(key) {
                    read_here = read_committed(&db, &mut committed, key)?;
                }
            } else if !pending.records.contains_key(key) {
                read_here = read;
            }
        }
        let own: Option<&[u8]> = match pending.records.get(key) {
            Some(latest) => Some(&latest.bytes),
            None => read_here.as_deref(),
        };
        // Most hits need only the record's head and the hit's page: the
        // record is then changed where it lies, not decoded and encoded
        // whole (see `visits::Partial`).
        let partial = own.and_then(|r| Partial::read(r, hit.page, rules.max_pages));
        let (bytes, verdict) = match partial {
            Some(partial) => {
                let (state, verdict) = visit::touch(Some(partial.state.clone()), None, &hit, rules);
                let bytes = match (read_here, pending.records.get_mut(key)) {
                    (Some(mut record), _) => {
                        partial.write(&mut record, &state, rules);
                        Some(Arc::new(record))
                    }
                    (None, latest) => {
                        // Copied only while a write job holds the record.
                        if let Some(latest) = latest {
                            partial.write(Arc::make_mut(&mut latest.bytes), &state, rules);
                        }
                        None
                    }
                };
                (bytes, verdict)
            }
            None => {
                let state = own.and_then(decode);
                let inherited = match (&state, inherit) {
                    (None, Some(other)) => match pending.records.get(other) {
                        Some(latest) => decode(&latest.bytes),
                        None => read_committed(&db, &mut committed, other)?
                            .as_deref()
                            .and_then(decode),
                    },
                    _ => None,
                };
                let (state, verdict) = visit::touch(state, inherited, &hit, rules);
                let bytes = Arc::new(encode(&state, state.expires_at(rules)));
                (Some(bytes), verdict)
            }
        };
        pending.next += 1;
        let seq = pending.next;
        match (pending.records.get_mut(key), bytes) {
            // Its room stays with the entry it has.
            (Some(latest), bytes) => {
                latest.seq = seq;
                if let Some(bytes) = bytes {
                    latest.bytes = bytes;
                }
                if !std::mem::replace(&mut latest.unwritten, true) {
                    pending.unwritten.push(key.to_owned());
                }
            }
            (None, Some(bytes)) => {
                let latest = Latest {
                    seq,
                    bytes,
                    unwritten: true,
                    _room: room,
                };
                pending.records.insert(key.to_owned(), latest);
                pending.unwritten.push(key.to_owned());
            }
            // A record changed in place is one decided before.
            (None, None) => {}
        }
        let start = !std::mem::replace(&mut pending.queued, true);
        let short = self.room.available_permits() < HURRY_BELOW;
        let hurry = short && !std::mem::replace(&mut pending.hurried, true);
        // Queued outside the lock: a job that cannot be queued gives its
        // records up (and so takes the lock) as it is dropped.
        drop(pending);
        if start || hurry {
            let job = start.then(|| Write {
                decided: Arc::clone(self),
                taken: None,
            });
            queue(job, hurry)?;
        }
        Ok(verdict)
    }

    /// Every record not yet taken, for a write job; the next decision
    /// queues a new job.
    fn take(&self) -> Vec<Taken> {
        let mut pending = self.lock();
        (pending.queued, pending.hurried) = (false, false);
        let keys = std::mem::take(&mut pending.unwritten);
        keys.into_iter()
            .filter_map(|key| {
                let latest = pending.records.get_mut(&key)?;
                latest.unwritten = false;
                let (seq, bytes) = (latest.seq, Arc::clone(&latest.bytes));
                Some((key, seq, bytes))
            })
            .collect()
    }

    /// Forgets the records a job wrote, once its commit is over, unless a
    /// later decision has replaced them; and, when the job never ran, every
    /// record not yet taken (the table speaks for those visitors again).
    fn settle(&self, taken: Option<&[Taken]>) {
        let mut pending = self.lock();
        pending.settled += 1;
        let Some(taken) = taken else {
            (pending.queued, pending.hurried) = (false, false);
            for key in std::mem::take(&mut pending.unwritten) {
                pending.records.remove(&key);
            }
            return;
        };
        for (key, seq, _) in taken {
            if pending
                .records
                .get(key)
                .is_some_and(|l| l.seq == *seq && !l.unwritten)
            {
                pending.records.remove(key);
            }
        }
    }
}

/// The committed record of `key`, read in the transaction `committed`
/// (begun on first use).
fn read_committed(
    db: &Database,
    committed: &mut Option<redb::ReadOnlyTable<&'static str, &'static [u8]>>,
    key: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    if committed.is_none() {
        let txn = db.begin_read().map_err(err)?;
        *committed = Some(txn.open_table(VISITORS).map_err(err)?);
    }
    let table = committed.as_ref().expect("opened above");
    Ok(table.get(key).map_err(err)?.map(|r| r.value().to_vec()))
}

/// The write job: every visitor record decided since the last one, in one
/// table write. Dropped once its commit is over (or the write failed or
/// never ran), it leaves the decided touches, and the table speaks for
/// those visitors again.
pub(super) struct Write {
    decided: Arc<Decided>,
    /// What it wrote: (visitor key, decision, record).
    taken: Option<Vec<Taken>>,
}

impl Write {
    /// Writes the records in the writer's transaction.
    pub(super) fn put(&mut self, txn: &WriteTransaction) -> Result<(), redb::Error> {
        let taken = self.taken.insert(self.decided.take());
        let mut table = txn.open_table(VISITORS)?;
        for (key, _, bytes) in taken.iter() {
            table.insert(key.as_str(), bytes.as_slice())?;
        }
        Ok(())
    }
}

impl Drop for Write {
    fn drop(&mut self) {
        self.decided.settle(self.taken.as_deref());
    }
}

#[cfg(test)]
mod tests;
