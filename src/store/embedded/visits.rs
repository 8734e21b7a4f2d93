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
use crate::visit::{PageSeen, Rules, VisitorState};

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
                |write, hurry| match write {
                    Some(mut write) => {
                        let run = move |txn: &WriteTransaction| -> Result<Deliver, redb::Error> {
                            write.put(txn)?;
                            Ok(Box::new(move |_| drop(write)))
                        };
                        self.writer.queue_behind(Box::new(run), hurry)
                    }
                    None => self.writer.hurry_behind(),
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

/// A record read for one hit: its head, and of its pages only the hit's
/// (where it lies in the record), so a hit of a visitor who has seen
/// hundreds of pages decodes and encodes one. The rules decide on that
/// page alone exactly as on every page: a page seen is never capped, and a
/// new page to a memory not full is remembered; a new page to a full
/// memory, which may forget old ones, needs the whole record.
pub(super) struct Partial {
    /// The record's state with only the hit's page, if remembered.
    pub(super) state: VisitorState,
    pages: usize,
    /// Where the hit's page lies in the record.
    found_at: Option<usize>,
}

impl Partial {
    /// `None` when the hit needs the whole record (or the record is not
    /// one this version reads in part).
    pub(super) fn read(record: &[u8], page: Option<PageKey>, max_pages: usize) -> Option<Self> {
        expiry(record)?;
        let pages = usize::from(u16::from_le_bytes(array(record, HEAD - 2)?));
        if record.len() != HEAD + pages * PAGE {
            return None;
        }
        let mut state = VisitorState {
            last: instant(i64::from_le_bytes(array(record, 9)?))?,
            visit: VisitId(u64::from_le_bytes(array(record, 17)?)),
            day: day(u32::from_le_bytes(array(record, 25)?))?,
            pages: Vec::new(),
        };
        let mut found_at = None;
        if let Some(page) = page {
            // Compared as numbers: a slice comparison calls `memcmp` for
            // each of up to `max_pages` pages.
            found_at = record[HEAD..]
                .chunks_exact(PAGE)
                .position(|p| p.first_chunk().map(|k| u64::from_le_bytes(*k)) == Some(page.0))
                .map(|i| HEAD + i * PAGE);
            match found_at {
                Some(at) => state.pages.push(PageSeen {
                    page,
                    last: instant(i64::from_le_bytes(array(record, at + 8)?))?,
                    counted_by: u64::from_le_bytes(array(record, at + 16)?),
                }),
                None if pages >= max_pages => return None,
                None => {}
            }
        }
        Some(Self {
            state,
            pages,
            found_at,
        })
    }

    /// Changes `record` (the one read) where it lies to what the rules
    /// left in `state`: its head rewritten, and its page changed in place
    /// or added at the end. Nothing else of the record is copied, so a hit
    /// costs the same whatever the number of pages it holds.
    pub(super) fn write(&self, record: &mut Vec<u8>, state: &VisitorState, rules: Rules) {
        let added = usize::from(self.found_at.is_none() && !state.pages.is_empty());
        let pages = self.pages + added;
        record[1..9].copy_from_slice(&state.expires_at(rules).as_millisecond().to_le_bytes());
        record[9..17].copy_from_slice(&state.last.as_millisecond().to_le_bytes());
        record[17..25].copy_from_slice(&state.visit.0.to_le_bytes());
        record[25..29].copy_from_slice(&state.day.code().to_le_bytes());
        record[29..31].copy_from_slice(&(pages as u16).to_le_bytes());
        if let Some(p) = state.pages.first() {
            let at = self.found_at.unwrap_or(HEAD + PAGE * self.pages);
            // Grown by one page exactly, not doubled: up to 4 096 records
            // wait in memory to be written.
            record.reserve_exact((at + PAGE).saturating_sub(record.len()));
            record.resize(record.len().max(at + PAGE), 0);
            record[at..at + 8].copy_from_slice(&p.page.0.to_le_bytes());
            record[at + 8..at + 16].copy_from_slice(&p.last.as_millisecond().to_le_bytes());
            record[at + 16..at + 24].copy_from_slice(&p.counted_by.to_le_bytes());
        }
    }
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

#[cfg(test)]
mod partial {
    use super::*;
    use crate::visit::{self, HitFacts};
    use jiff::SignedDuration;

    const RULES: Rules = Rules {
        window: SignedDuration::from_mins(30),
        max_pages: 3,
    };
    const T: i64 = 1_800_000_000_000;
    const W: i64 = 30 * 60_000;

    fn hit(id: u64, ms: i64, page: Option<u64>, day: &str) -> HitFacts {
        HitFacts {
            id,
            at: Timestamp::from_millisecond(T + ms).unwrap(),
            day: day.parse().unwrap(),
            page: page.map(PageKey),
        }
    }

    /// Every hit below, on records of 0 to 3 pages: decided on the record
    /// read in part, it gives the verdict and the bytes the whole record
    /// gives.
    #[test]
    fn a_hit_decided_on_its_page_alone_writes_what_the_whole_record_would() {
        let hits = |page| {
            [
                hit(1, 1_000, page, "2026-11-28"),
                hit(2, 2 * W, page, "2026-11-28"),
                hit(3, 5_000, page, "2026-11-29"),
                hit(4, -5_000, page, "2026-11-28"),
                hit(10, 0, page, "2026-11-28"),
                hit(12, W - 1, page, "2026-11-28"),
            ]
        };
        let mut checked = 0;
        for n in 0..=3u64 {
            let mut state = None;
            for p in 0..n {
                let first = hit(10 + p, p as i64 * 600_000, Some(p + 1), "2026-11-28");
                state = Some(visit::touch(state, None, &first, RULES).0);
            }
            let Some(state) = state else { continue };
            let record = encode(&state, state.expires_at(RULES));
            for page in [None, Some(1), Some(2), Some(9)] {
                for h in hits(page) {
                    let (whole, verdict) = visit::touch(decode(&record), None, &h, RULES);
                    let whole = encode(&whole, whole.expires_at(RULES));
                    match Partial::read(&record, h.page, RULES.max_pages) {
                        Some(partial) => {
                            let (s, v) = visit::touch(Some(partial.state.clone()), None, &h, RULES);
                            assert_eq!(v, verdict, "{n} pages, {h:?}");
                            let mut written = record.clone();
                            partial.write(&mut written, &s, RULES);
                            assert_eq!(written, whole, "{n} pages, {h:?}");
                            checked += 1;
                        }
                        None => assert!(n == 3 && h.page == Some(PageKey(9)), "{n} pages, {h:?}"),
                    }
                }
            }
        }
        assert!(checked > 50);
    }
}
