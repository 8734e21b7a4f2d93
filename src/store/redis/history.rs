//! History in Redis: visits per day (one hash per month, kept for good),
//! each day's most-read pages (a sorted set per day, trimmed and expired
//! by `apply.lua`), a poll's ballots per day and imports. Every read is one
//! pipeline in one slot. An import is staged in parts, then switched in by
//! one script, so a fault at any point leaves the history untouched or
//! complete.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use async_trait::async_trait;
use jiff::Timestamp;
use redis::Script;

use super::connection::{RedisStore, unavailable};
use super::counters::BUCKET_TTL_SECS;

/// Days a day's own visit counter lives.
const BUCKET_DAYS: u32 = (BUCKET_TTL_SECS / 86_400) as u32;
use crate::calendar::{Day, Month};
use crate::ids::{PageId, PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::{History, IMPORT_OUTCOME_KEPT, Import, Imported, StoreError, shown_buckets};

static STAGE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/import_stage.lua")));
static SWITCH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/import.lua")));
static SETTLE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/import_settle.lua")));

/// Months one staging script carries (about a thousand days): an import
/// is staged in parts, then switched in by one script, so it is applied
/// whole or not at all.
const STAGE_MONTHS: usize = 32;

/// How long an abandoned stage stays (an import is switched in or given
/// up well within [`crate::store::IMPORT_DEADLINE`]).
const STAGE_TTL_SECS: u64 = 600;

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

    async fn page_by_day(
        &self,
        site: &SiteId,
        page: &PageId,
        days: &[Day],
    ) -> Result<Vec<u64>, StoreError> {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for day in days {
            pipe.zscore(keys::pages_day(site, *day), page.as_str());
        }
        let mut conn = self.connection().await?;
        let read: Vec<Option<f64>> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        Ok(read
            .into_iter()
            .map(|views| views.map_or(0, |v| v as u64))
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

    async fn import_visits(&self, site: &SiteId, import: &Import) -> Result<Imported, StoreError> {
        let (stage, outcome) = (
            keys::import_stage(site, &import.id),
            keys::import_outcome(site, &import.id),
        );
        // Its own connection: the switch of a century of days may take
        // longer than the store timeout allows a shared one.
        let mut conn = self.patient_connection().await?;
        for chunk in by_month(&import.days).chunks(STAGE_MONTHS) {
            let mut call = STAGE.key(&stage);
            call.key(&outcome).arg(STAGE_TTL_SECS);
            for (month, days) in chunk {
                call.arg(month.to_string()).arg(days);
            }
            let staged: u8 = call.invoke_async(&mut conn).await.map_err(unavailable)?;
            if staged == 0 {
                return Err(StoreError::Unavailable(format!(
                    "import {} was settled while it was staged",
                    import.id
                )));
            }
        }
        let call = switch(site, import, &stage, &outcome);
        import.begin();
        let kept: String = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        Imported::from_outcome(&kept)?.ok_or_else(|| {
            StoreError::Unavailable(format!(
                "import {} was abandoned before it was switched in",
                import.id
            ))
        })
    }

    async fn settle_import(
        &self,
        site: &SiteId,
        id: &str,
        _at: Timestamp,
    ) -> Result<Option<Imported>, StoreError> {
        let mut conn = self.connection().await?;
        let kept: String = SETTLE
            .key(keys::import_stage(site, id))
            .key(keys::import_outcome(site, id))
            .arg(IMPORT_OUTCOME_KEPT.as_secs())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Imported::from_outcome(&kept)
    }
}

/// Each month's days as the stage keeps them: `dd=visits dd=visits …`.
fn by_month(days: &[(Day, u64)]) -> Vec<(Month, String)> {
    let mut months: BTreeMap<Month, String> = BTreeMap::new();
    for (day, visits) in days {
        let staged = months.entry(day.month()).or_default();
        if !staged.is_empty() {
            staged.push(' ');
        }
        staged.push_str(&format!("{}={visits}", day.field()));
    }
    months.into_iter().collect()
}

/// The script that switches `import`'s stage in: every key it writes is
/// named (each month's two hashes, the buckets of the days the counters
/// show), in the site's slot.
fn switch(
    site: &SiteId,
    import: &Import,
    stage: &str,
    outcome: &str,
) -> redis::ScriptInvocation<'static> {
    let mut months: Vec<Month> = import.days.iter().map(|(day, _)| day.month()).collect();
    months.sort_unstable();
    months.dedup();
    let shown: Vec<(Day, u8)> = import
        .days
        .iter()
        .map(|(day, _)| (*day, shown_buckets(*day, import.today)))
        .filter(|(_, shown)| *shown != 0)
        .collect();
    let mut call = SWITCH.key(keys::visits_total(site));
    call.key(stage).key(outcome);
    call.arg(BUCKET_TTL_SECS)
        .arg(IMPORT_OUTCOME_KEPT.as_secs())
        .arg(import.days.len())
        .arg(months.len());
    for month in &months {
        call.key(keys::visits_days(site, *month))
            .key(keys::imported_days(site, *month))
            .arg(month.to_string());
    }
    call.arg(shown.len());
    for (day, buckets) in shown {
        call.key(keys::visits_day(site, day))
            .key(keys::visits_week(site, day.week()))
            .key(keys::visits_month(site, day.month()))
            .arg(day.month().to_string())
            .arg(day.field())
            .arg(buckets);
    }
    call
}
