//! The embedded store: a redb file on local disk, so tally runs with nothing
//! else installed and keeps its counts across restarts.
//!
//! It mirrors the Redis store's schema: the same key strings name the same
//! things, and a hash field is the key, `\x1f`, and the field. Each operation
//! is atomic in a redb transaction; one writer thread runs the writes waiting
//! at a moment in one transaction (group commit). Ballots and poll changes
//! are committed durably (fsync) before they are answered; hits and counter
//! batches are committed without fsync and made durable within a second.
//! Who is online is kept in memory: it is five minutes deep and needs no
//! history.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, Table, TableDefinition,
    WriteTransaction,
};

use super::keys::{self, PollKeys};
use super::record::parse_poll;
use super::{
    Ballot, Batch, CounterQuery, CounterSnapshot, PollState, PutPoll, Store, StoreError, Touch,
    TouchOutcome, Verdict,
};
use crate::ids::{PageId, PollId, SiteId, VisitorKey};
use crate::poll::Poll;

mod polls;
mod writer;
use writer::Writer;

const VISITORS: TableDefinition<&str, i64> = TableDefinition::new("visitors");
const PAGE_SEEN: TableDefinition<&str, i64> = TableDefinition::new("page_seen");
/// What a hit that counted something turned out to be (when, new visit,
/// new page view), so the same hit sent again gets the same answer.
const HITS: TableDefinition<&str, (i64, bool, bool)> = TableDefinition::new("hits");
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
const PAGES: TableDefinition<&str, u64> = TableDefinition::new("pages");
const BATCHES: TableDefinition<&str, i64> = TableDefinition::new("batches");
const HASH_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("hash_keys");
const POLLS: TableDefinition<&str, &str> = TableDefinition::new("polls");
const POLL_COUNTS: TableDefinition<&str, u64> = TableDefinition::new("poll_counts");
const VOTERS: TableDefinition<&str, &str> = TableDefinition::new("voters");
const ADDRESS_BALLOTS: TableDefinition<&str, u32> = TableDefinition::new("address_ballots");

/// Pages a visitor's state remembers before it starts afresh.
const MOST_PAGES_PER_VISITOR: usize = 512;
/// Batch ids are remembered this long, so a resend within it is ignored.
const BATCH_MARKER_TTL_MS: i64 = 3_600_000;
/// redb's page cache; the store's memory use is bounded by it.
const CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Most visitors kept as online; beyond it a flood undercounts "online"
/// rather than growing memory.
const MOST_ONLINE: usize = 50_000;

type Online = HashMap<(SiteId, VisitorKey), i64>;

/// State in a redb file.
pub struct EmbeddedStore {
    db: Arc<Database>,
    writer: Writer,
    online: Arc<Mutex<Online>>,
}

fn wall_clock_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

fn field(container: &str, name: &str) -> String {
    format!("{container}\x1f{name}")
}

fn err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {}", e.into()))
}

/// Entries whose key starts with `prefix`, with their values turned into
/// owned ones by `own`.
fn with_prefix<V, T>(
    table: &impl ReadableTable<&'static str, V>,
    prefix: &str,
    own: impl Fn(V::SelfType<'_>) -> T,
) -> Result<Vec<(String, T)>, redb::Error>
where
    V: redb::Value + 'static,
{
    let mut out = Vec::new();
    for entry in table.range(prefix..)? {
        let (k, v) = entry?;
        if !k.value().starts_with(prefix) {
            break;
        }
        out.push((k.value().to_owned(), own(v.value())));
    }
    Ok(out)
}

fn add(table: &mut Table<&str, u64>, key: &str, n: u64) -> Result<u64, redb::Error> {
    let now = table.get(key)?.map_or(0, |v| v.value()) + n;
    table.insert(key, now)?;
    Ok(now)
}

fn read_u64(table: &impl ReadableTable<&'static str, u64>, key: &str) -> Result<u64, redb::Error> {
    Ok(table.get(key)?.map_or(0, |v| v.value()))
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("TALLY_DATA_DIR: cannot create {}: {e}", dir.display()))?;
        let path = dir.join("tally.redb");
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| anyhow::anyhow!("TALLY_DATA_DIR: cannot open {}: {e}", path.display()))?;
        // Create every table up front so reads never meet a missing one.
        let txn = db.begin_write()?;
        txn.open_table(VISITORS)?;
        txn.open_table(PAGE_SEEN)?;
        txn.open_table(HITS)?;
        txn.open_table(COUNTERS)?;
        txn.open_table(PAGES)?;
        txn.open_table(BATCHES)?;
        txn.open_table(HASH_KEYS)?;
        txn.open_table(POLLS)?;
        txn.open_table(POLL_COUNTS)?;
        txn.open_table(VOTERS)?;
        txn.open_table(ADDRESS_BALLOTS)?;
        txn.commit()?;
        let db = Arc::new(db);
        Ok(Self {
            writer: Writer::start(Arc::clone(&db))?,
            db,
            online: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Runs `f` in the writer's transaction; see [`Writer::write`].
    async fn write<T, F>(&self, durability: Durability, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, redb::Error> + Send + 'static,
    {
        self.writer.write(durability, f).await
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T, redb::Error> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(err)?;
            f(&txn).map_err(err)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("embedded store task: {e}")))?
    }
}

