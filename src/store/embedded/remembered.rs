//! What a hit reads of its visitor in the embedded store, and what it
//! changes: the record, and of the pages only the one hit (or, when the
//! visitor's memory is full, every page, to forget the old ones). So a
//! hit costs the same whatever the number of pages its visitor has seen.
//!
//! Decisions not yet written (`decided.rs`) speak before the tables: a
//! visitor's record, and each page decided since its last write.

use std::collections::HashMap;

use redb::{Database, ReadOnlyTable, ReadableDatabase};

use super::tables::{VISITOR_PAGES, VISITORS, err};
use super::visits::{Record, decode, decode_page, page_entry};
use crate::ids::PageKey;
use crate::store::StoreError;
use crate::visit::{PageSeen, VisitorState};

/// A page's entry as decided (`None`: forgotten), and which decision.
#[derive(Debug, Clone, Copy)]
pub(super) struct Unwritten {
    pub(super) seq: u64,
    pub(super) entry: Option<[u8; 16]>,
}

/// A visitor's pages decided and not yet written, by page key.
pub(super) type PendingPages = HashMap<u64, Unwritten>;

/// The committed tables, opened on first use.
pub(super) struct Committed<'a> {
    db: &'a Database,
    tables: Option<Tables>,
}

type Tables = (
    ReadOnlyTable<&'static str, &'static [u8]>,
    ReadOnlyTable<(&'static str, u64), &'static [u8]>,
);

impl<'a> Committed<'a> {
    pub(super) fn new(db: &'a Database) -> Self {
        Self { db, tables: None }
    }

    fn tables(&mut self) -> Result<&Tables, StoreError> {
        if self.tables.is_none() {
            let txn = self.db.begin_read().map_err(err)?;
            let visitors = txn.open_table(VISITORS).map_err(err)?;
            let pages = txn.open_table(VISITOR_PAGES).map_err(err)?;
            self.tables = Some((visitors, pages));
        }
        Ok(self.tables.as_ref().expect("opened above"))
    }

    /// The committed record of `key`.
    pub(super) fn record(&mut self, key: &str) -> Result<Option<Record>, StoreError> {
        let (visitors, _) = self.tables()?;
        Ok(visitors
            .get(key)
            .map_err(err)?
            .and_then(|r| decode(r.value())))
    }

    /// The visitor's latest hit on `page`, if remembered.
    pub(super) fn page(
        &mut self,
        pending: Option<&PendingPages>,
        key: &str,
        page: PageKey,
    ) -> Result<Option<PageSeen>, StoreError> {
        if let Some(decided) = pending.and_then(|p| p.get(&page.0)) {
            return Ok(decided.entry.and_then(|e| decode_page(page, &e)));
        }
        let (_, pages) = self.tables()?;
        Ok(pages
            .get((key, page.0))
            .map_err(err)?
            .and_then(|e| decode_page(page, e.value())))
    }

    /// Every page the visitor remembers.
    pub(super) fn all_pages(
        &mut self,
        pending: Option<&PendingPages>,
        key: &str,
    ) -> Result<Vec<PageSeen>, StoreError> {
        let (_, table) = self.tables()?;
        let mut pages = HashMap::new();
        for entry in table.range((key, 0)..=(key, u64::MAX)).map_err(err)? {
            let (k, v) = entry.map_err(err)?;
            let page = PageKey(k.value().1);
            if let Some(seen) = decode_page(page, v.value()) {
                pages.insert(page.0, seen);
            }
        }
        for (&page, decided) in pending.into_iter().flatten() {
            match decided.entry.and_then(|e| decode_page(PageKey(page), &e)) {
                Some(seen) => pages.insert(page, seen),
                None => pages.remove(&page),
            };
        }
        let mut pages: Vec<_> = pages.into_values().collect();
        pages.sort_by_key(|p| p.page.0);
        Ok(pages)
    }
}

/// A visitor's state with every page in it, from its record.
pub(super) fn whole(
    committed: &mut Committed<'_>,
    pending: Option<&PendingPages>,
    key: &str,
    record: Record,
) -> Result<VisitorState, StoreError> {
    Ok(match record {
        Record::WithPages(state) => state,
        Record::HeadOnly { mut state, .. } => {
            state.pages = committed.all_pages(pending, key)?;
            state
        }
    })
}

/// The page entries to write to go from the pages read (`before`) to the
/// pages as the rules left them (`after`): `None` deletes one.
pub(super) fn changes(before: &[PageSeen], after: &[PageSeen]) -> Vec<(PageKey, Option<[u8; 16]>)> {
    let was: HashMap<u64, &PageSeen> = before.iter().map(|p| (p.page.0, p)).collect();
    let mut out: Vec<_> = after
        .iter()
        .filter(|p| was.get(&p.page.0) != Some(p))
        .map(|p| (p.page, Some(page_entry(p))))
        .collect();
    let kept: std::collections::HashSet<u64> = after.iter().map(|p| p.page.0).collect();
    out.extend(
        before
            .iter()
            .filter(|p| !kept.contains(&p.page.0))
            .map(|p| (p.page, None)),
    );
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use jiff::{SignedDuration, Timestamp};
    use redb::ReadableTableMetadata;

    use super::super::current::Current;
    use super::super::decided::{Decided, Write};
    use super::super::maintain::Cursors;
    use super::super::visits::encode_with_pages;
    use super::*;
    use crate::ids::{PageKey, VisitId, VisitorKey};
    use crate::store::{Touch, TouchOutcome};

    const AT: i64 = 1_796_400_000_000;
    const WINDOW_MS: i64 = 30 * 60_000;

    fn hit(id: u64, at_ms: i64, page: u64, max_pages: u32) -> Touch {
        Touch {
            visitor: VisitorKey::from_address_hash([7; 16]),
            inherit: None,
            page: Some(PageKey(page)),
            at: Timestamp::from_millisecond(at_ms).unwrap(),
            day: "2026-12-04".parse().unwrap(),
            window: SignedDuration::from_mins(30),
            max_pages,
            id,
        }
    }

    struct Store {
        _dir: tempfile::TempDir,
        db: Arc<Database>,
        decided: Arc<Decided>,
        jobs: Vec<Write>,
    }

    impl Store {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let db = Arc::new(Database::create(dir.path().join("t.redb")).unwrap());
            super::super::tables::create_all(&db).unwrap();
            Self {
                _dir: dir,
                db,
                decided: Arc::new(Decided::default()),
                jobs: Vec::new(),
            }
        }

        async fn hit(&mut self, t: &Touch) -> TouchOutcome {
            let current = Current::new(Arc::clone(&self.db));
            let jobs = &mut self.jobs;
            self.decided
                .touch(&current, "v", None, t, |job| {
                    jobs.push(job);
                    Ok(())
                })
                .await
                .unwrap()
        }

        /// Runs the write jobs waiting.
        fn write(&mut self) {
            let txn = self.db.begin_write().unwrap();
            for job in &mut self.jobs {
                job.put(&txn).unwrap();
            }
            txn.commit().unwrap();
            self.jobs.clear();
        }

        /// The committed record and page entries of "v".
        fn committed(&self) -> (Option<Record>, Vec<u64>) {
            let mut committed = Committed::new(&self.db);
            let record = committed.record("v").unwrap();
            let pages = committed.all_pages(None, "v").unwrap();
            (record, pages.iter().map(|p| p.page.0).collect())
        }
    }

    #[tokio::test]
    async fn a_record_with_its_pages_in_it_is_read_and_its_pages_move_to_the_table() {
        let mut store = Store::new();
        let at = |ms| Timestamp::from_millisecond(ms).unwrap();
        let state = VisitorState {
            last: at(AT),
            visit: VisitId(9),
            day: "2026-12-04".parse().unwrap(),
            pages: (1..=3)
                .map(|p| PageSeen {
                    page: PageKey(p),
                    last: at(AT - 10 + p as i64),
                    counted_by: 100 + p,
                })
                .collect(),
        };
        let txn = store.db.begin_write().unwrap();
        txn.open_table(VISITORS)
            .unwrap()
            .insert(
                "v",
                encode_with_pages(&state, at(AT + WINDOW_MS)).as_slice(),
            )
            .unwrap();
        txn.commit().unwrap();

        let reload = store.hit(&hit(1, AT + 1_000, 2, 512)).await;
        assert!(!reload.new_visit && !reload.new_page_view);
        assert_eq!(reload.visit, VisitId(9));
        let new_page = store.hit(&hit(2, AT + 2_000, 7, 512)).await;
        assert!(!new_page.new_visit && new_page.new_page_view);
        store.write();
        let (record, pages) = store.committed();
        let Some(Record::HeadOnly { state, pages: n }) = record else {
            panic!("not rewritten without pages: {record:?}")
        };
        assert_eq!((state.visit, n), (VisitId(9), 4));
        assert_eq!(pages, [1, 2, 3, 7]);
        // Read back from the table: the pages are still remembered.
        let again = store.hit(&hit(3, AT + 3_000, 3, 512)).await;
        assert!(!again.new_visit && !again.new_page_view);
    }

    #[tokio::test]
    async fn a_full_memory_forgets_old_pages_in_the_table_and_expiry_takes_the_rest() {
        let mut store = Store::new();
        for page in 1..=3 {
            assert!(
                store
                    .hit(&hit(page, AT + page as i64, page, 3))
                    .await
                    .new_page_view
            );
        }
        store.write();
        let capped = store.hit(&hit(9, AT + 10, 99, 3)).await;
        assert!(capped.capped && !capped.new_page_view);
        // Page 1 hit again keeps it in the window; 2 and 3 leave it.
        assert!(!store.hit(&hit(10, AT + 20, 1, 3)).await.new_page_view);
        store.write();
        let later = store.hit(&hit(11, AT + 5 + WINDOW_MS, 99, 3)).await;
        assert!(later.new_page_view && !later.capped && !later.new_visit);
        store.write();
        let (record, pages) = store.committed();
        assert!(matches!(record, Some(Record::HeadOnly { pages: 2, .. })));
        assert_eq!(pages, [1, 99]);

        // Housekeeping past the record's expiry deletes its pages too.
        let txn = store.db.begin_write().unwrap();
        Cursors::default()
            .step(
                &txn,
                Timestamp::from_millisecond(AT + 10 * WINDOW_MS).unwrap(),
            )
            .unwrap();
        txn.commit().unwrap();
        let read = store.db.begin_read().unwrap();
        assert!(read.open_table(VISITORS).unwrap().is_empty().unwrap());
        assert!(read.open_table(VISITOR_PAGES).unwrap().is_empty().unwrap());
    }
}
