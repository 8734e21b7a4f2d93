//! Time-boxes every store call and measures it: a store that hangs becomes
//! an error after `TALLY_STORE_TIMEOUT` (an import after
//! [`IMPORT_DEADLINE`], if longer), and each operation's latency and
//! failures reach the metrics. Its `Store` implementation is written once,
//! for every operation, where the operations are stated (`store/mod.rs`).
//! No call reads or writes before the store's schema stamp is settled
//! ([`super::schema`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use prometheus::Histogram;

use super::{ARCHIVE_DEADLINE, IMPORT_DEADLINE, Store, StoreError};
use crate::metrics::Metrics;

/// A store whose every call has a deadline and a measurement.
pub struct TimedStore {
    inner: Arc<dyn Store>,
    timeout: Duration,
    metrics: Arc<Metrics>,
    /// Each operation's latency series, looked up once.
    durations: Vec<(&'static str, Histogram)>,
    /// Whether the store's schema stamp is settled.
    settled: AtomicBool,
}

impl TimedStore {
    pub fn new(inner: Arc<dyn Store>, timeout: Duration, metrics: Arc<Metrics>) -> Self {
        // Every operation's error series exists from the start, so rates
        // and alerts over it read 0 instead of "no data".
        for operation in super::OPERATIONS {
            metrics.store_errors.with_label_values(&[operation]);
        }
        let durations = super::OPERATIONS
            .iter()
            .map(|op| (*op, metrics.store_duration.with_label_values(&[op])))
            .collect();
        Self {
            inner,
            timeout,
            metrics,
            durations,
            settled: AtomicBool::new(false),
        }
    }

    /// Settles the store's schema stamp before the first call that reads or
    /// writes (a store that did not answer at start is settled by the first
    /// call after it does). Until then every such call fails as the store
    /// would, and on a store written by a newer tally, every one fails.
    async fn settled(&self, operation: &str) -> Result<(), StoreError> {
        if matches!(operation, "ping" | "settle_schema") || self.settled.load(Ordering::Acquire) {
            return Ok(());
        }
        self.inner.settle_schema().await?;
        self.settled.store(true, Ordering::Release);
        Ok(())
    }

    pub(super) fn inner(&self) -> &dyn Store {
        self.inner.as_ref()
    }

    /// The deadline of `operation`: the store timeout, or for an import
    /// (an editor's rare operation carrying up to a century of days) the
    /// longer [`IMPORT_DEADLINE`], for an export or a restore's batch
    /// [`ARCHIVE_DEADLINE`].
    fn deadline(&self, operation: &str) -> Duration {
        if operation == "import_visits" {
            self.timeout.max(IMPORT_DEADLINE)
        } else if matches!(operation, "export" | "restore" | "withdraw" | "forget_site") {
            self.timeout.max(ARCHIVE_DEADLINE)
        } else {
            self.timeout
        }
    }

    /// Runs `call` (the store operation `operation`) under its deadline,
    /// and measures it.
    pub(super) async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let deadline = self.deadline(operation);
        let gated = async {
            self.settled(operation).await?;
            call.await
        };
        let result = match tokio::time::timeout(deadline, gated).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(format!(
                "{operation} took longer than {deadline:?}"
            ))),
        };
        let seconds = started.elapsed().as_secs_f64();
        match self.durations.iter().find(|(op, _)| *op == operation) {
            Some((_, histogram)) => histogram.observe(seconds),
            None => self
                .metrics
                .store_duration
                .with_label_values(&[operation])
                .observe(seconds),
        }
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
