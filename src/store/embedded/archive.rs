//! A site's whole state in the embedded store, read out in one read
//! transaction (so an export is one moment of the file, however long it
//! streams) and written back in transactions of a batch each.

use async_trait::async_trait;
use redb::{Durability, ReadTransaction, ReadableTable, WriteTransaction};

use super::EmbeddedStore;
use super::polls;
use super::tables::{
    AUDIT, COUNTERS, DELETED_POLLS, PAGE_DAYS, PAGES, POLL_COUNTS, POLLS, VOTERS, add, field,
    read_u64, with_prefix,
};
use crate::calendar::{Day, Month};
use crate::ids::{PollId, SiteId};
use crate::store::keys::{self, PollKeys};
use crate::store::piece::{Holding, Period, Piece, Sink, site_name};
use crate::store::record::parse_poll;
use crate::store::{Archive, MOST_AUDIT_ENTRIES, StoreError};

/// The mark of a restore under way: the cut (ms) of the export it writes.
fn restoring_key(site: &SiteId) -> String {
    format!("tally:{{{site}}}:restoring")
}

fn broken(why: impl Into<String>) -> redb::Error {
    redb::Error::Corrupted(why.into())
}

fn emit(sink: &Sink, piece: Piece, sent: &mut u64) -> Result<(), redb::Error> {
    *sent += 1;
    sink.blocking_send(piece)
        .map_err(|_| broken("the export's reader went away"))
}

#[async_trait]
impl Archive for EmbeddedStore {
    async fn export(&self, site: &SiteId, sink: Sink) -> Result<u64, StoreError> {
        let site = site.clone();
        self.read_txn(move |txn| export(txn, &site, &sink)).await
    }

    async fn restore(&self, site: &SiteId, pieces: Vec<Piece>) -> Result<(), StoreError> {
        let site = site.clone();
        self.write(Durability::Immediate, move |txn| {
            pieces.iter().try_for_each(|p| restore(txn, &site, p))
        })
        .await
    }

    async fn holding(&self, site: &SiteId) -> Result<Holding, StoreError> {
        let site = site.clone();
        self.read_txn(move |txn| {
            let counters = txn.open_table(COUNTERS)?;
            let any = |prefix: String| -> Result<bool, redb::Error> {
                Ok(counters
                    .range(prefix.as_str()..)?
                    .next()
                    .transpose()?
                    .is_some_and(|(k, _)| k.value().starts_with(&prefix)))
            };
            let kept = read_u64(&counters, &keys::baseline(&site))? > 0
                || read_u64(&counters, &keys::visits_total(&site))? > 0
                || any(format!("tally:{{{site}}}:visits:days:"))?
                || !with_prefix(
                    &txn.open_table(POLLS)?,
                    &format!("tally:{{{site}/p/"),
                    |_| (),
                )?
                .is_empty()
                || !with_prefix(
                    &txn.open_table(DELETED_POLLS)?,
                    &field(&keys::deleted_polls(&site), ""),
                    |_| (),
                )?
                .is_empty()
                || !with_prefix(
                    &txn.open_table(AUDIT)?,
                    &field(&keys::audit(&site), ""),
                    |_| (),
                )?
                .is_empty()
                || !with_prefix(
                    &txn.open_table(PAGES)?,
                    &field(&keys::page_views(&site), ""),
                    |_| (),
                )?
                .is_empty();
            let restoring = counters
                .get(restoring_key(&site).as_str())?
                .map(|v| i64::try_from(v.value()).unwrap_or(i64::MAX));
            Ok(Holding {
                empty: !kept,
                restoring,
            })
        })
        .await
    }

    async fn mark_restore(&self, site: &SiteId, cut: Option<i64>) -> Result<(), StoreError> {
        let key = restoring_key(site);
        self.write(Durability::Immediate, move |txn| {
            let mut counters = txn.open_table(COUNTERS)?;
            match cut {
                Some(ms) => counters.insert(key.as_str(), u64::try_from(ms).unwrap_or(0))?,
                None => counters.remove(key.as_str())?,
            };
            Ok(())
        })
        .await
    }
}

