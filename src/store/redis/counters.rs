//! The counters in Redis (a visitor's hit is [`super::visits`]): batches of
//! increments and the counters read back (`apply.lua`), page views, the
//! baseline.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use redis::{Script, ScriptInvocation};

use super::connection::{Connection, RedisStore, corrupt, unavailable};
use super::pipelined::pipelined;
use crate::ids::{PageId, SiteId};
use crate::store::keys;
use crate::store::{Batch, CounterQuery, CounterSnapshot, Counters, Keep, SiteFlush, StoreError};

static APPLY: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/apply.lua")));

/// Most pages, and most visits seen, one `apply.lua` call writes. A call
/// holds Redis, and every hit's touch waiting behind it, for about 5 µs a
/// page and 1 µs a visit: a flush of a thousand distinct pages in one call
/// held it for 7 ms, most of a hit's p99 under load.
const PART_PAGES: usize = 256;
const PART_SEEN: usize = 1_024;
/// Days before the day no longer kept whose pages a batch removes too: a
/// site without a batch on some days (an idle commune, or a replica
/// stopped) leaves none of theirs behind, as the key's expiry would.
const EARLIER_DAYS_REMOVED: u32 = 6;

/// `batch` cut into calls of at most [`PART_PAGES`] pages and
/// [`PART_SEEN`] visits seen; empty when one call takes it whole. Each part
/// is written at most once on its own marker (the batch's id and `/k`),
/// and cut the same way when the batch is sent again. A page's views by
/// day go with its views.
pub(super) fn parts(batch: &Batch) -> Vec<Batch> {
    let n = batch
        .page_views
        .len()
        .div_ceil(PART_PAGES)
        .max(batch.seen.len().div_ceil(PART_SEEN));
    if n <= 1 {
        return Vec::new();
    }
    let mut parts: Vec<Batch> = (0..n)
        .map(|k| Batch {
            id: format!("{}/{k}", batch.id),
            ..Batch::default()
        })
        .collect();
    parts[0].visits.clone_from(&batch.visits);
    let mut part_of = HashMap::with_capacity(batch.page_views.len());
    for (i, (page, views)) in batch.page_views.iter().enumerate() {
        part_of.insert(page, i / PART_PAGES);
        parts[i / PART_PAGES]
            .page_views
            .push((page.clone(), *views));
    }
    for (day, page, views) in &batch.page_days {
        let k = part_of.get(page).copied().unwrap_or(0);
        parts[k].page_days.push((*day, page.clone(), *views));
    }
    for (i, seen) in batch.seen.iter().enumerate() {
        parts[i / PART_SEEN].seen.push(*seen);
    }
    parts
}

/// Day, week and month buckets are kept this long (s), for history.
pub(super) const BUCKET_TTL_SECS: u64 = 400 * 86_400;
/// How long a batch id is remembered, so a resend within it is ignored.
const BATCH_MARKER_TTL_SECS: u64 = 3_600;

impl RedisStore {
    /// Adds `batch` if there is one, and reads the counters. A batch of
    /// many pages or visits is written in [`parts`], one `apply.lua` call
    /// each, the counters read with the last.
    pub(super) async fn counters(
        &self,
        site: &SiteId,
        batch: Option<&Batch>,
        query: &CounterQuery,
        keep: &Keep,
    ) -> Result<CounterSnapshot, StoreError> {
        let Some(batch) = batch else {
            return self.apply_part(site, None, query, keep).await;
        };
        let parts = parts(batch);
        let Some((last, first)) = parts.split_last() else {
            return self.apply_part(site, Some(batch), query, keep).await;
        };
        let no_pages = CounterQuery {
            pages: Vec::new(),
            ..query.clone()
        };
        let mut dropped = 0;
        for part in first {
            let snapshot = self.apply_part(site, Some(part), &no_pages, keep).await?;
            dropped += snapshot.views_dropped;
        }
        let mut snapshot = self.apply_part(site, Some(last), query, keep).await?;
        snapshot.views_dropped += dropped;
        Ok(snapshot)
    }

    /// Runs `apply.lua`: adds `batch` if there is one, reads the counters.
    async fn apply_part(
        &self,
        site: &SiteId,
        batch: Option<&Batch>,
        query: &CounterQuery,
        keep: &Keep,
    ) -> Result<CounterSnapshot, StoreError> {
        let mut conn = self.connection().await?;
        let values: Vec<u64> = invocation(site, batch, query, keep)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        snapshot(values, query.pages.len())
    }
}

