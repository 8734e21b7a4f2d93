//! Housekeeping in the embedded store: what Redis does with key expiry.
//!
//! It runs a slice at a time: each call looks at a bounded number of
//! entries of each table, after where the last call stopped, and deletes
//! those that have expired. A call takes about a millisecond whatever the
//! tables' size, so the one writer is never held up for long; a sweep over
//! a whole table takes as many calls as it has slices.

use parking_lot::Mutex;
use std::ops::Bound;

use jiff::Timestamp;
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::tables::{ADDRESS_BALLOTS, BATCHES, HASH_KEYS, MARKS, SESSIONS, SPENT, VISITORS};
use super::visits::expiry;

/// Entries looked at per table per call.
pub(super) const SLICE: usize = 512;
/// Batch ids are remembered this long, so a resend within it is ignored.
pub(super) const BATCH_MARKER_TTL_MS: i64 = 3_600_000;
/// A per-address ballot count is deleted this long after its day began in
/// UTC: 22 hours after the day ended in UTC−12, the last zone whose day
/// ends (so no zone's cap loses a count while its day lasts), and no later
/// than two days after it ended in UTC+14, the first (so within two days of
/// its end wherever the portal is, as in Redis, where each count's key
/// expires two days after its last ballot).
const ADDRESS_COUNT_KEPT_MS: i64 = (48 + 10) * 3_600_000;
/// A day's address-hashing key normally goes on the next day's first use;
/// should that never come, it is deleted this long after its day began in
/// UTC: an hour after the day ended in UTC−12, as Redis keeps it an hour.
const HASH_KEY_KEPT_MS: i64 = 37 * 3_600_000;

/// Where each table's sweep goes on from.
#[derive(Default)]
pub(super) struct Cursors(Mutex<[Option<String>; 7]>);

impl Cursors {
    /// Runs one slice of every sweep in `txn`.
    pub(super) fn step(&self, txn: &WriteTransaction, now: Timestamp) -> Result<(), redb::Error> {
        let now_ms = now.as_millisecond();
        let mut cursors = self.0.lock();
        cursors[0] = sweep(txn, VISITORS, cursors[0].take(), |_, record| {
            expiry(record).is_none_or(|at| at < now_ms)
        })?;
        let oldest_marker = now_ms - BATCH_MARKER_TTL_MS;
        cursors[1] = sweep(txn, BATCHES, cursors[1].take(), |_, at| at < oldest_marker)?;
        // The last day whose counts go.
        let last_gone = utc_date(now_ms - ADDRESS_COUNT_KEPT_MS);
        cursors[2] = sweep(txn, ADDRESS_BALLOTS, cursors[2].take(), |key, _| {
            key.split(":addr:")
                .nth(1)
                .and_then(|rest| rest.split('\x1f').next())
                .is_none_or(|day| day <= last_gone.as_str())
        })?;
        cursors[3] = sweep(txn, MARKS, cursors[3].take(), |_, expires| expires < now_ms)?;
        cursors[4] = sweep(txn, SPENT, cursors[4].take(), |_, spent: &str| {
            spent
                .split_once('|')
                .and_then(|(until, _)| until.parse::<i64>().ok())
                .is_none_or(|until| until < now_ms)
        })?;
        cursors[5] = sweep(txn, SESSIONS, cursors[5].take(), |_, record: &str| {
            super::admin::expires_ms(record).is_none_or(|until| until < now_ms)
        })?;
        let last_key_gone = utc_date(now_ms - HASH_KEY_KEPT_MS);
        cursors[6] = sweep(txn, HASH_KEYS, cursors[6].take(), |key, _| {
            key.rsplit_once("hashkey:")
                .is_some_and(|(_, day)| day <= last_key_gone.as_str())
        })?;
        Ok(())
    }
}

/// The UTC date of `ms` as text (`yyyy-mm-dd`, sorting as dates do).
fn utc_date(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .to_string()
        })
        .unwrap_or_default()
}

/// Deletes the expired among up to [`SLICE`] entries after `cursor`;
/// returns where the next slice starts (`None`: from the beginning).
fn sweep<V>(
    txn: &WriteTransaction,
    definition: TableDefinition<&'static str, V>,
    cursor: Option<String>,
    expired: impl Fn(&str, V::SelfType<'_>) -> bool,
) -> Result<Option<String>, redb::Error>
where
    V: redb::Value + 'static,
{
    let mut table = txn.open_table(definition)?;
    let mut doomed = Vec::new();
    let mut last = None;
    let mut seen = 0;
    {
        let lower = match &cursor {
            Some(after) => Bound::Excluded(after.as_str()),
            None => Bound::Unbounded,
        };
        for entry in table.range::<&str>((lower, Bound::Unbounded))?.take(SLICE) {
            let (k, v) = entry?;
            let key = k.value();
            if expired(key, v.value()) {
                doomed.push(key.to_owned());
            }
            last = Some(key.to_owned());
            seen += 1;
        }
    }
    for key in &doomed {
        table.remove(key.as_str())?;
    }
    // Past the end: the next slice starts again from the beginning.
    Ok(if seen < SLICE { None } else { last })
}
