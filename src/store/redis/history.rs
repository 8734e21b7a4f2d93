//! History in Redis: visits per day (one hash per month, kept for good),
//! each day's most-read pages (a sorted set per day, trimmed and expired
//! by `apply.lua`), a poll's ballots per day and imports. Every read is one
//! pipeline in one slot.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use redis::Script;

use super::connection::{RedisStore, corrupt, unavailable};
use super::counters::BUCKET_TTL_SECS;

/// Days a day's own visit counter lives.
const BUCKET_DAYS: u32 = (BUCKET_TTL_SECS / 86_400) as u32;
use crate::calendar::{Day, Month};
use crate::ids::{PageId, PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::{History, Imported, StoreError, shown_buckets};

static IMPORT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/import.lua")));

/// Days one import script carries; a longer import is several scripts,
/// each atomic (and the import as a whole idempotent).
const IMPORT_CHUNK: usize = 400;

/// The months `from..=to` spans.
fn months(from: Day, to: Day) -> Vec<Month> {
    let mut months: Vec<Month> = from.through(to).map(Day::month).collect();
    months.dedup();
    months
}

#[async_trait]
impl History for RedisStore {
    async fn visits_by_day(
        &self,
        site: &SiteId,
        from: Day,
        to: Day,
    ) -> Result<Vec<u64>, StoreError> {
        let months = months(from, to);
        if months.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for month in &months {
            pipe.hgetall(keys::visits_days(site, *month));
        }
        let mut conn = self.connection().await?;
        let read: Vec<HashMap<String, u64>> =
            pipe.query_async(&mut conn).await.map_err(unavailable)?;
        let by_month: HashMap<Month, HashMap<String, u64>> = months.into_iter().zip(read).collect();
        // Days counted before the history was kept live on in their
        // counter for 400 days: the larger of the two is the day's.
        let recent = to.days_before(BUCKET_DAYS).max(from);
        let mut pipe = redis::pipe();
        for day in recent.through(to) {
            pipe.get(keys::visits_day(site, day));
        }
        let counted: Vec<Option<u64>> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        let counted: HashMap<Day, u64> = recent
            .through(to)
            .zip(counted)
            .filter_map(|(d, n)| Some((d, n?)))
            .collect();
        Ok(from
            .through(to)
            .map(|day| {
                let kept = by_month
                    .get(&day.month())
                    .and_then(|m| m.get(&day.field()))
                    .copied()
                    .unwrap_or(0);
                kept.max(counted.get(&day).copied().unwrap_or(0))
            })
            .collect())
    }

    async fn pages_by_day(
        &self,
        site: &SiteId,
        days: &[Day],
        limit: u32,
    ) -> Result<Vec<Vec<(PageId, u64)>>, StoreError> {
        if days.is_empty() || limit == 0 {
            return Ok(vec![Vec::new(); days.len()]);
        }
        let mut pipe = redis::pipe();
        for day in days {
            pipe.zrevrange_withscores(keys::pages_day(site, *day), 0, limit as isize - 1);
        }
        let mut conn = self.connection().await?;
        let read: Vec<Vec<(String, f64)>> =
            pipe.query_async(&mut conn).await.map_err(unavailable)?;
        Ok(read
            .into_iter()
            .map(|pages| {
                pages
                    .into_iter()
                    .filter_map(|(page, views)| Some((PageId::parse(&page).ok()?, views as u64)))
                    .collect()
            })
            .collect())
    }

    async fn ballots_by_day(
        &self,
        site: &SiteId,
        poll: &PollId,
    ) -> Result<Vec<(Day, String, u64)>, StoreError> {
        let mut conn = self.connection().await?;
        let read: HashMap<String, i64> = redis::cmd("HGETALL")
            .arg(PollKeys::new(site, poll).days)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(read
            .into_iter()
            .filter_map(|(field, n)| {
                let (day, option) = field.split_once('|')?;
                Some((day.parse().ok()?, option.to_owned(), n.max(0) as u64))
            })
            .collect())
    }

    async fn import_visits(
        &self,
        site: &SiteId,
        days: &[(Day, u64)],
        today: Day,
    ) -> Result<Imported, StoreError> {
        let mut imported = Imported {
            days: days.len() as u64,
            ..Imported::default()
        };
        let mut conn = self.connection().await?;
        for chunk in days.chunks(IMPORT_CHUNK) {
            let mut call = IMPORT.key(keys::visits_total(site));
            call.arg(BUCKET_TTL_SECS).arg(chunk.len());
            for (day, visits) in chunk {
                call.key(keys::visits_days(site, day.month()))
                    .key(keys::imported_days(site, day.month()))
                    .key(keys::visits_day(site, *day))
                    .key(keys::visits_week(site, day.week()))
                    .key(keys::visits_month(site, day.month()));
                call.arg(day.field())
                    .arg(visits)
                    .arg(shown_buckets(*day, today));
            }
            let (changed, added): (u64, String) =
                call.invoke_async(&mut conn).await.map_err(unavailable)?;
            imported.changed += changed;
            imported.added += added
                .parse::<i64>()
                .map_err(|_| corrupt("the import script answered no number"))?;
        }
        Ok(imported)
    }
}