/// Every piece of `site`, from one read transaction.
fn export(txn: &ReadTransaction, site: &SiteId, sink: &Sink) -> Result<u64, redb::Error> {
    let name = site_name(site);
    let mut sent = 0;
    let counters = txn.open_table(COUNTERS)?;
    let counted = Piece::Counters {
        site: name.clone(),
        baseline: read_u64(&counters, &keys::baseline(site))?,
        visits: read_u64(&counters, &keys::visits_total(site))?,
    };
    emit(sink, counted, &mut sent)?;
    for what in ["day", "week", "month"] {
        let prefix = format!("tally:{{{site}}}:visits:{what}:");
        for (key, visits) in with_prefix(&counters, &prefix, |n| n)? {
            if let Some(period) = Period::parse(what, &key[prefix.len()..]) {
                let piece = Piece::Bucket {
                    site: name.clone(),
                    period,
                    visits,
                };
                emit(sink, piece, &mut sent)?;
            }
        }
    }
    export_days(&counters, site, sink, &mut sent)?;
    let page_views = field(&keys::page_views(site), "");
    for entry in with_prefix(&txn.open_table(PAGES)?, &page_views, |n| n)? {
        let page = entry.0[page_views.len()..].to_owned();
        emit(
            sink,
            Piece::Page {
                site: name.clone(),
                page,
                views: entry.1,
            },
            &mut sent,
        )?;
    }
    let day_pages = format!("tally:{{{site}}}:pages:day:");
    for (key, views) in with_prefix(&txn.open_table(PAGE_DAYS)?, &day_pages, |n| n)? {
        let Some((day, page)) = key[day_pages.len()..].split_once('\x1f') else {
            continue;
        };
        let Ok(day) = day.parse() else { continue };
        let piece = Piece::PageDay {
            site: name.clone(),
            day,
            page: page.to_owned(),
            views,
        };
        emit(sink, piece, &mut sent)?;
    }
    export_polls(txn, site, sink, &mut sent)?;
    let tombstones = field(&keys::deleted_polls(site), "");
    for (key, ()) in with_prefix(&txn.open_table(DELETED_POLLS)?, &tombstones, |_| ())? {
        if let Ok(poll) = PollId::parse(&key[tombstones.len()..]) {
            emit(
                sink,
                Piece::DeletedPoll {
                    site: name.clone(),
                    poll,
                },
                &mut sent,
            )?;
        }
    }
    let audit = field(&keys::audit(site), "");
    for (_, entry) in with_prefix(&txn.open_table(AUDIT)?, &audit, str::to_owned)? {
        emit(
            sink,
            Piece::Audit {
                site: name.clone(),
                entry,
            },
            &mut sent,
        )?;
    }
    Ok(sent)
}

/// The history's days: `visits:days:<month>\x1f<dd>`, with the imported
/// part kept under `visits:imported:<month>\x1f<dd>`.
fn export_days(
    counters: &impl ReadableTable<&'static str, u64>,
    site: &SiteId,
    sink: &Sink,
    sent: &mut u64,
) -> Result<(), redb::Error> {
    let day_of = |rest: &str| -> Option<Day> {
        let (month, dd) = rest.split_once('\x1f')?;
        let month: Month = month.parse().ok()?;
        format!("{month}-{dd}").parse().ok()
    };
    let imported_prefix = format!("tally:{{{site}}}:visits:imported:");
    let mut imported: std::collections::BTreeMap<Day, u64> =
        with_prefix(counters, &imported_prefix, |n| n)?
            .into_iter()
            .filter_map(|(k, n)| Some((day_of(&k[imported_prefix.len()..])?, n)))
            .collect();
    let days_prefix = format!("tally:{{{site}}}:visits:days:");
    let mut days: std::collections::BTreeMap<Day, u64> =
        with_prefix(counters, &days_prefix, |n| n)?
            .into_iter()
            .filter_map(|(k, n)| Some((day_of(&k[days_prefix.len()..])?, n)))
            .collect();
    for day in imported.keys() {
        days.entry(*day).or_insert(0);
    }
    for (day, visits) in days {
        let imported = imported.remove(&day).unwrap_or(0);
        let piece = Piece::Day {
            site: site_name(site),
            day,
            visits,
            imported,
        };
        emit(sink, piece, sent)?;
    }
    Ok(())
}