/// The `apply.lua` call that adds `batch` if there is one and reads the
/// counters `query` asks for.
pub(super) fn invocation(
    site: &SiteId,
    batch: Option<&Batch>,
    query: &CounterQuery,
    keep: &Keep,
) -> ScriptInvocation<'static> {
    let empty = Batch::default();
    let b = batch.unwrap_or(&empty);
    let mut call = APPLY.key(keys::batch(site, &b.id));
    // A part's id is its batch's and `/k` (a batch's own id has no '/').
    let whole =
        b.id.split_once('/')
            .map_or(b.id.as_str(), |(whole, _)| whole);
    call.key(keys::visits_total(site))
        .key(keys::page_views(site))
        .key(keys::online(site))
        .key(keys::baseline(site))
        .key(keys::visits_day(site, query.today))
        .key(keys::visits_day(site, query.yesterday))
        .key(keys::visits_week(site, query.week))
        .key(keys::visits_month(site, query.month))
        .key(keys::pages_day(site, query.today))
        .key(keys::pages_day(site, query.yesterday))
        .key(keys::pages_day(
            site,
            query.today.days_before(keep.page_days.max(1)),
        ))
        .key(keys::batch(site, whole));
    let total: u64 = b.visits.iter().map(|(_, n)| n).sum();
    call.arg(u8::from(batch.is_some()))
        .arg(total)
        .arg(query.online_since.as_millisecond())
        .arg(keep.max_pages)
        .arg(BUCKET_TTL_SECS)
        .arg(BATCH_MARKER_TTL_SECS)
        .arg(keep.top_pages)
        .arg(u64::from(keep.page_days.max(1)) * 86_400);
    call.arg(b.visits.len() * 3);
    for (buckets, n) in &b.visits {
        call.key(keys::visits_day(site, buckets.day))
            .key(keys::visits_week(site, buckets.week))
            .key(keys::visits_month(site, buckets.month));
        call.arg(n).arg(n).arg(n);
    }
    call.arg(b.visits.len());
    for (buckets, n) in &b.visits {
        call.key(keys::visits_days(site, buckets.month));
        call.arg(buckets.day.field()).arg(n);
    }
    call.arg(b.page_views.len());
    for (page, n) in &b.page_views {
        call.arg(page.as_str()).arg(n);
    }
    call.arg(b.page_days.len());
    for (day, page, n) in &b.page_days {
        call.key(keys::pages_day(site, *day));
        call.arg(page.as_str()).arg(n);
    }
    call.arg(b.seen.len());
    for (visit, at) in &b.seen {
        call.arg(visit.to_hex()).arg(at.as_millisecond());
    }
    call.arg(query.pages.len());
    for page in &query.pages {
        call.arg(page.as_str());
    }
    // The days before the one no longer kept: removed as well, in case
    // no batch was written on the days that would have removed them.
    for n in 1..=EARLIER_DAYS_REMOVED {
        call.key(keys::pages_day(
            site,
            query.today.days_before(keep.page_days.max(1) + n),
        ));
    }
    call
}

/// `apply.lua`'s answer, reading `pages` pages.
pub(super) fn snapshot(values: Vec<u64>, pages: usize) -> Result<CounterSnapshot, StoreError> {
    if values.len() != 9 + pages {
        return Err(corrupt(
            "counter script answered the wrong number of values",
        ));
    }
    Ok(CounterSnapshot {
        baseline: values[0],
        visits: values[1],
        today: values[2],
        yesterday: values[3],
        this_week: values[4],
        this_month: values[5],
        online: values[6],
        views_dropped: values[7],
        distinct_pages: values[8],
        pages: values[9..].to_vec(),
    })
}

#[async_trait]
impl Counters for RedisStore {
    async fn apply(
        &self,
        site: &SiteId,
        batch: &Batch,
        query: &CounterQuery,
        keep: &Keep,
    ) -> Result<CounterSnapshot, StoreError> {
        self.counters(site, Some(batch), query, keep).await
    }

    async fn read(
        &self,
        site: &SiteId,
        query: &CounterQuery,
    ) -> Result<CounterSnapshot, StoreError> {
        let keep = Keep {
            max_pages: 0,
            top_pages: 0,
            page_days: 0,
        };
        self.counters(site, None, query, &keep).await
    }

    /// Every site's calls in one pipeline (a pipeline per node of a
    /// cluster, the nodes at once). A flush whose call was refused (a node
    /// new to the script, a slot moved) or whose pipeline failed is sent
    /// again alone, which loads the script and follows redirections; its
    /// batch's marker keeps what already landed from counting twice.
    async fn apply_sites(
        &self,
        flushes: &[SiteFlush],
    ) -> Result<Vec<Result<CounterSnapshot, StoreError>>, StoreError> {
        if flushes.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.connection().await?;
        let all: Vec<usize> = (0..flushes.len()).collect();
        let mut answers: Vec<Option<Result<CounterSnapshot, StoreError>>> =
            (0..flushes.len()).map(|_| None).collect();
        let sent = match matches!(conn, Connection::Cluster(_)) {
            true => {
                let slot = |&i: &usize| keys::slot(keys::visits_total(&flushes[i].site).as_bytes());
                let grouped = self.nodes.group(&mut conn, all, slot).await;
                let sends = grouped.by_node.into_iter().map(|(node, group)| {
                    let mut conn = conn.clone();
                    async move {
                        let sent = pipelined(&mut conn, flushes, &group, Some(node)).await;
                        (group, sent)
                    }
                });
                futures_util::future::join_all(sends).await
            }
            false => {
                let sent = pipelined(&mut conn, flushes, &all, None).await;
                vec![(all, sent)]
            }
        };
        let mut stale = false;
        for (group, sent) in sent {
            stale |= sent.stale;
            for (i, answer) in group.into_iter().zip(sent.answers) {
                answers[i] = answer;
            }
        }
        // A node new to the script needs it loaded, not a new map of the
        // slots; a moved slot or a failed pipeline does.
        if stale {
            self.nodes.forget();
        }
        let alone = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| a.is_none())
            .map(|(i, _)| {
                let f = &flushes[i];
                async move {
                    (
                        i,
                        self.counters(&f.site, f.batch.as_ref(), &f.query, &f.keep)
                            .await,
                    )
                }
            });
        for (i, answer) in futures_util::future::join_all(alone.collect::<Vec<_>>()).await {
            answers[i] = Some(answer);
        }
        Ok(answers.into_iter().flatten().collect())
    }

    async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Result<Vec<u64>, StoreError> {
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.connection().await?;
        let views: Vec<Option<u64>> = redis::cmd("HMGET")
            .arg(keys::page_views(site))
            .arg(pages.iter().map(PageId::as_str).collect::<Vec<_>>())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(views.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn set_baseline(&self, site: &SiteId, baseline: u64) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("SET")
            .arg(keys::baseline(site))
            .arg(baseline)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}
