//! Visitors in the embedded store: one record per visitor, the rules of
//! [`crate::visit`] applied to it as hits arrive, and the record written
//! behind them by the writer (see [`Decided`]).
//!
//! A record is a few dozen bytes plus 24 per remembered page (at most
//! `max_pages`), and carries its own expiry, so housekeeping can drop it
//! without decoding the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableDatabase, WriteTransaction};

use super::tables::{VISITORS, err};
use jiff::Timestamp;

use crate::calendar::Day;
use crate::ids::{PageKey, VisitId};
use crate::store::{StoreError, Touch, TouchOutcome};
use crate::visit::{self, HitFacts, PageSeen, Rules, VisitorState};

const VERSION: u8 = 1;
const HEAD: usize = 1 + 8 + 8 + 8 + 4 + 2;
const PAGE: usize = 8 + 8 + 8;

/// The record of `state`, which may be deleted after `expires_at`.
fn encode(state: &VisitorState, expires_at: Timestamp) -> Vec<u8> {
    let pages = state.pages.len().min(usize::from(u16::MAX));
    let mut out = Vec::with_capacity(HEAD + PAGE * pages);
    out.push(VERSION);
    out.extend_from_slice(&expires_at.as_millisecond().to_le_bytes());
    out.extend_from_slice(&state.last.as_millisecond().to_le_bytes());
    out.extend_from_slice(&state.visit.0.to_le_bytes());
    out.extend_from_slice(&state.day.code().to_le_bytes());
    out.extend_from_slice(&(pages as u16).to_le_bytes());
    for p in &state.pages[..pages] {
        out.extend_from_slice(&p.page.0.to_le_bytes());
        out.extend_from_slice(&p.last.as_millisecond().to_le_bytes());
        out.extend_from_slice(&p.counted_by.to_le_bytes());
    }
    out
}

fn instant(ms: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms).ok()
}

/// A day from its `yyyymmdd` code.
fn day(code: u32) -> Option<Day> {
    let (y, m, d) = (code / 10_000, code / 100 % 100, code % 100);
    let date = jiff::civil::Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
    Some(Day::new(date))
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at + N)?.try_into().ok()
}

/// When a record may be deleted (ms); `None` if it is not one.
pub(super) fn expiry(record: &[u8]) -> Option<i64> {
    if record.first() != Some(&VERSION) {
        return None;
    }
    Some(i64::from_le_bytes(array(record, 1)?))
}

