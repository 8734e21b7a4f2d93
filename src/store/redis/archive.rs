//! A site's whole state in Redis (one server or a cluster), read out and
//! written back. Each poll is read in one script (its definition, counts,
//! days and voters at once: a ballot is in both its counts and its voter's
//! record, or in neither); the site's counters and history are found by a
//! `SCAN` run inside a script keyed to the site's slot (so a cluster runs it
//! on the node that holds them) and read in pages; a page's views with
//! `HSCAN`. Writes go in pipelines whose commands share one slot.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use async_trait::async_trait;
use redis::{Pipeline, Script};

use super::connection::{Connection, RedisStore, corrupt, unavailable};
use super::counters::BUCKET_TTL_SECS;
use crate::calendar::{Day, Month};
use crate::ids::{PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::piece::{Holding, Period, Piece, Sink, site_name};
use crate::store::record::parse_poll;
use crate::store::{Archive, MOST_AUDIT_ENTRIES, Polls, PutPoll, StoreError};

/// One page of a `SCAN` for the site's keys, run where the site's slot is.
static SCAN_SITE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3]) \
         return r",
    )
});

/// A poll at one moment: `{def or '', counts, days, voters}` (flat pairs).
static POLL_DUMP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "return {redis.call('HGET', KEYS[1], 'def') or '', redis.call('HGETALL', KEYS[2]), \
         redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4])}",
    )
});

/// Whether the site keeps anything, and the mark of a restore under way.
static HOLDING: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local kept = tonumber(redis.call('GET', KEYS[1]) or '0') > 0 \
           or tonumber(redis.call('GET', KEYS[2]) or '0') > 0 \
         for i = 3, 6 do if redis.call('EXISTS', KEYS[i]) == 1 then kept = true end end \
         return {kept and 1 or 0, redis.call('GET', KEYS[7]) or ''}",
    )
});

/// Keys a `SCAN` page looks at.
const SCAN_COUNT: u32 = 1_000;

/// The mark of a restore under way: the cut (ms) of the export it writes.
fn restoring_key(site: &SiteId) -> String {
    format!("tally:{{{site}}}:restoring")
}

async fn send(sink: &Sink, piece: Piece, sent: &mut u64) -> Result<(), StoreError> {
    *sent += 1;
    sink.send(piece)
        .await
        .map_err(|_| StoreError::Unavailable("the export's reader went away".into()))
}

/// Flat `[field, value, …]` pairs.
fn pairs(flat: Vec<String>) -> impl Iterator<Item = (String, String)> {
    let mut it = flat.into_iter();
    std::iter::from_fn(move || Some((it.next()?, it.next()?)))
}

fn number(s: &str) -> u64 {
    s.parse::<i64>().map_or(0, |n| n.max(0).unsigned_abs())
}

