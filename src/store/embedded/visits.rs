//! Visitors in the embedded store: one record per visitor, as bytes. The
//! rules of [`crate::visit`] are applied to it as hits arrive, and it is
//! written behind them (`decided.rs`).
//!
//! A record is a few dozen bytes whatever the pages seen, and carries its
//! own expiry, so housekeeping can drop it without decoding the rest. Each
//! remembered page (at most `max_pages`) is an entry of its own in the
//! pages table, so a hit reads and writes the record and one page, not
//! every page the visitor has seen (see `decided.rs`).

use async_trait::async_trait;
use redb::WriteTransaction;

use super::EmbeddedStore;
use super::writer::Deliver;
use crate::ids::{SiteId, VisitorKey};
use crate::store::{StoreError, Touch, TouchOutcome, Visits, keys};

use jiff::Timestamp;

use crate::calendar::Day;
use crate::ids::{PageKey, VisitId};
use crate::visit::{PageSeen, VisitorState};

#[async_trait]
impl Visits for EmbeddedStore {
    async fn touch(&self, site: &SiteId, touch: &Touch) -> Result<TouchOutcome, StoreError> {
        let key = keys::visitor(site, &touch.visitor);
        let inherit = touch.inherit.as_ref().map(|v| keys::visitor(site, v));
        // Refused while writes fail: the hit waits in the counter's buffer
        // rather than being decided on a record that may not be written.
        if let Err(refused) = self.current.writable() {
            self.current.refused(1);
            return Err(refused);
        }
        // Decided and answered now; the record is written behind it.
        self.decided
            .touch(
                &self.current,
                &key,
                inherit.as_deref(),
                touch,
                |mut write| {
                    let run = move |txn: &WriteTransaction| -> Result<Deliver, redb::Error> {
                        write.put(txn)?;
                        Ok(Box::new(move |_| drop(write)))
                    };
                    self.writer.queue_behind(Box::new(run))
                },
            )
            .await
    }

    async fn visitor_known(
        &self,
        site: &SiteId,
        visitor: &VisitorKey,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let key = keys::visitor(site, visitor);
        self.decided.known(&*self.current.db()?, &key, now)
    }
}

/// A record with the pages in it, as releases before the pages table
/// wrote it: still read, and replaced by the two kinds below on the
/// visitor's next hit.
const WITH_PAGES: u8 = 1;
/// A record without pages: they are in [`super::tables::VISITOR_PAGES`],
/// one entry each, and the record counts them.
const HEAD_ONLY: u8 = 2;
const HEAD: usize = 1 + 8 + 8 + 8 + 4 + 2;
const PAGE: usize = 8 + 8 + 8;
/// A page's entry in the pages table: latest hit (ms), counting hit.
const PAGE_ENTRY: usize = 8 + 8;

/// A visitor's record as read: with every page in it (written by an
/// earlier release), or with the number of pages in the pages table
/// (`state.pages` is then empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Record {
    WithPages(VisitorState),
    HeadOnly { state: VisitorState, pages: usize },
}

/// The record of `state` but its pages, of which the pages table holds
/// `pages`; it may be deleted after `expires_at`.
pub(super) fn encode(state: &VisitorState, pages: usize, expires_at: Timestamp) -> Vec<u8> {
    head(HEAD_ONLY, state, pages, expires_at)
}

fn head(version: u8, state: &VisitorState, pages: usize, expires_at: Timestamp) -> Vec<u8> {
    let pages = pages.min(usize::from(u16::MAX));
    let mut out = Vec::with_capacity(HEAD);
    out.push(version);
    out.extend_from_slice(&expires_at.as_millisecond().to_le_bytes());
    out.extend_from_slice(&state.last.as_millisecond().to_le_bytes());
    out.extend_from_slice(&state.visit.0.to_le_bytes());
    out.extend_from_slice(&state.day.code().to_le_bytes());
    out.extend_from_slice(&(pages as u16).to_le_bytes());
    out
}

