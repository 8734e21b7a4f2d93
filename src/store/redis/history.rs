//! History in Redis: visits per day (one hash per month, kept for good),
//! each day's most-read pages (a sorted set per day, trimmed and expired
//! by `apply.lua`), a poll's ballots per day, imports, deleting a poll,
//! and the audit log. Every read is one pipeline in one slot.

use std::collections::HashMap;
use std::sync::LazyLock;

use redis::Script;

use super::connection::{RedisStore, corrupt, unavailable};
use super::counters::BUCKET_TTL_SECS;

/// Days a day's own visit counter lives.
const BUCKET_DAYS: u32 = (BUCKET_TTL_SECS / 86_400) as u32;
use crate::calendar::{Day, Month};
use crate::ids::{PageId, PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::{Imported, MOST_AUDIT_ENTRIES, StoreError, shown_buckets};

static IMPORT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/import.lua")));
static AUDIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "redis.call('LPUSH', KEYS[1], ARGV[1]) \
         redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)",
    )
});

/// Days one import script carries; a longer import is several scripts,
/// each atomic (and the import as a whole idempotent).
const IMPORT_CHUNK: usize = 400;

/// The months `from..=to` spans.
fn months(from: Day, to: Day) -> Vec<Month> {
    let mut months: Vec<Month> = from.through(to).map(Day::month).collect();
    months.dedup();
    months
}

impl RedisStore {
    pub(super) async fn daily_visits(
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

    pub(super) async fn daily_pages(
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

    pub(super) async fn daily_ballots(
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

    pub(super) async fn import_days(
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

    pub(super) async fn remove_poll(
        &self,
        site: &SiteId,
        poll: &PollId,
    ) -> Result<bool, StoreError> {
        let k = PollKeys::new(site, poll);
        let mut conn = self.connection().await?;
        let removed: u64 = redis::cmd("DEL")
            .arg(&k.meta)
            .arg(&k.counts)
            .arg(&k.voters)
            .arg(&k.days)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        // The index lives in the site's slot: a second command. Per-address
        // counts, fences and spent challenges expire by themselves.
        redis::cmd("SREM")
            .arg(keys::poll_index(site))
            .arg(poll.as_str())
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(removed > 0)
    }

    pub(super) async fn push_audit(&self, site: &SiteId, entry: &str) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        AUDIT
            .key(keys::audit(site))
            .arg(entry)
            .arg(MOST_AUDIT_ENTRIES)
            .invoke_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    pub(super) async fn read_audit(
        &self,
        site: &SiteId,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.connection().await?;
        redis::cmd("LRANGE")
            .arg(keys::audit(site))
            .arg(0)
            .arg(limit.min(MOST_AUDIT_ENTRIES) - 1)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)
    }
}
