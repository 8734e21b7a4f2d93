//! Visitors in the embedded store: one record per visitor, as bytes. The
//! rules of [`crate::visit`] are applied to it as hits arrive, and it is
//! written behind them (`decided.rs`).
//!
//! A record is a few dozen bytes plus 24 per remembered page (at most
//! `max_pages`), and carries its own expiry, so housekeeping can drop it
//! without decoding the rest.

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

const VERSION: u8 = 1;
const HEAD: usize = 1 + 8 + 8 + 8 + 4 + 2;
const PAGE: usize = 8 + 8 + 8;

/// The record of `state`, which may be deleted after `expires_at`.
pub(super) fn encode(state: &VisitorState, expires_at: Timestamp) -> Vec<u8> {
    let pages = state.pages.len().min(usize::from(u16::MAX));
    let mut out = Vec::with_capacity(HEAD + PAGE * pages);
    out.push(VERSION);
    out.extend_from_slice(&expires_at.as_millisecond().to_le_bytes());
    out.extend_from_slice(&state.last.as_millisecond().to_le_bytes());
    out.extend_from_slice(&state.visit.0.to_le_bytes());
    out.extend_from_slice(&state.day.code().to_le_bytes());
    out.extend_from_slice(&(pages as u16).to_le_bytes());
    for p in &state.pages[..pages] {
        out.extend_from_slice(&p.page.0.to_le_bytes());
        out.extend_from_slice(&p.last.as_millisecond().to_le_bytes());
        out.extend_from_slice(&p.counted_by.to_le_bytes());
    }
    out
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
    if record.first() != Some(&VERSION) {
        return None;
    }
    Some(i64::from_le_bytes(array(record, 1)?))
}

/// The state in a record; `None` for a record this version cannot read,
/// which then counts as a visitor never seen.
pub(super) fn decode(record: &[u8]) -> Option<VisitorState> {
    expiry(record)?;
    let n = usize::from(u16::from_le_bytes(array(record, HEAD - 2)?));
    let pages = (0..n)
        .map(|i| {
            let at = HEAD + i * PAGE;
            Some(PageSeen {
                page: PageKey(u64::from_le_bytes(array(record, at)?)),
                last: instant(i64::from_le_bytes(array(record, at + 8)?))?,
                counted_by: u64::from_le_bytes(array(record, at + 16)?),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(VisitorState {
        last: instant(i64::from_le_bytes(array(record, 9)?))?,
        visit: VisitId(u64::from_le_bytes(array(record, 17)?)),
        day: day(u32::from_le_bytes(array(record, 25)?))?,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let at = |ms| Timestamp::from_millisecond(ms).unwrap();
        let state = VisitorState {
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
        let record = encode(&state, at(77));
        assert_eq!(record.len(), HEAD + 2 * PAGE);
        assert_eq!(expiry(&record), Some(77));
        assert_eq!(decode(&record), Some(state));
        assert_eq!(decode(&record[..record.len() - 1]), None);
        assert_eq!(decode(b"\x02garbage"), None);
    }
}
