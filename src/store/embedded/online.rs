//! Who is online, in the embedded store: the visits seen in the last few
//! minutes, kept in memory (five minutes deep, no history, one process owns
//! the file) and written to the file as a snapshot every
//! [`SAVE_EVERY`] and before exit, so a restart does not drop "online" to
//! zero: the snapshot is read back at open.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
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
/// How often, at most, every site's old visits are forgotten at once.
const SWEEP_EVERY: SignedDuration = SignedDuration::from_secs(1);

/// The visits seen in the last few minutes, per site.
#[derive(Default)]
pub(super) struct Online {
    seen: Mutex<Seen>,
    saved: Mutex<Option<Instant>>,
}

/// Each site's visits seen, with when; and how many in all.
#[derive(Default)]
struct Seen {
    sites: HashMap<SiteId, HashMap<VisitId, Timestamp>>,
    total: usize,
    /// When every site's old visits were last forgotten.
    swept: Option<Timestamp>,
}

impl Seen {
    /// Adds a visit seen at `at`, unless [`MOST_ONLINE`] are kept.
    fn add(&mut self, site: &SiteId, visit: VisitId, at: Timestamp) {
        let room = self.total < MOST_ONLINE;
        let visits = match self.sites.get_mut(site) {
            Some(visits) => visits,
            None if room => self.sites.entry(site.clone()).or_default(),
            None => return,
        };
        match visits.get_mut(&visit) {
            Some(seen) => *seen = (*seen).max(at),
            None if room => {
                visits.insert(visit, at);
                self.total += 1;
            }
            None => {}
        }
    }

    /// Forgets `site`'s visits not seen since `since`.
    fn forget(&mut self, site: &SiteId, since: Timestamp) {
        if let Some(visits) = self.sites.get_mut(site) {
            let before = visits.len();
            visits.retain(|_, at| *at >= since);
            self.total -= before - visits.len();
        }
    }
}

impl Online {
    /// What the last snapshot in `db` held (each site's first count after
    /// it forgets what is no longer recent).
    pub(super) fn restore(db: &Database) -> Result<Self, redb::Error> {
        let online = Online::default();
        let txn = db.begin_read()?;
        let table = txn.open_table(ONLINE)?;
        let mut seen = online.seen.lock();
        for entry in table.iter()? {
            let (site, bytes) = entry?;
            let Ok(site) = SiteId::parse(site.value()) else {
                continue;
            };
            for chunk in bytes.value().chunks_exact(ENTRY) {
                let (visit, at) = chunk.split_at(8);
                let visit = u64::from_le_bytes(visit.try_into().unwrap_or_default());
                let at = i64::from_le_bytes(at.try_into().unwrap_or_default());
                if let Ok(at) = Timestamp::from_millisecond(at) {
                    seen.add(&site, VisitId(visit), at);
                }
            }
        }
        drop(seen);
        Ok(online)
    }

    /// Adds the visits a batch saw, forgets those not seen since `since`,
    /// and counts the site's. Only the site's own visits are looked at,
    /// unless the bound is reached: then every site's old ones go first
    /// (at most once a second: a flood past the bound is undercounted, not
    /// swept on every flush).
    pub(super) fn update(&self, site: &SiteId, batch: Option<&Batch>, since: Timestamp) -> u64 {
        let mut seen = self.seen.lock();
        seen.forget(site, since);
        let mut visits = batch
            .iter()
            .flat_map(|b| b.seen.iter())
            .filter(|(_, at)| *at >= since)
            .peekable();
        let swept_lately = seen.swept.is_some_and(|at| since < at + SWEEP_EVERY);
        if visits.peek().is_some() && seen.total >= MOST_ONLINE && !swept_lately {
            seen.swept = Some(since);
            let sites: Vec<SiteId> = seen.sites.keys().cloned().collect();
            for other in &sites {
                seen.forget(other, since);
            }
            seen.sites.retain(|_, visits| !visits.is_empty());
        }
        for (visit, at) in visits {
            seen.add(site, *visit, *at);
        }
        seen.sites.get(site).map_or(0, |v| v.len() as u64)
    }

    /// The snapshot to write, per site; `None` when `every` has not passed
    /// since the last one (`Duration::ZERO`: now).
    pub(super) fn snapshot(&self, every: Duration) -> Option<Vec<(String, Vec<u8>)>> {
        let mut saved = self.saved.lock();
        if saved.is_some_and(|at| at.elapsed() < every) {
            return None;
        }
        *saved = Some(Instant::now());
        let seen = self.seen.lock();
        let snapshot = seen
            .sites
            .iter()
            .filter(|(_, visits)| !visits.is_empty())
            .map(|(site, visits)| {
                let mut bytes = Vec::with_capacity(visits.len() * ENTRY);
                for (visit, at) in visits {
                    bytes.extend_from_slice(&visit.0.to_le_bytes());
                    bytes.extend_from_slice(&at.as_millisecond().to_le_bytes());
                }
                (site.to_string(), bytes)
            })
            .collect();
        Some(snapshot)
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
