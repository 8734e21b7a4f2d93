//! A site's life in the embedded store: a merge taken back in one write
//! transaction, a site's every record deleted in one, and the marks of
//! merges beside the site's counters.

use async_trait::async_trait;
use jiff::Timestamp;
use redb::{Durability, ReadableTable, Table, TableDefinition, WriteTransaction};

use super::EmbeddedStore;
use super::tables::{
    ADDRESS_BALLOTS, AUDIT, BATCHES, COUNTERS, DELETED_POLLS, HASH_KEYS, MARKS, ONLINE, PAGE_DAYS,
    PAGES, POLL_COUNTS, POLLS, SESSIONS, SPENT, VISITORS, VOTERS, add, field, with_prefix,
};
use crate::ids::{PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::piece::{MergeMark, Period, Piece};
use crate::store::{Life, StoreError};

#[async_trait]
impl Life for EmbeddedStore {
    async fn withdraw(&self, site: &SiteId, pieces: Vec<Piece>) -> Result<(), StoreError> {
        let site = site.clone();
        self.write(Durability::Immediate, move |txn| {
            pieces.iter().try_for_each(|p| withdraw(txn, &site, p))
        })
        .await
    }

    async fn forget_site(&self, site: &SiteId) -> Result<u64, StoreError> {
        let site = site.clone();
        self.write(Durability::Immediate, move |txn| {
            Ok(forget(txn, VISITORS, &site)?
                + forget(txn, COUNTERS, &site)?
                + forget(txn, PAGES, &site)?
                + forget(txn, BATCHES, &site)?
                + forget(txn, HASH_KEYS, &site)?
                + forget(txn, POLLS, &site)?
                + forget(txn, POLL_COUNTS, &site)?
                + forget(txn, VOTERS, &site)?
                + forget(txn, ADDRESS_BALLOTS, &site)?
                + forget(txn, MARKS, &site)?
                + forget(txn, SPENT, &site)?
                + forget(txn, SESSIONS, &site)?
                + forget(txn, PAGE_DAYS, &site)?
                + forget(txn, AUDIT, &site)?
                + forget(txn, DELETED_POLLS, &site)?
                + forget(txn, ONLINE, &site)?
                + u64::from(
                    txn.open_table(COUNTERS)?
                        .remove(listed_key(&site).as_str())?
                        .is_some(),
                ))
        })
        .await
    }

    async fn list_sites(&self, sites: Vec<SiteId>, at: Timestamp) -> Result<(), StoreError> {
        let ms = u64::try_from(at.as_millisecond()).unwrap_or(0);
        self.write(Durability::Immediate, move |txn| {
            let mut counters = txn.open_table(COUNTERS)?;
            for site in &sites {
                counters.insert(listed_key(site).as_str(), ms)?;
            }
            Ok(())
        })
        .await
    }

    async fn listed_sites(&self) -> Result<Vec<(String, Timestamp)>, StoreError> {
        let prefix = field(&keys::listed_sites(), "");
        self.read_txn(move |txn| {
            let found = with_prefix(&txn.open_table(COUNTERS)?, &prefix, |v| v)?;
            Ok(found
                .into_iter()
                .map(|(k, ms)| {
                    let at = i64::try_from(ms).unwrap_or(i64::MAX);
                    let at = Timestamp::from_millisecond(at).unwrap_or(Timestamp::MAX);
                    (k[prefix.len()..].to_owned(), at)
                })
                .collect())
        })
        .await
    }

    async fn mark_merge(
        &self,
        into: &SiteId,
        from: &SiteId,
        mark: Option<MergeMark>,
    ) -> Result<(), StoreError> {
        let key = field(&keys::merges(into), from.as_str());
        self.write(Durability::Immediate, move |txn| {
            let mut counters = txn.open_table(COUNTERS)?;
            match mark {
                Some(mark) => counters.insert(key.as_str(), mark.code())?,
                None => counters.remove(key.as_str())?,
            };
            Ok(())
        })
        .await
    }

    async fn merges(&self, into: &SiteId) -> Result<Vec<(String, MergeMark)>, StoreError> {
        let prefix = field(&keys::merges(into), "");
        self.read_txn(move |txn| {
            let found = with_prefix(&txn.open_table(COUNTERS)?, &prefix, |v| v)?;
            Ok(found
                .into_iter()
                .map(|(k, code)| (k[prefix.len()..].to_owned(), MergeMark::from_code(code)))
                .collect())
        })
        .await
    }
}

/// `site`'s line of [`keys::listed_sites`].
fn listed_key(site: &SiteId) -> String {
    field(&keys::listed_sites(), site.as_str())
}

/// Removes every record of `site` from `table`: every key starts with the
/// site's slot, `tally:{site}` or `tally:{site/…}` (so `tally:{site-2}` is
/// another site's).
fn forget<V: redb::Value + 'static>(
    txn: &WriteTransaction,
    table: TableDefinition<&'static str, V>,
    site: &SiteId,
) -> Result<u64, redb::Error> {
    let mut table = txn.open_table(table)?;
    let mut removed = 0;
    for prefix in [format!("tally:{{{site}}}"), format!("tally:{{{site}/")] {
        for (key, ()) in with_prefix(&table, &prefix, |_| ())? {
            table.remove(key.as_str())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Takes `n` off the count at `key`; a count left at zero is removed, as
/// if never written (as Redis's are).
fn less(table: &mut Table<&str, u64>, key: &str, n: u64) -> Result<u64, redb::Error> {
    let left = add(table, key, -i64::try_from(n).unwrap_or(i64::MAX))?;
    if left == 0 {
        table.remove(key)?;
    }
    Ok(left)
}

/// Takes one piece back in `txn`.
fn withdraw(txn: &WriteTransaction, site: &SiteId, piece: &Piece) -> Result<(), redb::Error> {
    match piece {
        Piece::Counters {
            baseline, visits, ..
        } => {
            let mut counters = txn.open_table(COUNTERS)?;
            less(&mut counters, &keys::baseline(site), *baseline)?;
            less(&mut counters, &keys::visits_total(site), *visits)?;
        }
        Piece::Bucket { period, visits, .. } => {
            let key = match period {
                Period::Day(d) => keys::visits_day(site, *d),
                Period::Week(w) => keys::visits_week(site, *w),
                Period::Month(m) => keys::visits_month(site, *m),
            };
            less(&mut txn.open_table(COUNTERS)?, &key, *visits)?;
        }
        Piece::Day {
            day,
            visits,
            imported,
            ..
        } => {
            let mut counters = txn.open_table(COUNTERS)?;
            let days = field(&keys::visits_days(site, day.month()), &day.field());
            less(&mut counters, &days, *visits)?;
            if *imported > 0 {
                let key = field(&keys::imported_days(site, day.month()), &day.field());
                less(&mut counters, &key, *imported)?;
            }
        }
        Piece::Page { page, views, .. } => {
            let (mut pages, container) = (txn.open_table(PAGES)?, keys::page_views(site));
            // A page left with no views is no page: the cap on distinct
            // pages counts it no more.
            let key = field(&container, page);
            let existed = pages.get(key.as_str())?.is_some();
            if less(&mut pages, &key, *views)? == 0 && existed {
                add(&mut txn.open_table(COUNTERS)?, &container, -1)?;
            }
        }
        Piece::PageDay {
            day, page, views, ..
        } => {
            let key = field(&keys::pages_day(site, *day), page);
            less(&mut txn.open_table(PAGE_DAYS)?, &key, *views)?;
        }
        Piece::Poll { poll, .. } => drop_poll(txn, site, &poll.id)?,
        Piece::PollDay { .. }
        | Piece::Voter { .. }
        | Piece::DeletedPoll { .. }
        | Piece::Audit { .. } => {}
    }
    Ok(())
}

/// A poll's definition, counts, days, voters and per-address counts gone,
/// with no tombstone: the poll was never the site's.
fn drop_poll(txn: &WriteTransaction, site: &SiteId, poll: &PollId) -> Result<(), redb::Error> {
    let k = PollKeys::new(site, poll);
    txn.open_table(POLLS)?.remove(k.meta.as_str())?;
    let mut counts = txn.open_table(POLL_COUNTS)?;
    for prefix in [field(&k.counts, ""), field(&k.days, "")] {
        for (key, ()) in with_prefix(&counts, &prefix, |_| ())? {
            counts.remove(key.as_str())?;
        }
    }
    let mut voters = txn.open_table(VOTERS)?;
    for (key, ()) in with_prefix(&voters, &field(&k.voters, ""), |_| ())? {
        voters.remove(key.as_str())?;
    }
    let mut addresses = txn.open_table(ADDRESS_BALLOTS)?;
    for (key, ()) in with_prefix(&addresses, &k.addresses_prefix, |_| ())? {
        addresses.remove(key.as_str())?;
    }
    let version = keys::polls_version(site);
    add(&mut txn.open_table(COUNTERS)?, &version, 1)?;
    Ok(())
}
