//! Who is online, in the embedded store: the visits seen in the last few
//! minutes, kept in memory (five minutes deep, no history, one process owns
//! the file) and written to the file as a snapshot every
//! [`SAVE_EVERY`] and before exit, so a restart does not drop "online" to
//! zero: the snapshot is read back at open.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use parking_lot::Mutex;
use redb::{Database, ReadableDatabase, ReadableTable, WriteTransaction};

use super::tables::ONLINE;
use crate::ids::{SiteId, VisitId};
use crate::store::Batch;

/// Most visits kept as online; beyond it a flood undercounts "online"
/// rather than growing memory (and a snapshot stays under 1.2 MB).
const MOST_ONLINE: usize = 50_000;
/// How often housekeeping writes the snapshot.
pub(super) const SAVE_EVERY: Duration = Duration::from_secs(30);
const ENTRY: usize = 8 + 8;

/// The visits seen in the last few minutes, per site.
#[derive(Default)]
pub(super) struct Online {
    seen: Mutex<HashMap<(SiteId, VisitId), Timestamp>>,
    saved: Mutex<Option<Instant>>,
}

impl Online {
    /// What the last snapshot in `db` held (the first count after it
    /// forgets what is no longer recent).
    pub(super) fn restore(db: &Database) -> Result<Self, redb::Error> {
        let online = Online::default();
        let txn = db.begin_read()?;
        let table = txn.open_table(ONLINE)?;
        let mut seen = online.seen.lock();
        for entry in table.iter()? {
            let (site, bytes) = entry?;
            // One site for now; other sites' snapshots wait for theirs.
            if site.value() != SiteId::DEFAULT.as_str() {
                continue;
            }
            let site = SiteId::DEFAULT;
            for chunk in bytes.value().chunks_exact(ENTRY) {
                let (visit, at) = chunk.split_at(8);
                let visit = u64::from_le_bytes(visit.try_into().unwrap_or_default());
                let at = i64::from_le_bytes(at.try_into().unwrap_or_default());
                let Ok(at) = Timestamp::from_millisecond(at) else {
                    continue;
                };
                if seen.len() < MOST_ONLINE {
                    seen.insert((site.clone(), VisitId(visit)), at);
                }
            }
        }
        drop(seen);
        Ok(online)
    }

    /// Adds the visits a batch saw, forgets those not seen since `since`,
    /// and counts the site's.
    pub(super) fn update(&self, site: &SiteId, batch: Option<&Batch>, since: Timestamp) -> u64 {
        let mut online = self.seen.lock();
        online.retain(|_, at| *at >= since);
        for (visit, at) in batch
            .iter()
            .flat_map(|b| b.seen.iter())
            .filter(|(_, at)| *at >= since)
        {
            let room = online.len() < MOST_ONLINE;
            match online.get_mut(&(site.clone(), *visit)) {
                Some(seen) => *seen = (*seen).max(*at),
                None if room => {
                    online.insert((site.clone(), *visit), *at);
                }
                None => {}
            }
        }
        online.keys().filter(|(s, _)| s == site).count() as u64
    }

    /// The snapshot to write, per site; `None` when `every` has not passed
    /// since the last one (`Duration::ZERO`: now).
    pub(super) fn snapshot(&self, every: Duration) -> Option<Vec<(String, Vec<u8>)>> {
        let mut saved = self.saved.lock();
        if saved.is_some_and(|at| at.elapsed() < every) {
            return None;
        }
        *saved = Some(Instant::now());
        let mut sites: HashMap<String, Vec<u8>> = HashMap::new();
        for ((site, visit), at) in self.seen.lock().iter() {
            let bytes = sites.entry(site.to_string()).or_default();
            bytes.extend_from_slice(&visit.0.to_le_bytes());
            bytes.extend_from_slice(&at.as_millisecond().to_le_bytes());
        }
        Some(sites.into_iter().collect())
    }
}

/// Writes a snapshot in place of the last one.
pub(super) fn save(
    txn: &WriteTransaction,
    snapshot: &[(String, Vec<u8>)],
) -> Result<(), redb::Error> {
    let mut table = txn.open_table(ONLINE)?;
    table.retain(|_, _| false)?;
    for (site, bytes) in snapshot {
        table.insert(site.as_str(), bytes.as_slice())?;
    }
    Ok(())
}
