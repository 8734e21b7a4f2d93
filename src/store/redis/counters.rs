//! The counters in Redis: a visitor's hit (`touch.lua`), batches of
//! increments and the counters read back (`apply.lua`), page views, the
//! baseline and the day's address-hashing key.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::connection::{RedisStore, corrupt, unavailable};
use crate::calendar::Day;
use crate::ids::{PageId, PageKey, SiteId, VisitId, hex};
use crate::store::keys;
use crate::store::record::parse_key;
use crate::store::{Batch, CounterQuery, CounterSnapshot, Keep, StoreError, Touch, TouchOutcome};
use crate::visit::EXPIRY_SLACK;

static TOUCH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/touch.lua")));
static APPLY: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/apply.lua")));
static DAILY_KEY: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/daily_key.lua")));
static SECRET: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/secret.lua")));

/// Day, week and month buckets are kept this long (s), for history.
pub(super) const BUCKET_TTL_SECS: u64 = 400 * 86_400;
/// How long a batch id is remembered, so a resend within it is ignored.
const BATCH_MARKER_TTL_SECS: u64 = 3_600;

impl RedisStore {
    pub(super) async fn touch_visitor(
        &self,
        site: &SiteId,
        touch: &Touch,
    ) -> Result<TouchOutcome, StoreError> {
        let mut conn = self.connection().await?;
        let mut call = TOUCH.key(keys::visitor(site, &touch.visitor));
        if let Some(inherit) = &touch.inherit {
            call.key(keys::visitor(site, inherit));
        }
        let (new_visit, new_page_view, visit, capped): (i64, i64, String, i64) = call
            .arg(touch.at.as_millisecond())
            .arg(touch.window.as_millis() as i64)
            .arg(touch.day.code())
            .arg(touch.page.map_or(String::new(), PageKey::to_hex))
            .arg(touch.max_pages)
            .arg(touch.id)
            .arg(EXPIRY_SLACK.as_millis() as i64)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let visit = visit
            .parse()
            .map_err(|_| corrupt("a visitor's visit id is not a number"))?;
        Ok(TouchOutcome {
            new_visit: new_visit == 1,
            new_page_view: new_page_view == 1,
            visit: VisitId(visit),
            capped: capped == 1,
        })
    }

    /// Runs `apply.lua`: adds `batch` if there is one, reads the counters.
    pub(super) async fn counters(
        &self,
        site: &SiteId,
        batch: Option<&Batch>,
        query: &CounterQuery,
        keep: &Keep,
    ) -> Result<CounterSnapshot, StoreError> {
        let mut conn = self.connection().await?;
        let empty = Batch::default();
        let b = batch.unwrap_or(&empty);
        let mut call = APPLY.key(keys::batch(site, &b.id));
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
            ));
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
        let values: Vec<u64> = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        if values.len() != 9 + query.pages.len() {
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

    pub(super) async fn views(
        &self,
        site: &SiteId,
        pages: &[PageId],
    ) -> Result<Vec<u64>, StoreError> {
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

    pub(super) async fn write_baseline(
        &self,
        site: &SiteId,
        baseline: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("SET")
            .arg(keys::baseline(site))
            .arg(baseline)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    pub(super) async fn hashing_key(
        &self,
        site: &SiteId,
        day: Day,
        candidate: [u8; 32],
        lifetime: Duration,
    ) -> Result<[u8; 32], StoreError> {
        let mut conn = self.connection().await?;
        let stored: String = DAILY_KEY
            .key(keys::daily_key(site, day))
            .arg(hex(&candidate))
            .arg(lifetime.as_secs().max(1))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        parse_key(&stored).ok_or_else(|| corrupt("daily hashing key is not 64 hex digits"))
    }

    pub(super) async fn shared_secret(
        &self,
        site: &SiteId,
        name: &str,
        candidate: [u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        let mut conn = self.connection().await?;
        let stored: String = SECRET
            .key(keys::secret(site, name))
            .arg(hex(&candidate))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        parse_key(&stored).ok_or_else(|| corrupt(format!("secret {name} is not 64 hex digits")))
    }
}