/// A record as an earlier release wrote it, pages and all.
#[cfg(test)]
pub(super) fn encode_with_pages(state: &VisitorState, expires_at: Timestamp) -> Vec<u8> {
    let pages = state.pages.len().min(usize::from(u16::MAX));
    let mut out = head(WITH_PAGES, state, pages, expires_at);
    for p in &state.pages[..pages] {
        out.extend_from_slice(&p.page.0.to_le_bytes());
        out.extend_from_slice(&page_entry(p));
    }
    out
}

/// A page's entry in the pages table.
pub(super) fn page_entry(seen: &PageSeen) -> [u8; PAGE_ENTRY] {
    let mut out = [0; PAGE_ENTRY];
    out[..8].copy_from_slice(&seen.last.as_millisecond().to_le_bytes());
    out[8..].copy_from_slice(&seen.counted_by.to_le_bytes());
    out
}

/// The page `page` from its entry; `None` for an entry this version cannot
/// read, which then counts as a page not seen.
pub(super) fn decode_page(page: PageKey, entry: &[u8]) -> Option<PageSeen> {
    Some(PageSeen {
        page,
        last: instant(i64::from_le_bytes(array(entry, 0)?))?,
        counted_by: u64::from_le_bytes(array(entry, 8)?),
    })
}

fn instant(ms: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms).ok()
}

/// A day from its `yyyymmdd` code.
fn day(code: u32) -> Option<Day> {
    let (y, m, d) = (code / 10_000, code / 100 % 100, code % 100);
    let date = jiff::civil::Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
    Some(Day::new(date))
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at + N)?.try_into().ok()
}

/// When a record may be deleted (ms); `None` if it is not one.
pub(super) fn expiry(record: &[u8]) -> Option<i64> {
    if !matches!(record.first(), Some(&(WITH_PAGES | HEAD_ONLY))) {
        return None;
    }
    Some(i64::from_le_bytes(array(record, 1)?))
}

/// The record; `None` for a record this version cannot read, which then
/// counts as a visitor never seen.
pub(super) fn decode(record: &[u8]) -> Option<Record> {
    expiry(record)?;
    let n = usize::from(u16::from_le_bytes(array(record, HEAD - 2)?));
    let mut state = VisitorState {
        last: instant(i64::from_le_bytes(array(record, 9)?))?,
        visit: VisitId(u64::from_le_bytes(array(record, 17)?)),
        day: day(u32::from_le_bytes(array(record, 25)?))?,
        pages: Vec::new(),
    };
    if record[0] == HEAD_ONLY {
        return (record.len() == HEAD).then_some(Record::HeadOnly { state, pages: n });
    }
    state.pages = (0..n)
        .map(|i| {
            let at = HEAD + i * PAGE;
            let page = PageKey(u64::from_le_bytes(array(record, at)?));
            decode_page(page, record.get(at + 8..at + PAGE)?)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Record::WithPages(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let at = |ms| Timestamp::from_millisecond(ms).unwrap();
        let mut state = VisitorState {
            last: at(1_800_000_000_123),
            visit: VisitId(u64::MAX - 7),
            day: "2026-11-28".parse().unwrap(),
            pages: vec![
                PageSeen {
                    page: PageKey(42),
                    last: at(1_800_000_000_000),
                    counted_by: 9,
                },
                PageSeen {
                    page: PageKey(u64::MAX),
                    last: at(-1),
                    counted_by: 0,
                },
            ],
        };
        let record = encode_with_pages(&state, at(77));
        assert_eq!(record.len(), HEAD + 2 * PAGE);
        assert_eq!(expiry(&record), Some(77));
        assert_eq!(decode(&record), Some(Record::WithPages(state.clone())));
        assert_eq!(decode(&record[..record.len() - 1]), None);
        assert_eq!(decode(b"\x03garbage"), None);

        let record = encode(&state, 300, at(78));
        assert_eq!(record.len(), HEAD);
        assert_eq!(expiry(&record), Some(78));
        let pages = std::mem::take(&mut state.pages);
        assert_eq!(
            decode(&record),
            Some(Record::HeadOnly { state, pages: 300 })
        );
        assert_eq!(decode(&record[..HEAD - 1]), None);
        for seen in pages {
            assert_eq!(decode_page(seen.page, &page_entry(&seen)), Some(seen));
        }
    }
}
