//! The site's counters in the embedded store: batches of increments applied
//! once, the counters read back, and page views ("online" is `online.rs`).

use async_trait::async_trait;
use redb::Durability;

use super::EmbeddedStore;
use crate::ids::PageId;
use crate::store::{Counters, StoreError};

use std::collections::HashSet;

use redb::{ReadableTable, WriteTransaction};

use super::tables::{BATCHES, COUNTERS, PAGES, add, field, read_u64};

use super::history;
use crate::ids::SiteId;
use crate::store::keys;
use crate::store::{Batch, CounterQuery, CounterSnapshot, Keep, SiteFlush};

#[async_trait]
impl Counters for EmbeddedStore {
    async fn apply(
        &self,
        site: &SiteId,
        batch: &Batch,
        query: &CounterQuery,
        keep: &Keep,
    ) -> Result<CounterSnapshot, StoreError> {
        let (owned_site, owned_query, owned_batch) = (site.clone(), query.clone(), batch.clone());
        let keep = *keep;
        // Made durable within the sync interval, as hits are.
        let mut snapshot = self
            .write(Durability::None, move |txn| {
                apply(txn, &owned_site, &owned_batch, &owned_query, &keep)
            })
            .await?;
        snapshot.online = self.online.update(site, Some(batch), query.online_since);
        Ok(snapshot)
    }

    async fn read(
        &self,
        site: &SiteId,
        query: &CounterQuery,
    ) -> Result<CounterSnapshot, StoreError> {
        let (owned_site, owned_query) = (site.clone(), query.clone());
        let mut snapshot = self
            .read_txn(move |txn| {
                read(
                    &txn.open_table(COUNTERS)?,
                    &txn.open_table(PAGES)?,
                    &owned_site,
                    &owned_query,
                )
            })
            .await?;
        snapshot.online = self.online.update(site, None, query.online_since);
        Ok(snapshot)
    }

    /// Every site's batch in one write transaction: one commit, however
    /// many sites wrote. The sites with nothing to write are read in one
    /// read transaction beside it, as `read` does: an idle tick takes no
    /// write at all.
    async fn apply_sites(
        &self,
        flushes: &[SiteFlush],
    ) -> Result<Vec<Result<CounterSnapshot, StoreError>>, StoreError> {
        let (writes, reads): (Vec<SiteFlush>, Vec<SiteFlush>) =
            flushes.iter().cloned().partition(|f| f.batch.is_some());
        let written = match writes.is_empty() {
            true => Vec::new(),
            false => {
                self.write(Durability::None, move |txn| {
                    writes
                        .iter()
                        .filter_map(|f| Some((f, f.batch.as_ref()?)))
                        .map(|(f, batch)| apply(txn, &f.site, batch, &f.query, &f.keep))
                        .collect::<Result<Vec<_>, _>>()
                })
                .await?
            }
        };
        let read = match reads.is_empty() {
            true => Vec::new(),
            false => {
                self.read_txn(move |txn| {
                    let (table, pages) = (txn.open_table(COUNTERS)?, txn.open_table(PAGES)?);
                    reads
                        .iter()
                        .map(|f| read(&table, &pages, &f.site, &f.query))
                        .collect::<Result<Vec<_>, _>>()
                })
                .await?
            }
        };
        // Back in the order asked: the written and the read each in theirs.
        let (mut written, mut read) = (written.into_iter(), read.into_iter());
        Ok(flushes
            .iter()
            .map(|f| {
                let mut snapshot = match f.batch {
                    Some(_) => written.next(),
                    None => read.next(),
                }
                .unwrap_or_default();
                snapshot.online =
                    self.online
                        .update(&f.site, f.batch.as_ref(), f.query.online_since);
                Ok(snapshot)
            })
            .collect())
    }

    async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Result<Vec<u64>, StoreError> {
        let container = keys::page_views(site);
        let pages = pages.to_vec();
        self.read_txn(move |txn| {
            let table = txn.open_table(PAGES)?;
            pages
                .iter()
                .map(|p| {
                    let key = field(&container, p.as_str());
                    read_u64(&table, &key)
                })
                .collect()
        })
        .await
    }

    async fn set_baseline(&self, site: &SiteId, baseline: u64) -> Result<(), StoreError> {
        let key = keys::baseline(site);
        self.write(Durability::Immediate, move |txn| {
            txn.open_table(COUNTERS)?.insert(key.as_str(), baseline)?;
            Ok(())
        })
        .await
    }
}

/// The counters `query` asks for, as stored.
pub(super) fn read(
    table: &impl ReadableTable<&'static str, u64>,
    pages: &impl ReadableTable<&'static str, u64>,
    site: &SiteId,
    query: &CounterQuery,
) -> Result<CounterSnapshot, redb::Error> {
    let page_views = keys::page_views(site);
    Ok(CounterSnapshot {
        baseline: read_u64(table, &keys::baseline(site))?,
        visits: read_u64(table, &keys::visits_total(site))?,
        today: read_u64(table, &keys::visits_day(site, query.today))?,
        yesterday: read_u64(table, &keys::visits_day(site, query.yesterday))?,
        this_week: read_u64(table, &keys::visits_week(site, query.week))?,
        this_month: read_u64(table, &keys::visits_month(site, query.month))?,
        online: 0,
        views_dropped: 0,
        distinct_pages: read_u64(table, &page_views)?,
        pages: query
            .pages
            .iter()
            .map(|p| read_u64(pages, &field(&page_views, p.as_str())))
            .collect::<Result<_, _>>()?,
    })
}

/// Adds `batch` (unless its id was seen) and reads the counters back.
pub(super) fn apply(
    txn: &WriteTransaction,
    site: &SiteId,
    batch: &Batch,
    query: &CounterQuery,
    keep: &Keep,
) -> Result<CounterSnapshot, redb::Error> {
    let mut table = txn.open_table(COUNTERS)?;
    let mut pages = txn.open_table(PAGES)?;
    let mut markers = txn.open_table(BATCHES)?;
    let marker = keys::batch(site, &batch.id);
    let mut dropped = 0;
    if markers.get(marker.as_str())?.is_none() {
        // Its time need only be within minutes of now.
        markers.insert(marker.as_str(), query.online_since.as_millisecond())?;
        for (b, n) in &batch.visits {
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            add(&mut table, &keys::visits_total(site), n)?;
            add(&mut table, &keys::visits_day(site, b.day), n)?;
            add(&mut table, &keys::visits_week(site, b.week), n)?;
            add(&mut table, &keys::visits_month(site, b.month), n)?;
            let days = keys::visits_days(site, b.month);
            add(&mut table, &field(&days, &b.day.field()), n)?;
        }
        let page_views = keys::page_views(site);
        let mut kept = HashSet::new();
        for (page, n) in &batch.page_views {
            let key = field(&page_views, page.as_str());
            let known = pages.get(key.as_str())?.is_some();
            if known || read_u64(&table, &page_views)? < keep.max_pages {
                if !known {
                    add(&mut table, &page_views, 1)?;
                }
                add(&mut pages, &key, i64::try_from(*n).unwrap_or(i64::MAX))?;
                kept.insert(page);
            } else {
                dropped += n;
            }
        }
        let kept_days = batch.page_days.iter().filter(|(_, p, _)| kept.contains(p));
        history::add_page_days(txn, &mut table, site, kept_days, query.today, keep)?;
    }
    let mut snapshot = read(&table, &pages, site, query)?;
    snapshot.views_dropped = dropped;
    Ok(snapshot)
}