#[async_trait]
impl Archive for RedisStore {
    async fn export(&self, site: &SiteId, sink: Sink) -> Result<u64, StoreError> {
        let mut conn = self.patient_connection().await?;
        let mut sent = 0;
        let name = site_name(site);
        let (baseline, visits): (Option<String>, Option<String>) = redis::pipe()
            .get(keys::baseline(site))
            .get(keys::visits_total(site))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let counted = Piece::Counters {
            site: name.clone(),
            baseline: baseline.as_deref().map_or(0, number),
            visits: visits.as_deref().map_or(0, number),
        };
        send(&sink, counted, &mut sent).await?;
        let found = site_keys(&mut conn, site).await?;
        export_site(&mut conn, site, &found, &sink, &mut sent).await?;
        let mut polls: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys::poll_index(site))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        polls.sort();
        for id in polls.iter().filter_map(|p| PollId::parse(p).ok()) {
            export_poll(&mut conn, site, &id, &sink, &mut sent).await?;
        }
        let mut deleted: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys::deleted_polls(site))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        deleted.sort();
        for poll in deleted.iter().filter_map(|p| PollId::parse(p).ok()) {
            send(
                &sink,
                Piece::DeletedPoll {
                    site: name.clone(),
                    poll,
                },
                &mut sent,
            )
            .await?;
        }
        let audit: Vec<String> = redis::cmd("LRANGE")
            .arg(keys::audit(site))
            .arg(0)
            .arg(MOST_AUDIT_ENTRIES - 1)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        for entry in audit.into_iter().rev() {
            send(
                &sink,
                Piece::Audit {
                    site: name.clone(),
                    entry,
                },
                &mut sent,
            )
            .await?;
        }
        Ok(sent)
    }

    async fn restore(&self, site: &SiteId, pieces: Vec<Piece>) -> Result<(), StoreError> {
        let mut conn = self.patient_connection().await?;
        let mut batch = Batch::default();
        for piece in &pieces {
            if let Piece::Poll { poll, counts, .. } = piece {
                batch.flush(&mut conn).await?;
                if let PutPoll::Conflict(_) = self.put_poll(site, poll, false).await? {
                    return Err(corrupt(format!(
                        "poll {}: its options differ from the store's",
                        poll.id
                    )));
                }
                let k = PollKeys::new(site, &poll.id);
                for (option, n) in counts {
                    batch
                        .to(&k.counts)
                        .cmd("HINCRBY")
                        .arg(&k.counts)
                        .arg(option)
                        .arg(*n);
                }
                continue;
            }
            add(&mut batch, site, piece);
        }
        batch.flush(&mut conn).await
    }

    async fn holding(&self, site: &SiteId) -> Result<Holding, StoreError> {
        let mut conn = self.connection().await?;
        let (kept, restoring): (i64, String) = HOLDING
            .key(keys::baseline(site))
            .key(keys::visits_total(site))
            .key(keys::poll_index(site))
            .key(keys::deleted_polls(site))
            .key(keys::audit(site))
            .key(keys::page_views(site))
            .key(restoring_key(site))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(Holding {
            empty: kept == 0,
            restoring: restoring.parse().ok(),
        })
    }

    async fn mark_restore(&self, site: &SiteId, cut: Option<i64>) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        let mut cmd = redis::cmd(if cut.is_some() { "SET" } else { "DEL" });
        cmd.arg(restoring_key(site));
        if let Some(ms) = cut {
            cmd.arg(ms);
        }
        cmd.query_async::<()>(&mut conn).await.map_err(unavailable)
    }
}

/// Commands of one slot, sent together when the next piece is elsewhere.
#[derive(Default)]
struct Batch {
    pipe: Pipeline,
    slot: Option<u16>,
    /// Earlier slots' pipelines, not sent yet.
    pending: Vec<Pipeline>,
}

impl Batch {
    /// The pipeline to add a command on `key` to, sent first if it holds
    /// another slot's.
    fn to(&mut self, key: &str) -> &mut Pipeline {
        let slot = keys::slot(key.as_bytes());
        if self.slot.is_some_and(|s| s != slot) {
            self.pending.push(std::mem::take(&mut self.pipe));
        }
        self.slot = Some(slot);
        &mut self.pipe
    }

    async fn flush(&mut self, conn: &mut Connection) -> Result<(), StoreError> {
        if self.slot.take().is_some() {
            self.pending.push(std::mem::take(&mut self.pipe));
        }
        for pipe in self.pending.drain(..) {
            pipe.query_async::<()>(conn).await.map_err(unavailable)?;
        }
        Ok(())
    }
}