/// Each poll: its definition and counts, its days, then its voters.
fn export_polls(
    txn: &ReadTransaction,
    site: &SiteId,
    sink: &Sink,
    sent: &mut u64,
) -> Result<(), redb::Error> {
    let name = site_name(site);
    let (counts, voters) = (txn.open_table(POLL_COUNTS)?, txn.open_table(VOTERS)?);
    let defs = with_prefix(
        &txn.open_table(POLLS)?,
        &format!("tally:{{{site}/p/"),
        str::to_owned,
    )?;
    for (_, def) in defs {
        let poll = parse_poll(&def).map_err(|e| broken(e.to_string()))?;
        let k = PollKeys::new(site, &poll.id);
        let prefix = field(&k.counts, "");
        let counted = with_prefix(&counts, &prefix, |n| n)?
            .into_iter()
            .map(|(key, n)| (key[prefix.len()..].to_owned(), n))
            .collect();
        let id = poll.id.clone();
        let piece = Piece::Poll {
            site: name.clone(),
            poll: Box::new(poll),
            counts: counted,
        };
        emit(sink, piece, sent)?;
        let days = field(&k.days, "");
        for (key, ballots) in with_prefix(&counts, &days, |n| n)? {
            let Some((day, option)) = key[days.len()..].split_once('|') else {
                continue;
            };
            let Ok(day) = day.parse() else { continue };
            let piece = Piece::PollDay {
                site: name.clone(),
                poll: id.clone(),
                day,
                option: option.to_owned(),
                ballots,
            };
            emit(sink, piece, sent)?;
        }
        let who = field(&k.voters, "");
        for (key, record) in with_prefix(&voters, &who, str::to_owned)? {
            let visitor = key[who.len()..].to_owned();
            let piece = Piece::Voter {
                site: name.clone(),
                poll: id.clone(),
                visitor,
                record,
            };
            emit(sink, piece, sent)?;
        }
    }
    Ok(())
}

/// Adds one piece in `txn`.
fn restore(txn: &WriteTransaction, site: &SiteId, piece: &Piece) -> Result<(), redb::Error> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    match piece {
        Piece::Counters {
            baseline, visits, ..
        } => {
            let mut counters = txn.open_table(COUNTERS)?;
            add(&mut counters, &keys::baseline(site), n(*baseline))?;
            add(&mut counters, &keys::visits_total(site), n(*visits))?;
        }
        Piece::Bucket { period, visits, .. } => {
            let key = match period {
                Period::Day(d) => keys::visits_day(site, *d),
                Period::Week(w) => keys::visits_week(site, *w),
                Period::Month(m) => keys::visits_month(site, *m),
            };
            add(&mut txn.open_table(COUNTERS)?, &key, n(*visits))?;
        }
        Piece::Day {
            day,
            visits,
            imported,
            ..
        } => {
            let mut counters = txn.open_table(COUNTERS)?;
            let days = field(&keys::visits_days(site, day.month()), &day.field());
            add(&mut counters, &days, n(*visits))?;
            if *imported > 0 {
                let key = field(&keys::imported_days(site, day.month()), &day.field());
                add(&mut counters, &key, n(*imported))?;
            }
        }
        Piece::Page { page, views, .. } => {
            let (mut pages, container) = (txn.open_table(PAGES)?, keys::page_views(site));
            let key = field(&container, page);
            if pages.get(key.as_str())?.is_none() {
                add(&mut txn.open_table(COUNTERS)?, &container, 1)?;
            }
            add(&mut pages, &key, n(*views))?;
        }
        Piece::PageDay {
            day, page, views, ..
        } => {
            let key = field(&keys::pages_day(site, *day), page);
            add(&mut txn.open_table(PAGE_DAYS)?, &key, n(*views))?;
        }
        Piece::Poll { poll, counts, .. } => {
            let k = PollKeys::new(site, &poll.id);
            let version = keys::polls_version(site);
            let put = polls::put(txn, &k, &version, poll, false)?;
            if let Some(why) = put.restore_refusal(&poll.id) {
                return Err(broken(why));
            }
            let mut table = txn.open_table(POLL_COUNTS)?;
            for (option, count) in counts {
                add(&mut table, &field(&k.counts, option), n(*count))?;
            }
        }
        Piece::PollDay {
            poll,
            day,
            option,
            ballots,
            ..
        } => {
            let k = PollKeys::new(site, poll);
            let key = field(&k.days, &format!("{day}|{option}"));
            add(&mut txn.open_table(POLL_COUNTS)?, &key, n(*ballots))?;
        }
        Piece::Voter {
            poll,
            visitor,
            record,
            ..
        } => {
            let key = field(&PollKeys::new(site, poll).voters, visitor);
            txn.open_table(VOTERS)?
                .insert(key.as_str(), record.as_str())?;
        }
        Piece::DeletedPoll { poll, .. } => {
            let key = field(&keys::deleted_polls(site), poll.as_str());
            txn.open_table(DELETED_POLLS)?.insert(key.as_str(), 1)?;
        }
        Piece::Audit { entry, .. } => {
            let list = keys::audit(site);
            let seq = add(&mut txn.open_table(COUNTERS)?, &list, 1)?;
            let mut audit = txn.open_table(AUDIT)?;
            audit.insert(field(&list, &format!("{seq:020}")).as_str(), entry.as_str())?;
            if let Some(old) = seq.checked_sub(MOST_AUDIT_ENTRIES as u64) {
                audit.remove(field(&list, &format!("{old:020}")).as_str())?;
            }
        }
    }
    Ok(())
}