fn counters(
    table: &impl ReadableTable<&'static str, u64>,
    pages: &impl ReadableTable<&'static str, u64>,
    site: &SiteId,
    query: &CounterQuery,
) -> Result<CounterSnapshot, redb::Error> {
    let page_views = keys::page_views(site);
    Ok(CounterSnapshot {
        baseline: read_u64(table, &keys::baseline(site))?,
        visits: read_u64(table, &keys::visits_total(site))?,
        today: read_u64(table, &keys::visits_day(site, &query.today))?,
        yesterday: read_u64(table, &keys::visits_day(site, &query.yesterday))?,
        this_week: read_u64(table, &keys::visits_week(site, &query.week))?,
        this_month: read_u64(table, &keys::visits_month(site, &query.month))?,
        online: 0,
        pages_dropped: 0,
        pages: query
            .pages
            .iter()
            .map(|p| read_u64(pages, &field(&page_views, p.as_str())))
            .collect::<Result<_, _>>()?,
    })
}

#[async_trait]
impl Store for EmbeddedStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|txn| txn.open_table(COUNTERS).map(drop).map_err(Into::into))
            .await
    }

    async fn touch(&self, site: &SiteId, touch: &Touch) -> Result<TouchOutcome, StoreError> {
        let key = keys::visitor(site, &touch.visitor);
        let alias = touch.alias.as_ref().map(|a| keys::visitor(site, a));
        let touch = touch.clone();
        self.write(Durability::None, move |txn| {
            let mut hits = txn.open_table(HITS)?;
            let hit_key = field(&key, &format!("i:{}", touch.id));
            if let Some(known) = hits.get(hit_key.as_str())? {
                // The same hit again, its first answer lost.
                let (_, new_visit, new_page_view) = known.value();
                return Ok(TouchOutcome {
                    new_visit,
                    new_page_view,
                });
            }
            let mut visitors = txn.open_table(VISITORS)?;
            let mut seen_pages = txn.open_table(PAGE_SEEN)?;
            let last = visitors.get(key.as_str())?.map(|v| v.value());
            let new_visit = last.is_none_or(|last| touch.at_ms - last >= touch.window_ms);
            let latest = last.map_or(touch.at_ms, |last| last.max(touch.at_ms));
            let mut new_page_view = false;
            if let Some(page) = &touch.page {
                let page_key = field(&key, page.as_str());
                let seen = seen_pages.get(page_key.as_str())?.map(|v| v.value());
                new_page_view = seen.is_none_or(|seen| touch.at_ms - seen >= touch.window_ms);
                if seen.is_none() {
                    let remembered = with_prefix(&seen_pages, &field(&key, ""), |at| at)?;
                    if remembered.len() > MOST_PAGES_PER_VISITOR {
                        for (k, _) in remembered {
                            seen_pages.remove(k.as_str())?;
                        }
                    }
                }
                if seen.is_none_or(|seen| touch.at_ms > seen) {
                    seen_pages.insert(page_key.as_str(), touch.at_ms)?;
                }
            }
            visitors.insert(key.as_str(), latest)?;
            if let Some(alias) = alias {
                visitors.insert(alias.as_str(), latest)?;
                for (k, _) in with_prefix(&seen_pages, &field(&alias, ""), |at| at)? {
                    seen_pages.remove(k.as_str())?;
                }
                for (k, at) in with_prefix(&seen_pages, &field(&key, ""), |at| at)? {
                    let copy = format!("{alias}{}", &k[key.len()..]);
                    seen_pages.insert(copy.as_str(), at)?;
                }
            }
            if new_visit || new_page_view {
                hits.insert(hit_key.as_str(), (touch.at_ms, new_visit, new_page_view))?;
            }
            Ok(TouchOutcome {
                new_visit,
                new_page_view,
            })
        })
        .await
    }

    async fn apply(
        &self,
        site: &SiteId,
        batch: Option<&Batch>,
        query: &CounterQuery,
        max_pages: u64,
    ) -> Result<CounterSnapshot, StoreError> {
        let owned_site = site.clone();
        let owned_query = query.clone();
        let mut snapshot = match batch {
            None => {
                self.read(move |txn| {
                    counters(
                        &txn.open_table(COUNTERS)?,
                        &txn.open_table(PAGES)?,
                        &owned_site,
                        &owned_query,
                    )
                })
                .await?
            }
            Some(batch) => {
                let batch = batch.clone();
                // Made durable within a second by the writer, as hits are.
                self.write(Durability::None, move |txn| {
                    let site = &owned_site;
                    let mut table = txn.open_table(COUNTERS)?;
                    let mut pages = txn.open_table(PAGES)?;
                    let mut markers = txn.open_table(BATCHES)?;
                    let marker = keys::batch(site, &batch.id);
                    let mut dropped = 0;
                    if markers.get(marker.as_str())?.is_none() {
                        markers.insert(marker.as_str(), owned_query.online_since_ms)?;
                        for (b, n) in &batch.visits {
                            add(&mut table, &keys::visits_total(site), *n)?;
                            add(&mut table, &keys::visits_day(site, &b.day), *n)?;
                            add(&mut table, &keys::visits_week(site, &b.week), *n)?;
                            add(&mut table, &keys::visits_month(site, &b.month), *n)?;
                        }
                        let page_views = keys::page_views(site);
                        for (page, n) in &batch.page_views {
                            let key = field(&page_views, page.as_str());
                            let known = pages.get(key.as_str())?.is_some();
                            if known || read_u64(&table, &page_views)? < max_pages {
                                if !known {
                                    add(&mut table, &page_views, 1)?;
                                }
                                add(&mut pages, &key, *n)?;
                            } else {
                                dropped += 1;
                            }
                        }
                    }
                    let mut snapshot = counters(&table, &pages, site, &owned_query)?;
                    snapshot.pages_dropped = dropped;
                    Ok(snapshot)
                })
                .await?
            }
        };
        let mut online = self.online.lock().expect("online lock");
        online.retain(|_, at| *at >= query.online_since_ms);
        if let Some(batch) = batch {
            for (visitor, at) in batch
                .seen
                .iter()
                .filter(|(_, at)| *at >= query.online_since_ms)
            {
                let key = (site.clone(), visitor.clone());
                let room = online.len() < MOST_ONLINE;
                match online.get_mut(&key) {
                    Some(seen) => *seen = (*seen).max(*at),
                    None if room => {
                        online.insert(key, *at);
                    }
                    None => {}
                }
            }
        }
        snapshot.online = online.keys().filter(|(s, _)| s == site).count() as u64;
        Ok(snapshot)
    }

    async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Result<Vec<u64>, StoreError> {
        let container = keys::page_views(site);
        let pages = pages.to_vec();
        self.read(move |txn| {
            let table = txn.open_table(PAGES)?;
            pages
                .iter()
                .map(|p| read_u64(&table, &field(&container, p.as_str())))
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

    async fn daily_key(
        &self,
        site: &SiteId,
        day: &str,
        candidate: [u8; 32],
        _lifetime: std::time::Duration,
    ) -> Result<[u8; 32], StoreError> {
        let key = keys::daily_key(site, day);
        let prefix = keys::daily_key(site, "");
        self.write(Durability::Immediate, move |txn| {
            let mut table = txn.open_table(HASH_KEYS)?;
            let stored: Option<[u8; 32]> = table
                .get(key.as_str())?
                .and_then(|v| v.value().try_into().ok());
            if let Some(stored) = stored {
                return Ok(stored);
            }
            // A new day: the old days' keys go, so yesterday's hashes can no
            // longer be recomputed.
            for (old, _) in with_prefix(&table, &prefix, |_| ())? {
                table.remove(old.as_str())?;
            }
            table.insert(key.as_str(), candidate.as_slice())?;
            Ok(candidate)
        })
        .await
    }

    async fn put_poll(
        &self,
        site: &SiteId,
        poll: &Poll,
        force: bool,
    ) -> Result<PutPoll, StoreError> {
        let k = PollKeys::new(site, &poll.id);
        let poll = poll.clone();
        self.write(Durability::Immediate, move |txn| {
            polls::put(txn, &k, &poll, force)
        })
        .await
    }

    async fn list_polls(&self, site: &SiteId) -> Result<Vec<Poll>, StoreError> {
        let prefix = format!("tally:{{{site}/p/");
        let defs = self
            .read(move |txn| with_prefix(&txn.open_table(POLLS)?, &prefix, str::to_owned))
            .await?;
        defs.into_iter().map(|(_, def)| parse_poll(&def)).collect()
    }

    async fn poll_state(
        &self,
        site: &SiteId,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        let k = PollKeys::new(site, poll);
        let visitor = visitor.cloned();
        self.read(move |txn| {
            polls::poll_state_in(
                &txn.open_table(POLLS)?,
                &txn.open_table(POLL_COUNTS)?,
                &txn.open_table(VOTERS)?,
                &k,
                visitor.as_ref(),
            )
        })
        .await
    }

    async fn cast(
        &self,
        site: &SiteId,
        ballot: &Ballot,
    ) -> Result<Option<(Verdict, PollState)>, StoreError> {
        let k = PollKeys::new(site, &ballot.poll);
        let ballot = ballot.clone();
        // `None`: the caller's deadline passed while the ballot waited for
        // the writer, so it is not counted (the caller answered 503).
        let cast = self
            .write(Durability::Immediate, move |txn| {
                polls::cast(txn, &k, &ballot)
            })
            .await?;
        cast.ok_or_else(|| {
            StoreError::Unavailable(
                "the ballot waited past its deadline and was not counted".into(),
            )
        })
    }

    async fn retract(&self, site: &SiteId, ballot: &Ballot) -> Result<bool, StoreError> {
        let k = PollKeys::new(site, &ballot.poll);
        let ballot = ballot.clone();
        self.write(Durability::Immediate, move |txn| {
            polls::retract(txn, &k, &ballot)
        })
        .await
    }

    async fn maintain(&self, now_ms: i64, window_ms: i64) -> Result<(), StoreError> {
        // A minute's slack, as the Redis store's expiry has.
        let expired = now_ms - window_ms - 60_000;
        let oldest_marker = now_ms - BATCH_MARKER_TTL_MS;
        let oldest_day = jiff::Timestamp::from_millisecond(now_ms - 2 * 86_400_000)
            .map(|t| {
                t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .date()
                    .to_string()
            })
            .unwrap_or_default();
        self.write(Durability::Immediate, move |txn| {
            txn.open_table(VISITORS)?.retain(|_, at| at >= expired)?;
            txn.open_table(PAGE_SEEN)?.retain(|_, at| at >= expired)?;
            txn.open_table(HITS)?
                .retain(|_, (at, _, _)| at >= expired)?;
            txn.open_table(BATCHES)?
                .retain(|_, at| at >= oldest_marker)?;
            txn.open_table(ADDRESS_BALLOTS)?.retain(|key, _| {
                key.split(":addr:")
                    .nth(1)
                    .and_then(|rest| rest.split('\x1f').next())
                    .is_some_and(|day| day >= oldest_day.as_str())
            })?;
            Ok(())
        })
        .await
    }

    async fn sync(&self) -> Result<(), StoreError> {
        // An empty durable commit makes the non-durable ones before it durable.
        self.write(Durability::Immediate, |_| Ok(())).await
    }
}
