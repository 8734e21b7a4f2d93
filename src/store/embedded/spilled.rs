//! Visitors who have seen many pages, in the embedded store: their record
//! is a head alone (the record's first 31 bytes, marked spilled), and their
//! pages are in [`BUCKETS`] entries beside it in the same table, a page in
//! the bucket its key picks. A hit then reads and writes the head and one
//! bucket, a few hundred bytes, whatever the number of pages remembered,
//! where a record of 500 pages is 12 KiB to copy and write.
//!
//! A visitor spills when a new page takes them past [`INLINE`] pages, and
//! stays spilled until housekeeping deletes the head with its buckets.
//! Records written whole (by earlier releases too) are read as they were.

use std::sync::Arc;

use super::visits::{
    HEAD, PAGE, Partial, decode, encode, find_page, head_state, page_at, page_count, put_head,
    put_page,
};
use crate::ids::PageKey;
use crate::store::StoreError;
use crate::visit::{self, HitFacts, Rules, Verdict, VisitorState};

/// Most pages kept in the record itself (1.5 KiB of them).
pub(super) const INLINE: usize = 64;
/// Buckets of a spilled visitor's pages.
pub(super) const BUCKETS: u8 = 16;
/// The first byte of a spilled visitor's head, and of a bucket.
const SPILLED: u8 = 2;
const BUCKET: u8 = 3;

/// Whether `record` is a spilled visitor's head.
pub(super) fn is_head(record: &[u8]) -> bool {
    record.first() == Some(&SPILLED) && record.len() == HEAD
}

/// The bucket `page` is kept in.
pub(super) fn bucket_of(page: PageKey) -> u8 {
    (page.0 % u64::from(BUCKETS)) as u8
}

/// The table key of bucket `b` of the visitor `key`.
pub(super) fn bucket_key(key: &str, b: u8) -> String {
    format!("{key}\x1fp{b:x}")
}

/// The visitor key of a bucket's table key; `None` for a visitor's key.
pub(super) fn owner(key: &str) -> Option<&str> {
    key.rsplit_once("\x1fp").map(|(owner, _)| owner)
}

/// The pages of a bucket, as bytes after its mark; empty when missing.
fn pages_of(bucket: Option<&[u8]>) -> Option<&[u8]> {
    match bucket {
        None => Some(&[]),
        Some([BUCKET, pages @ ..]) if pages.len() % PAGE == 0 => Some(pages),
        Some(_) => None,
    }
}

/// What a hit writes: the visitor's record (or head), and the buckets it
/// changed.
pub(super) struct Written {
    pub(super) head: Arc<[u8]>,
    pub(super) buckets: Vec<(u8, Arc<[u8]>)>,
}

/// Where a hit reads the visitor entries it needs: the latest decided, or
/// the committed table's.
pub(super) trait Entries {
    fn get(&mut self, key: &str, bucket: Option<u8>) -> Result<Option<Arc<[u8]>>, StoreError>;
}

/// Decides `hit` for the visitor `key` (who may continue `inherit`'s
/// visit) on the entries in `entries`, and says what to write.
pub(super) fn decide(
    entries: &mut impl Entries,
    key: &str,
    inherit: Option<&str>,
    hit: &HitFacts,
    rules: Rules,
) -> Result<(Written, Verdict), StoreError> {
    let own = entries.get(key, None)?;
    let spilled = own.as_deref().is_some_and(is_head);
    // Most hits need the head and the hit's page alone: changed where they
    // lie, not decoded and encoded whole.
    if let (true, Some(head)) = (spilled, own.as_deref()) {
        let b = hit.page.map(bucket_of);
        let bucket = match b {
            Some(b) => entries.get(key, Some(b))?,
            None => None,
        };
        if let Some((state, found_at)) = read_hit(head, bucket.as_deref(), hit.page, rules) {
            let (state, verdict) = visit::touch(Some(state), None, hit, rules);
            let pages = page_count(head).unwrap_or(0)
                + usize::from(found_at.is_none() && !state.pages.is_empty());
            let mut new_head = head.to_vec();
            put_head(&mut new_head, &state, rules, pages);
            let mut buckets = Vec::new();
            if let (Some(p), Some(b)) = (state.pages.first(), b) {
                let mut out = bucket
                    .as_deref()
                    .map_or_else(|| vec![BUCKET], <[u8]>::to_vec);
                let at = found_at.unwrap_or(out.len());
                put_page(&mut out, at, p);
                buckets.push((b, out.into()));
            }
            let head = new_head.into();
            return Ok((Written { head, buckets }, verdict));
        }
    } else if let Some(partial) = own
        .as_deref()
        .and_then(|r| Partial::read(r, hit.page, rules.max_pages.min(INLINE)))
    {
        let (state, verdict) = visit::touch(Some(partial.state.clone()), None, hit, rules);
        let head = partial.write(own.as_deref().unwrap_or_default(), &state, rules);
        let head = head.into();
        return Ok((
            Written {
                head,
                buckets: vec![],
            },
            verdict,
        ));
    }
    let state = whole(entries, key, own.as_deref())?;
    let inherited = match (&state, inherit) {
        (None, Some(other)) => {
            let theirs = entries.get(other, None)?;
            whole(entries, other, theirs.as_deref())?
        }
        _ => None,
    };
    let (state, verdict) = visit::touch(state, inherited, hit, rules);
    Ok((write_whole(&state, rules, spilled), verdict))
}

