//! Time-boxes every store call and measures it: a store that hangs becomes
//! an error after `TALLY_STORE_TIMEOUT` (an import after
//! [`IMPORT_DEADLINE`], if longer), and each operation's latency and
//! failures reach the metrics. Its `Store` implementation is written once,
//! for every operation, where the operations are stated (`store/mod.rs`).

use std::future::Future;
use std::sync::Arc;
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
        }
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
        } else if matches!(operation, "export" | "restore") {
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
        let result = match tokio::time::timeout(deadline, call).await {
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