/// The state in a record; `None` for a record this version cannot read,
/// which then counts as a visitor never seen.
fn decode(record: &[u8]) -> Option<VisitorState> {
    expiry(record)?;
    let n = usize::from(u16::from_le_bytes(array(record, HEAD - 2)?));
    let pages = (0..n)
        .map(|i| {
            let at = HEAD + i * PAGE;
            Some(PageSeen {
                page: PageKey(u64::from_le_bytes(array(record, at)?)),
                last: instant(i64::from_le_bytes(array(record, at + 8)?))?,
                counted_by: u64::from_le_bytes(array(record, at + 16)?),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(VisitorState {
        last: instant(i64::from_le_bytes(array(record, 9)?))?,
        visit: VisitId(u64::from_le_bytes(array(record, 17)?)),
        day: day(u32::from_le_bytes(array(record, 25)?))?,
        pages,
    })
}

/// Touches decided and answered whose records the writer has not committed
/// yet: the write-behind of hits.
///
/// A hit's verdict depends only on its visitor's record (and, on a first
/// hit under a new identity, on the record it continues). It is decided
/// here, under one lock, against the latest record, which is this map's
/// while its write waits for the writer and the committed table's after;
/// the hit is answered at once and its record goes to the writer's next
/// group commit. So a hit never waits behind an fsync (a ballot's,
/// housekeeping's or the periodic sync), and still loses at most the sync
/// interval to `kill -9`. Every entry has one write queued, so the map is
/// no larger than the writer's bounded queue. The committed record is read
/// under the lock (from redb's cache, or the OS's): a read that has to go
/// to the disk holds the other hits' decisions for as long.
#[derive(Default)]
pub(super) struct Decided(Mutex<Pending>);

#[derive(Default)]
struct Pending {
    /// Visitor key → (sequence of its latest decision, its record).
    records: HashMap<String, (u64, Vec<u8>)>,
    next: u64,
}

impl Decided {
    /// Decides `touch` for the visitor `key`, and hands the new record to
    /// `queue` under the lock, so one visitor's records reach the writer in
    /// the order they were decided.
    pub(super) fn touch(
        self: &Arc<Self>,
        db: &Database,
        key: &str,
        inherit: Option<&str>,
        touch: &Touch,
        queue: impl FnOnce(Record) -> Result<(), StoreError>,
    ) -> Result<TouchOutcome, StoreError> {
        let mut pending = self.0.lock().expect("decided touches lock");
        let mut committed = None;
        let mut read = |key: &str| -> Result<Option<VisitorState>, StoreError> {
            if let Some((_, record)) = pending.records.get(key) {
                return Ok(decode(record));
            }
            if committed.is_none() {
                committed = Some(
                    db.begin_read()
                        .map_err(err)?
                        .open_table(VISITORS)
                        .map_err(err)?,
                );
            }
            let table = committed.as_ref().expect("opened above");
            Ok(table.get(key).map_err(err)?.and_then(|r| decode(r.value())))
        };
        let state = read(key)?;
        let inherited = match (&state, inherit) {
            (None, Some(other)) => read(other)?,
            _ => None,
        };
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
        let (state, verdict) = visit::touch(state, inherited, &hit, rules);
        let bytes = encode(&state, state.expires_at(rules));
        pending.next += 1;
        let seq = pending.next;
        pending.records.insert(key.to_owned(), (seq, bytes.clone()));
        queue(Record {
            decided: Arc::clone(self),
            key: key.to_owned(),
            seq,
            bytes,
        })?;
        Ok(verdict)
    }

    /// Forgets the decision `seq` for `key` once the writer is done with
    /// it, unless a later one has replaced it.
    fn settle(&self, key: &str, seq: u64) {
        let mut pending = self.0.lock().expect("decided touches lock");
        if pending
            .records
            .get(key)
            .is_some_and(|(latest, _)| *latest == seq)
        {
            pending.records.remove(key);
        }
    }
}

/// A decided visitor record on its way to the table. Dropped once its
/// commit is over (or the write failed), it leaves the decided touches, and
/// the table speaks for the visitor again.
pub(super) struct Record {
    decided: Arc<Decided>,
    key: String,
    seq: u64,
    bytes: Vec<u8>,
}

impl Record {
    /// Writes the record in the writer's transaction.
    pub(super) fn put(&self, txn: &WriteTransaction) -> Result<(), redb::Error> {
        txn.open_table(VISITORS)?
            .insert(self.key.as_str(), self.bytes.as_slice())?;
        Ok(())
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        self.decided.settle(&self.key, self.seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VisitorKey;
    use jiff::SignedDuration;

    fn hit(id: u64, at_ms: i64) -> Touch {
        Touch {
            visitor: VisitorKey::from_address_hash([7; 16]),
            inherit: None,
            page: Some(PageKey(1)),
            at: Timestamp::from_millisecond(at_ms).unwrap(),
            day: "2026-12-04".parse().unwrap(),
            window: SignedDuration::from_mins(30),
            max_pages: 512,
            id,
        }
    }

    #[test]
    fn a_decided_record_speaks_until_it_is_written_then_the_table_does() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        super::super::tables::create_all(&db).unwrap();
        let decided = Arc::new(Decided::default());
        let mut queued = Vec::new();
        let decide = |t: &Touch, queued: &mut Vec<Record>| {
            decided
                .touch(&db, "v", None, t, |record| {
                    queued.push(record);
                    Ok(())
                })
                .unwrap()
        };
        let at = 1_796_400_000_000;
        assert!(decide(&hit(1, at), &mut queued).new_visit);
        let reload = decide(&hit(2, at + 1), &mut queued);
        assert!(!reload.new_visit && !reload.new_page_view);
        assert_eq!(decided.0.lock().unwrap().records.len(), 1);

        // Written in order and committed: nothing is left in memory, and
        // the table has the latest record.
        let txn = db.begin_write().unwrap();
        for record in &queued {
            record.put(&txn).unwrap();
        }
        txn.commit().unwrap();
        drop(queued.drain(..));
        assert!(decided.0.lock().unwrap().records.is_empty());
        let later = decide(&hit(3, at + 60_000), &mut queued);
        assert!(!later.new_visit && !later.new_page_view);

        // A write that never happened leaves the table speaking again.
        drop(queued.drain(..));
        assert!(decided.0.lock().unwrap().records.is_empty());
        let read = db.begin_read().unwrap();
        let table = read.open_table(VISITORS).unwrap();
        let kept = decode(table.get("v").unwrap().unwrap().value()).unwrap();
        assert_eq!(kept.last.as_millisecond(), at + 1);
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let at = |ms| Timestamp::from_millisecond(ms).unwrap();
        let state = VisitorState {
            last: at(1_800_000_000_123),
            visit: VisitId(u64::MAX - 7),
            day: "2026-11-28".parse().unwrap(),
            pages: vec![
                PageSeen {
                    page: PageKey(42),
                    last: at(1_800_000_000_000),
                    counted_by: 9,
                },
                PageSeen {
                    page: PageKey(u64::MAX),
                    last: at(-1),
                    counted_by: 0,
                },
            ],
        };
        let record = encode(&state, at(77));
        assert_eq!(record.len(), HEAD + 2 * PAGE);
        assert_eq!(expiry(&record), Some(77));
        assert_eq!(decode(&record), Some(state));
        assert_eq!(decode(&record[..record.len() - 1]), None);
        assert_eq!(decode(b"\x02garbage"), None);
    }
}