/// Adds the commands that restore `piece` (any but a poll's definition).
fn add(batch: &mut Batch, site: &SiteId, piece: &Piece) {
    match piece {
        Piece::Counters {
            baseline, visits, ..
        } => {
            let (b, t) = (keys::baseline(site), keys::visits_total(site));
            batch.to(&b).cmd("INCRBY").arg(&b).arg(*baseline);
            batch.to(&t).cmd("INCRBY").arg(&t).arg(*visits);
        }
        Piece::Bucket { period, visits, .. } => {
            let key = match period {
                Period::Day(d) => keys::visits_day(site, *d),
                Period::Week(w) => keys::visits_week(site, *w),
                Period::Month(m) => keys::visits_month(site, *m),
            };
            let pipe = batch.to(&key);
            pipe.cmd("INCRBY").arg(&key).arg(*visits);
            pipe.cmd("EXPIRE").arg(&key).arg(BUCKET_TTL_SECS);
        }
        Piece::Day {
            day,
            visits,
            imported,
            ..
        } => {
            let days = keys::visits_days(site, day.month());
            batch
                .to(&days)
                .cmd("HINCRBY")
                .arg(&days)
                .arg(day.field())
                .arg(*visits);
            if *imported > 0 {
                let key = keys::imported_days(site, day.month());
                batch
                    .to(&key)
                    .cmd("HINCRBY")
                    .arg(&key)
                    .arg(day.field())
                    .arg(*imported);
            }
        }
        Piece::Page { page, views, .. } => {
            let key = keys::page_views(site);
            batch
                .to(&key)
                .cmd("HINCRBY")
                .arg(&key)
                .arg(page)
                .arg(*views);
        }
        Piece::PageDay {
            day, page, views, ..
        } => {
            let key = keys::pages_day(site, *day);
            let pipe = batch.to(&key);
            pipe.cmd("ZINCRBY").arg(&key).arg(*views).arg(page);
            pipe.cmd("EXPIRE").arg(&key).arg(BUCKET_TTL_SECS);
        }
        Piece::Poll { .. } => {}
        Piece::PollDay {
            poll,
            day,
            option,
            ballots,
            ..
        } => {
            let key = PollKeys::new(site, poll).days;
            let field = format!("{day}|{option}");
            batch
                .to(&key)
                .cmd("HINCRBY")
                .arg(&key)
                .arg(field)
                .arg(*ballots);
        }
        Piece::Voter {
            poll,
            visitor,
            record,
            ..
        } => {
            let key = PollKeys::new(site, poll).voters;
            batch
                .to(&key)
                .cmd("HSET")
                .arg(&key)
                .arg(visitor)
                .arg(record);
        }
        Piece::DeletedPoll { poll, .. } => {
            let key = keys::deleted_polls(site);
            batch.to(&key).cmd("SADD").arg(&key).arg(poll.as_str());
        }
        Piece::Audit { entry, .. } => {
            let key = keys::audit(site);
            let pipe = batch.to(&key);
            pipe.cmd("LPUSH").arg(&key).arg(entry);
            pipe.cmd("LTRIM")
                .arg(&key)
                .arg(0)
                .arg(MOST_AUDIT_ENTRIES - 1);
        }
    }
}