/// A spilled visitor's state with only the hit's page, and where that page
/// lies in its bucket's bytes; `None` when the hit needs every page (a new
/// page to a full memory) or the entries are not ones this version reads.
fn read_hit(
    head: &[u8],
    bucket: Option<&[u8]>,
    page: Option<PageKey>,
    rules: Rules,
) -> Option<(VisitorState, Option<usize>)> {
    let mut state = head_state(head)?;
    let Some(page) = page else {
        return Some((state, None));
    };
    pages_of(bucket)?;
    let found_at = bucket.and_then(|b| find_page(b, 1, page));
    match found_at {
        Some(at) => state.pages.push(page_at(bucket?, at)?),
        None if page_count(head)? >= rules.max_pages => return None,
        None => {}
    }
    Some((state, found_at))
}

/// The whole state of the visitor `key` whose record is `own`.
fn whole(
    entries: &mut impl Entries,
    key: &str,
    own: Option<&[u8]>,
) -> Result<Option<VisitorState>, StoreError> {
    let Some(head) = own.filter(|r| is_head(r)) else {
        return Ok(own.and_then(decode));
    };
    let Some(mut state) = head_state(head) else {
        return Ok(None);
    };
    for b in 0..BUCKETS {
        let bucket = entries.get(key, Some(b))?;
        let Some(pages) = pages_of(bucket.as_deref()) else {
            return Ok(None);
        };
        for at in (0..pages.len()).step_by(PAGE) {
            match page_at(pages, at) {
                Some(p) => state.pages.push(p),
                None => return Ok(None),
            }
        }
    }
    Ok(Some(state))
}

