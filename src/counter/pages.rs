//! The view counts a replica keeps at hand, so most hits need no store read
//! for their page's count.
//!
//! A page asked for is re-read with the next flush, so its count is at most
//! one flush interval behind other replicas; a page not asked for within a
//! second is forgotten, and the next ask reads it from the store once,
//! however many requests ask for it meanwhile.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use super::Counter;
use crate::ids::PageId;
use crate::store::Batch;

/// A page not asked for in this long is forgotten.
const IDLE: Duration = Duration::from_secs(1);

struct Entry {
    views: u64,
    asked: Instant,
}

pub struct PageCache {
    /// Most pages kept at hand (`TALLY_PAGE_CACHE`).
    most: usize,
    entries: HashMap<PageId, Entry>,
    /// Asked for since the last flush: re-read by the next.
    asked: HashSet<PageId>,
}

impl PageCache {
    pub fn new(most: usize) -> Self {
        Self {
            most,
            entries: HashMap::new(),
            asked: HashSet::new(),
        }
    }

    /// The stored count of `page`, if at hand; notes that it was asked for.
    pub fn get(&mut self, page: &PageId) -> Option<u64> {
        let entry = self.entries.get_mut(page)?;
        entry.asked = Instant::now();
        // Asked again within the interval: noted already, nothing to copy.
        if self.asked.len() < self.most && !self.asked.contains(page) {
            self.asked.insert(page.clone());
        }
        Some(entry.views)
    }

    /// The stored count of `page`, if at hand, as [`PageCache::get`] left
    /// it (a second look within one answer notes nothing).
    pub fn peek(&self, page: &PageId) -> Option<u64> {
        self.entries.get(page).map(|e| e.views)
    }

    /// Whether the store is known to keep `page` (it has views).
    pub fn holds(&self, page: &PageId) -> bool {
        self.entries.get(page).is_some_and(|e| e.views > 0)
    }

    /// Keeps a count just read from the store.
    pub fn insert(&mut self, page: PageId, views: u64) {
        if self.entries.len() >= self.most && !self.entries.contains_key(&page) {
            self.forget_idle();
            if self.entries.len() >= self.most {
                return;
            }
        }
        self.entries.insert(
            page,
            Entry {
                views,
                asked: Instant::now(),
            },
        );
    }

    fn forget_idle(&mut self) {
        self.entries.retain(|_, e| e.asked.elapsed() < IDLE);
    }

    /// The pages the next flush should read back; forgets idle ones.
    pub fn take_asked(&mut self) -> Vec<PageId> {
        self.forget_idle();
        self.asked
            .drain()
            .filter(|p| self.entries.contains_key(p))
            .collect()
    }

    /// Takes the counts a flush read back. Pages it did not read but whose
    /// views were in its batch get the batch's increments, so this replica
    /// always sees its own writes.
    pub fn refreshed(&mut self, pages: &[PageId], views: &[u64], batch: Option<&Batch>) {
        for (page, n) in pages.iter().zip(views) {
            if let Some(entry) = self.entries.get_mut(page) {
                entry.views = *n;
            }
        }
        let Some(batch) = batch else { return };
        for (page, n) in &batch.page_views {
            if !pages.contains(page)
                && let Some(entry) = self.entries.get_mut(page)
            {
                entry.views += n;
            }
        }
    }
}

/// Pages being read from the store, each by one read that every request
/// asking meanwhile waits for.
#[derive(Default)]
pub struct PageReads(Mutex<HashMap<PageId, Arc<OnceCell<u64>>>>);

impl Counter {
    /// Reads a page's count from the store and keeps it at hand; requests
    /// asking for the same page meanwhile share the one read.
    pub(super) async fn read_page(&self, page: &PageId) -> u64 {
        let read = {
            let mut reads = self.page_reads.0.lock();
            Arc::clone(reads.entry(page.clone()).or_default())
        };
        let views = *read
            .get_or_init(|| async {
                let _no_flush = self.flushing.read().await;
                let read = self
                    .store
                    .page_views(&self.site, std::slice::from_ref(page));
                match read.await {
                    Ok(views) => {
                        let n = views.first().copied().unwrap_or(0);
                        self.state().pages.insert(page.clone(), n);
                        n
                    }
                    Err(_) => 0,
                }
            })
            .await;
        let mut reads = self.page_reads.0.lock();
        if reads.get(page).is_some_and(|r| Arc::ptr_eq(r, &read)) {
            reads.remove(page);
        }
        views
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(p: &str) -> PageId {
        PageId::parse(p).unwrap()
    }

    #[test]
    fn asked_pages_are_refreshed_and_own_writes_kept() {
        let mut cache = PageCache::new(1024);
        cache.insert(page("/a"), 5);
        cache.insert(page("/b"), 7);
        assert_eq!(cache.get(&page("/a")), Some(5));
        let refresh = cache.take_asked();
        assert_eq!(refresh, vec![page("/a")]);
        let batch = Batch {
            page_views: vec![(page("/a"), 1), (page("/b"), 2)],
            ..Batch::default()
        };
        cache.refreshed(&refresh, &[9], Some(&batch));
        assert_eq!(cache.get(&page("/a")), Some(9), "read back, batch included");
        assert_eq!(
            cache.get(&page("/b")),
            Some(9),
            "not read back: own increments added"
        );
        assert_eq!(cache.get(&page("/c")), None);
    }
}
