//! History in the embedded store, as `redis/history.rs` keeps it in Redis:
//! visits per day (one counter per day, kept for good), each day's
//! most-read pages (trimmed once the day is over, dropped after the days
//! kept), a poll's ballots per day, and imports: each in one transaction,
//! its outcome kept beside it (a mark) so an import whose caller stopped
//! waiting can be settled.

use crate::store::History;
use async_trait::async_trait;

use std::collections::BTreeSet;

use jiff::Timestamp;
use redb::{Durability, ReadableTable, Table, WriteTransaction};

use super::EmbeddedStore;
use super::tables::{COUNTERS, MARKS, PAGE_DAYS, POLL_COUNTS, add, field, read_u64, with_prefix};
use crate::calendar::Day;
use crate::ids::{PageId, PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::{IMPORT_OUTCOME_KEPT, Import, Imported, Keep, StoreError, shown_buckets};

/// Adds a batch's kept page views by day; once a day, yesterday keeps only
/// its most-read pages and days past those kept are dropped.
pub(super) fn add_page_days<'a>(
    txn: &WriteTransaction,
    counters: &mut Table<&str, u64>,
    site: &SiteId,
    views: impl Iterator<Item = &'a (Day, PageId, u64)>,
    today: Day,
    keep: &Keep,
) -> Result<(), redb::Error> {
    let mut table = txn.open_table(PAGE_DAYS)?;
    let mut touched = BTreeSet::new();
    for (day, page, n) in views {
        let key = field(&keys::pages_day(site, *day), page.as_str());
        add(&mut table, &key, i64::try_from(*n).unwrap_or(i64::MAX))?;
        touched.insert(*day);
    }
    let yesterday = today.yesterday();
    let marker = trimmed_marker(site, yesterday);
    if counters.get(marker.as_str())?.is_none() {
        counters.insert(marker.as_str(), 1)?;
        counters.remove(trimmed_marker(site, yesterday.yesterday()).as_str())?;
        touched.insert(yesterday);
        // Kept: today and the days before it, `page_days` in all.
        let cutoff = keys::pages_day(site, today.days_before(keep.page_days.max(1) - 1));
        let start = &cutoff[..cutoff.len() - "yyyy-mm-dd".len()];
        let old: Vec<String> = table
            .range(start..cutoff.as_str())?
            .map(|entry| entry.map(|(k, _)| k.value().to_owned()))
            .collect::<Result<_, _>>()?;
        for key in old {
            table.remove(key.as_str())?;
        }
    }
    for day in touched.into_iter().filter(|d| *d < today) {
        trim(&mut table, &keys::pages_day(site, day), keep.top_pages)?;
    }
    Ok(())
}

fn trimmed_marker(site: &SiteId, day: Day) -> String {
    format!("{}:trimmed", keys::pages_day(site, day))
}

/// Keeps a day's `top` most-read pages, as Redis's `ZREMRANGEBYRANK` does
/// (ties: the page that sorts last is kept).
fn trim(table: &mut Table<&str, u64>, day: &str, top: u32) -> Result<(), redb::Error> {
    let mut pages = with_prefix(table, &field(day, ""), |n| n)?;
    if pages.len() <= top as usize {
        return Ok(());
    }
    pages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    for (key, _) in &pages[top as usize..] {
        table.remove(key.as_str())?;
    }
    Ok(())
}

#[async_trait]
impl History for EmbeddedStore {
    async fn visits_by_day(
        &self,
        site: &SiteId,
        from: Day,
        to: Day,
    ) -> Result<Vec<u64>, StoreError> {
        let site = site.clone();
        self.read_txn(move |txn| {
            let table = txn.open_table(COUNTERS)?;
            // Days counted before the history was kept have their own
            // counter: the larger of the two is the day's.
            from.through(to)
                .map(|day| {
                    let days = keys::visits_days(&site, day.month());
                    let kept = read_u64(&table, &field(&days, &day.field()))?;
                    Ok(kept.max(read_u64(&table, &keys::visits_day(&site, day))?))
                })
                .collect()
        })
        .await
    }