/// `state` written whole: as a record of its own, or spilled (every
/// bucket rewritten) when it has more than [`INLINE`] pages or was spilled.
fn write_whole(state: &VisitorState, rules: Rules, spilled: bool) -> Written {
    let expires = state.expires_at(rules);
    if !spilled && state.pages.len() <= INLINE {
        let head = encode(state, expires).into();
        return Written {
            head,
            buckets: vec![],
        };
    }
    let mut head = encode(
        &VisitorState {
            pages: Vec::new(),
            ..state.clone()
        },
        expires,
    );
    head[0] = SPILLED;
    put_head(
        &mut head,
        state,
        rules,
        state.pages.len().min(usize::from(u16::MAX)),
    );
    let mut buckets: Vec<Vec<u8>> = (0..BUCKETS).map(|_| vec![BUCKET]).collect();
    for p in &state.pages {
        let out = &mut buckets[usize::from(bucket_of(p.page))];
        let end = out.len();
        put_page(out, end, p);
    }
    let buckets = (0..BUCKETS)
        .zip(buckets.into_iter().map(Arc::from))
        .collect();
    Written {
        head: head.into(),
        buckets,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use jiff::{SignedDuration, Timestamp};

    const RULES: Rules = Rules {
        window: SignedDuration::from_mins(30),
        max_pages: 3,
    };
    const T: i64 = 1_800_000_000_000;
    const W: i64 = 30 * 60_000;

    #[derive(Default, Clone)]
    struct Table(HashMap<String, Arc<[u8]>>);

    impl Entries for Table {
        fn get(&mut self, key: &str, b: Option<u8>) -> Result<Option<Arc<[u8]>>, StoreError> {
            let key = b.map_or_else(|| key.to_owned(), |b| bucket_key(key, b));
            Ok(self.0.get(&key).cloned())
        }
    }

    impl Table {
        fn put(&mut self, key: &str, w: Written) {
            self.0.insert(key.to_owned(), w.head);
            for (b, bytes) in w.buckets {
                self.0.insert(bucket_key(key, b), bytes);
            }
        }

        fn state(&mut self, key: &str) -> Option<VisitorState> {
            let own = self.get(key, None).unwrap();
            let mut state = whole(self, key, own.as_deref()).unwrap()?;
            state.pages.sort_by_key(|p| p.page.0);
            Some(state)
        }
    }

    fn hit(id: u64, ms: i64, page: Option<u64>, day: &str) -> HitFacts {
        HitFacts {
            id,
            at: Timestamp::from_millisecond(T + ms).unwrap(),
            day: day.parse().unwrap(),
            page: page.map(PageKey),
        }
    }

    /// Every hit below, on spilled visitors of 0 to 3 pages: it gives the
    /// verdict and the state the rules give on the whole state.
    #[test]
    fn a_spilled_visitor_is_decided_as_the_whole_state_would_be() {
        let mut checked = 0;
        for n in 0..=3u64 {
            let mut state = None;
            for p in 0..n.max(1) {
                let first = hit(
                    10 + p,
                    p as i64 * 600_000,
                    (n > 0).then_some(p + 1),
                    "2026-11-28",
                );
                state = Some(visit::touch(state, None, &first, RULES).0);
            }
            let state = state.unwrap();
            let mut table = Table::default();
            table.put("v", write_whole(&state, RULES, true));
            assert_eq!(table.0.len(), 1 + usize::from(BUCKETS));
            for page in [None, Some(1), Some(2), Some(9), Some(17)] {
                for h in [
                    hit(1, 1_000, page, "2026-11-28"),
                    hit(2, 2 * W, page, "2026-11-28"),
                    hit(3, 5_000, page, "2026-11-29"),
                    hit(4, -5_000, page, "2026-11-28"),
                    hit(10, 0, page, "2026-11-28"),
                    hit(12, W - 1, page, "2026-11-28"),
                ] {
                    let (mut want, verdict) = visit::touch(Some(state.clone()), None, &h, RULES);
                    want.pages.sort_by_key(|p| p.page.0);
                    let mut after = table.clone();
                    let (written, v) = decide(&mut after, "v", None, &h, RULES).unwrap();
                    assert!(written.buckets.len() <= 1 || n == 3, "{n} pages, {h:?}");
                    after.put("v", written);
                    assert_eq!(v, verdict, "{n} pages, {h:?}");
                    assert_eq!(after.state("v"), Some(want), "{n} pages, {h:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 4 * 5 * 6);
    }

    /// A record past [`INLINE`] pages spills; one written whole before
    /// (by an earlier release, with more) is read, and spills on its next
    /// new page.
    #[test]
    fn a_record_spills_past_its_inline_pages_and_an_old_one_is_read() {
        let rules = Rules {
            max_pages: 512,
            ..RULES
        };
        for before in [INLINE, 300] {
            let mut state = None;
            for p in 0..before as u64 {
                state =
                    Some(visit::touch(state, None, &hit(p + 1, 0, Some(p), "2026-11-28"), rules).0);
            }
            let state = state.unwrap();
            let mut table = Table::default();
            table
                .0
                .insert("v".into(), encode(&state, state.expires_at(rules)).into());
            // A page seen: the record stays as it is, written in place.
            let (w, v) = decide(
                &mut table,
                "v",
                None,
                &hit(900, 5, Some(3), "2026-11-28"),
                rules,
            )
            .unwrap();
            assert!(!v.new_page_view && !is_head(&w.head) && w.buckets.is_empty());
            table.put("v", w);
            // A new page: spilled.
            let (w, v) = decide(
                &mut table,
                "v",
                None,
                &hit(901, 6, Some(9999), "2026-11-28"),
                rules,
            )
            .unwrap();
            assert!(v.new_page_view && is_head(&w.head));
            assert_eq!(w.buckets.len(), usize::from(BUCKETS));
            table.put("v", w);
            let kept = table.state("v").unwrap();
            assert_eq!(kept.pages.len(), before + 1);
            // And then a hit writes the head and one bucket.
            let (w, v) = decide(
                &mut table,
                "v",
                None,
                &hit(902, 7, Some(9999), "2026-11-28"),
                rules,
            )
            .unwrap();
            assert!(!v.new_page_view && !v.new_visit);
            assert_eq!(w.buckets.len(), 1);
        }
    }
}