/// The names of the site's counter buckets, history months and days'
/// pages, found by `SCAN` pages on the node of the site's slot.
async fn site_keys(conn: &mut Connection, site: &SiteId) -> Result<Vec<String>, StoreError> {
    let pattern = format!("tally:{{{site}}}:*");
    let (mut cursor, mut found) = ("0".to_owned(), Vec::new());
    loop {
        let (next, page): (String, Vec<String>) = SCAN_SITE
            .key(keys::visits_total(site))
            .arg(&cursor)
            .arg(&pattern)
            .arg(SCAN_COUNT)
            .invoke_async(conn)
            .await
            .map_err(unavailable)?;
        found.extend(page);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Buckets, the history's days, pages and days' pages.
async fn export_site(
    conn: &mut Connection,
    site: &SiteId,
    found: &[String],
    sink: &Sink,
    sent: &mut u64,
) -> Result<(), StoreError> {
    let name = site_name(site);
    let prefix = format!("tally:{{{site}}}:");
    let rest = |key: &'_ String| key[prefix.len()..].to_owned();
    let mut days: BTreeMap<Day, (u64, u64)> = BTreeMap::new();
    for key in found {
        let name_of = rest(key);
        let bucket = ["day", "week", "month"].iter().find_map(|what| {
            let start = name_of.strip_prefix(&format!("visits:{what}:"))?;
            Period::parse(what, start)
        });
        if let Some(period) = bucket {
            let visits: Option<String> = redis::cmd("GET")
                .arg(key)
                .query_async(conn)
                .await
                .map_err(unavailable)?;
            let visits = visits.as_deref().map_or(0, number);
            send(
                sink,
                Piece::Bucket {
                    site: name.clone(),
                    period,
                    visits,
                },
                sent,
            )
            .await?;
            continue;
        }
        let (month, imported) = match (
            name_of.strip_prefix("visits:days:"),
            name_of.strip_prefix("visits:imported:"),
        ) {
            (Some(m), _) => (m, false),
            (_, Some(m)) => (m, true),
            _ => continue,
        };
        let Ok(month) = month.parse::<Month>() else {
            continue;
        };
        let held: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(key)
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        for (dd, n) in held {
            let Ok(day) = format!("{month}-{dd}").parse::<Day>() else {
                continue;
            };
            let entry = days.entry(day).or_default();
            if imported {
                entry.1 = number(&n);
            } else {
                entry.0 = number(&n);
            }
        }
    }
    for (day, (visits, imported)) in days {
        send(
            sink,
            Piece::Day {
                site: name.clone(),
                day,
                visits,
                imported,
            },
            sent,
        )
        .await?;
    }
    let pages = keys::page_views(site);
    let mut cursor = "0".to_owned();
    loop {
        let (next, flat): (String, Vec<String>) = redis::cmd("HSCAN")
            .arg(&pages)
            .arg(&cursor)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        for (page, views) in pairs(flat) {
            send(
                sink,
                Piece::Page {
                    site: name.clone(),
                    page,
                    views: number(&views),
                },
                sent,
            )
            .await?;
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    for key in found {
        let Some(day) = rest(key)
            .strip_prefix("pages:day:")
            .and_then(|d| d.parse::<Day>().ok())
        else {
            continue;
        };
        let flat: Vec<String> = redis::cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        for (page, views) in pairs(flat) {
            let views = views.parse::<f64>().unwrap_or(0.0).max(0.0) as u64;
            send(
                sink,
                Piece::PageDay {
                    site: name.clone(),
                    day,
                    page,
                    views,
                },
                sent,
            )
            .await?;
        }
    }
    Ok(())
}

/// One poll, read in one script: definition, counts, days, voters.
async fn export_poll(
    conn: &mut Connection,
    site: &SiteId,
    id: &PollId,
    sink: &Sink,
    sent: &mut u64,
) -> Result<(), StoreError> {
    let name = site_name(site);
    let k = PollKeys::new(site, id);
    let (def, counts, days, voters): (String, Vec<String>, Vec<String>, Vec<String>) = POLL_DUMP
        .key(&k.meta)
        .key(&k.counts)
        .key(&k.days)
        .key(&k.voters)
        .invoke_async(conn)
        .await
        .map_err(unavailable)?;
    if def.is_empty() {
        return Ok(());
    }
    let poll = Box::new(parse_poll(&def)?);
    let counts = pairs(counts).map(|(o, n)| (o, number(&n))).collect();
    send(
        sink,
        Piece::Poll {
            site: name.clone(),
            poll,
            counts,
        },
        sent,
    )
    .await?;
    for (field, n) in pairs(days) {
        let Some((day, option)) = field.split_once('|') else {
            continue;
        };
        let Ok(day) = day.parse() else { continue };
        let piece = Piece::PollDay {
            site: name.clone(),
            poll: id.clone(),
            day,
            option: option.to_owned(),
            ballots: number(&n),
        };
        send(sink, piece, sent).await?;
    }
    for (visitor, record) in pairs(voters) {
        let piece = Piece::Voter {
            site: name.clone(),
            poll: id.clone(),
            visitor,
            record,
        };
        send(sink, piece, sent).await?;
    }
    Ok(())
}