    async fn pages_by_day(
        &self,
        site: &SiteId,
        days: &[Day],
        limit: u32,
    ) -> Result<Vec<Vec<(PageId, u64)>>, StoreError> {
        let (site, days) = (site.clone(), days.to_vec());
        self.read_txn(move |txn| {
            let table = txn.open_table(PAGE_DAYS)?;
            days.iter()
                .map(|day| {
                    let prefix = field(&keys::pages_day(&site, *day), "");
                    let mut pages: Vec<(PageId, u64)> = with_prefix(&table, &prefix, |n| n)?
                        .into_iter()
                        .filter_map(|(k, n)| Some((PageId::parse(&k[prefix.len()..]).ok()?, n)))
                        .collect();
                    pages
                        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.as_str().cmp(a.0.as_str())));
                    pages.truncate(limit as usize);
                    Ok(pages)
                })
                .collect()
        })
        .await
    }

    async fn page_by_day(
        &self,
        site: &SiteId,
        page: &PageId,
        days: &[Day],
    ) -> Result<Vec<u64>, StoreError> {
        let (site, page, days) = (site.clone(), page.clone(), days.to_vec());
        self.read_txn(move |txn| {
            let table = txn.open_table(PAGE_DAYS)?;
            days.iter()
                .map(|day| read_u64(&table, &field(&keys::pages_day(&site, *day), page.as_str())))
                .collect()
        })
        .await
    }

    async fn ballots_by_day(
        &self,
        site: &SiteId,
        poll: &PollId,
    ) -> Result<Vec<(Day, String, u64)>, StoreError> {
        let prefix = field(&PollKeys::new(site, poll).days, "");
        self.read_txn(move |txn| {
            let counts = with_prefix(&txn.open_table(POLL_COUNTS)?, &prefix, |n| n)?;
            Ok(counts
                .into_iter()
                .filter_map(|(k, n)| {
                    let (day, option) = k[prefix.len()..].split_once('|')?;
                    Some((day.parse().ok()?, option.to_owned(), n))
                })
                .collect())
        })
        .await
    }

    async fn import_visits(&self, site: &SiteId, import: &Import) -> Result<Imported, StoreError> {
        let (site, id, days, today) = (
            site.clone(),
            import.id.clone(),
            import.days.clone(),
            import.today,
        );
        let until = kept_until(import.at);
        // One transaction: every day or none. Queued, it is ahead of any
        // settling of the import, which therefore sees it committed or not.
        import.begin();
        let kept = self
            .write(Durability::Immediate, move |txn| {
                let mut marks = txn.open_table(MARKS)?;
                if let Some(kept) = outcome(&marks, &site, &id)? {
                    return Ok(kept);
                }
                let imported = fold(txn, &site, &days, today)?;
                mark(&mut marks, &site, &id, &imported.outcome(), until)?;
                Ok(imported.outcome())
            })
            .await?;
        Imported::from_outcome(&kept)?.ok_or_else(|| {
            StoreError::Unavailable(format!(
                "import {} was abandoned before it was applied",
                import.id
            ))
        })
    }

    async fn settle_import(
        &self,
        site: &SiteId,
        id: &str,
        at: Timestamp,
    ) -> Result<Option<Imported>, StoreError> {
        let (site, id, until) = (site.clone(), id.to_owned(), kept_until(at));
        // A write: behind the import's own, if it was queued.
        let kept = self
            .write(Durability::Immediate, move |txn| {
                let mut marks = txn.open_table(MARKS)?;
                if let Some(kept) = outcome(&marks, &site, &id)? {
                    return Ok(kept);
                }
                mark(&mut marks, &site, &id, Imported::abandoned(), until)?;
                Ok(Imported::abandoned().to_owned())
            })
            .await?;
        Imported::from_outcome(&kept)
    }
}

/// Until when an import's outcome is kept (ms).
fn kept_until(at: Timestamp) -> i64 {
    at.as_millisecond()
        .saturating_add(IMPORT_OUTCOME_KEPT.as_millis() as i64)
}

/// Import `id`'s kept outcome: a mark whose key ends with it.
fn outcome(
    marks: &Table<&str, i64>,
    site: &SiteId,
    id: &str,
) -> Result<Option<String>, redb::Error> {
    let prefix = field(&keys::import_outcome(site, id), "");
    Ok(with_prefix(marks, &prefix, |_| ())?
        .into_iter()
        .next()
        .map(|(key, ())| key[prefix.len()..].to_owned()))
}

/// Keeps import `id`'s outcome until `until` (ms), as a mark (swept once
/// expired) whose key ends with it.
fn mark(
    marks: &mut Table<&str, i64>,
    site: &SiteId,
    id: &str,
    outcome: &str,
    until: i64,
) -> Result<(), redb::Error> {
    let key = field(&keys::import_outcome(site, id), outcome);
    marks.insert(key.as_str(), until)?;
    Ok(())
}

/// Folds `days` into the history and the total, as `import.lua` does.
fn fold(
    txn: &WriteTransaction,
    site: &SiteId,
    days: &[(Day, u64)],
    today: Day,
) -> Result<Imported, redb::Error> {
    let mut table = txn.open_table(COUNTERS)?;
    let mut imported = Imported {
        days: days.len() as u64,
        ..Imported::default()
    };
    for &(day, visits) in days {
        let key = field(&keys::imported_days(site, day.month()), &day.field());
        let before = table.get(key.as_str())?.map(|v| v.value());
        let delta = i64::try_from(visits).unwrap_or(i64::MAX)
            - i64::try_from(before.unwrap_or(0)).unwrap_or(i64::MAX);
        if before != Some(visits) {
            imported.changed += 1;
            table.insert(key.as_str(), visits)?;
        }
        if delta == 0 {
            continue;
        }
        imported.added += delta;
        let per_day = keys::visits_days(site, day.month());
        add(&mut table, &field(&per_day, &day.field()), delta)?;
        add(&mut table, &keys::visits_total(site), delta)?;
        let shown = shown_buckets(day, today);
        for (bit, key) in [
            (1, keys::visits_day(site, day)),
            (2, keys::visits_week(site, day.week())),
            (4, keys::visits_month(site, day.month())),
        ] {
            if shown & bit != 0 {
                add(&mut table, &key, delta)?;
            }
        }
    }
    Ok(imported)
}
