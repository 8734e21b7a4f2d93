//! A site's whole state in Redis (one server or a cluster), read out
//! (`archive/read.rs`, which says what the cut guarantees) and written back
//! in pipelines whose commands share one slot.

mod poll;
mod read;

use std::sync::LazyLock;

use async_trait::async_trait;
use redis::{Pipeline, Script};

use super::connection::{Connection, RedisStore, corrupt, unavailable};
use super::counters::BUCKET_TTL_SECS;
use crate::ids::SiteId;
use crate::store::keys::{self, PollKeys};
use crate::store::piece::{Holding, Period, Piece, Sink};
use crate::store::{Archive, MOST_AUDIT_ENTRIES, Polls, StoreError};

/// Whether the site keeps anything, and the mark of a restore under way.
static HOLDING: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local kept = tonumber(redis.call('GET', KEYS[1]) or '0') > 0 \
           or tonumber(redis.call('GET', KEYS[2]) or '0') > 0 \
         for i = 3, 6 do if redis.call('EXISTS', KEYS[i]) == 1 then kept = true end end \
         return {kept and 1 or 0, redis.call('GET', KEYS[7]) or ''}",
    )
});

/// The mark of a restore under way: the cut (ms) of the export it writes.
fn restoring_key(site: &SiteId) -> String {
    format!("tally:{{{site}}}:restoring")
}

#[async_trait]
impl Archive for RedisStore {
    async fn export(&self, site: &SiteId, sink: Sink) -> Result<u64, StoreError> {
        read::export(self.patient_connection().await?, site, sink).await
    }

    async fn restore(&self, site: &SiteId, pieces: Vec<Piece>) -> Result<(), StoreError> {
        let mut conn = self.patient_connection().await?;
        let mut batch = Batch::default();
        for piece in &pieces {
            if let Piece::Poll { poll, counts, .. } = piece {
                batch.flush(&mut conn).await?;
                let put = self.put_poll(site, poll, false).await?;
                if let Some(why) = put.restore_refusal(&poll.id) {
                    return Err(corrupt(why));
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
pub(super) struct Batch {
    pipe: Pipeline,
    slot: Option<u16>,
    /// Earlier slots' pipelines, not sent yet.
    pending: Vec<Pipeline>,
}

impl Batch {
    /// The pipeline to add a command on `key` to, sent first if it holds
    /// another slot's.
    pub(super) fn to(&mut self, key: &str) -> &mut Pipeline {
        let slot = keys::slot(key.as_bytes());
        if self.slot.is_some_and(|s| s != slot) {
            self.pending.push(std::mem::take(&mut self.pipe));
        }
        self.slot = Some(slot);
        &mut self.pipe
    }

    pub(super) async fn flush(&mut self, conn: &mut Connection) -> Result<(), StoreError> {
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
