//! Time-boxes every store call and measures it: a store that hangs becomes
//! an error after `TALLY_STORE_TIMEOUT`, and each operation's latency and
//! failures reach the metrics.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    Ballot, Batch, CounterQuery, CounterSnapshot, PollState, PutPoll, Store, StoreError, Touch,
    TouchOutcome, Verdict,
};
use crate::ids::{PageId, PollId, SiteId, VisitorKey};
use crate::metrics::Metrics;
use crate::poll::Poll;

/// A store whose every call has a deadline and a measurement.
pub struct TimedStore {
    inner: Arc<dyn Store>,
    timeout: Duration,
    metrics: Arc<Metrics>,
}

impl TimedStore {
    pub fn new(inner: Arc<dyn Store>, timeout: Duration, metrics: Arc<Metrics>) -> Self {
        Self {
            inner,
            timeout,
            metrics,
        }
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(format!(
                "{operation} took longer than {:?}",
                self.timeout
            ))),
        };
        self.metrics
            .store_duration
            .with_label_values(&[operation])
            .observe(started.elapsed().as_secs_f64());
        match &result {
            Ok(_) => self.metrics.store_up.set(1),
            Err(e) => {
                self.metrics
                    .store_errors
                    .with_label_values(&[operation])
                    .inc();
                if matches!(e, StoreError::Unavailable(_) | StoreError::Credentials(_)) {
                    self.metrics.store_up.set(0);
                }
            }
        }
        result
    }
}

#[async_trait]
impl Store for TimedStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.timed("ping", self.inner.ping()).await
    }

    async fn touch(&self, site: &SiteId, touch: &Touch) -> Result<TouchOutcome, StoreError> {
        self.timed("touch", self.inner.touch(site, touch)).await
    }

    async fn apply(
        &self,
        site: &SiteId,
        batch: Option<&Batch>,
        query: &CounterQuery,
        max_pages: u64,
    ) -> Result<CounterSnapshot, StoreError> {
        let operation = if batch.is_some() { "apply" } else { "read" };
        self.timed(operation, self.inner.apply(site, batch, query, max_pages))
            .await
    }

    async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Result<Vec<u64>, StoreError> {
        self.timed("page_views", self.inner.page_views(site, pages))
            .await
    }

    async fn set_baseline(&self, site: &SiteId, baseline: u64) -> Result<(), StoreError> {
        self.timed("set_baseline", self.inner.set_baseline(site, baseline))
            .await
    }

    async fn daily_key(
        &self,
        site: &SiteId,
        day: &str,
        candidate: [u8; 32],
        lifetime: Duration,
    ) -> Result<[u8; 32], StoreError> {
        self.timed(
            "daily_key",
            self.inner.daily_key(site, day, candidate, lifetime),
        )
        .await
    }

    async fn put_poll(
        &self,
        site: &SiteId,
        poll: &Poll,
        force: bool,
    ) -> Result<PutPoll, StoreError> {
        self.timed("put_poll", self.inner.put_poll(site, poll, force))
            .await
    }

    async fn list_polls(&self, site: &SiteId) -> Result<Vec<Poll>, StoreError> {
        self.timed("list_polls", self.inner.list_polls(site)).await
    }

    async fn poll_state(
        &self,
        site: &SiteId,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        self.timed("poll_state", self.inner.poll_state(site, poll, visitor))
            .await
    }

    async fn cast(
        &self,
        site: &SiteId,
        ballot: &Ballot,
    ) -> Result<Option<(Verdict, PollState)>, StoreError> {
        self.timed("cast", self.inner.cast(site, ballot)).await
    }

    async fn retract(&self, site: &SiteId, ballot: &Ballot) -> Result<bool, StoreError> {
        self.timed("retract", self.inner.retract(site, ballot))
            .await
    }

    async fn maintain(&self, now_ms: i64) -> Result<(), StoreError> {
        self.timed("maintain", self.inner.maintain(now_ms)).await
    }

    async fn sync(&self) -> Result<(), StoreError> {
        self.timed("sync", self.inner.sync()).await
    }
}
