//! A listener's request metrics, one handle per route, method and status
//! class, looked up once: a Prometheus label look-up hashes its label
//! strings, which a request should not pay for. A handle is made the first
//! time its series is used, so `/metrics` shows only series that occurred.

use std::sync::OnceLock;

use prometheus::{Histogram, IntCounter};

use crate::metrics::{Metrics, method_label, status_class};

/// The method labels, in the order of [`method_index`].
const METHODS: usize = 8;
/// The status classes 1xx to 5xx.
const CLASSES: usize = 5;

/// The handles of one listener's routes.
pub struct RouteMeters {
    listener: &'static str,
    /// The templates by index; the last is the unmatched one.
    templates: Vec<&'static str>,
    requests: Vec<OnceLock<IntCounter>>,
    durations: Vec<OnceLock<Histogram>>,
}

impl RouteMeters {
    /// Meters for `listener`'s routes, named by `templates` (in table order).
    pub fn new(listener: &'static str, templates: impl Iterator<Item = &'static str>) -> Self {
        let mut templates: Vec<_> = templates.collect();
        templates.push("unmatched");
        Self {
            listener,
            requests: cells(templates.len() * METHODS * CLASSES),
            durations: cells(templates.len() * METHODS),
            templates,
        }
    }

    /// Counts one request to the route at `index` (the table's; none:
    /// unmatched) and observes how long it took.
    pub fn record(
        &self,
        metrics: &Metrics,
        index: Option<usize>,
        method: &http::Method,
        status: u16,
        seconds: f64,
    ) {
        let route = index
            .filter(|i| *i < self.templates.len() - 1)
            .unwrap_or(self.templates.len() - 1);
        let template = self.templates[route];
        let m = method_index(method);
        let class = usize::from(status.clamp(100, 599) / 100 - 1);
        let (method, status) = (method_label(method), status_class(status));
        self.requests[(route * METHODS + m) * CLASSES + class]
            .get_or_init(|| {
                metrics
                    .http_requests
                    .with_label_values(&[self.listener, template, method, status])
            })
            .inc();
        self.durations[route * METHODS + m]
            .get_or_init(|| {
                metrics
                    .http_duration
                    .with_label_values(&[self.listener, template, method])
            })
            .observe(seconds);
    }
}

fn cells<T>(n: usize) -> Vec<OnceLock<T>> {
    (0..n).map(|_| OnceLock::new()).collect()
}

/// The position of `method`'s label among the [`METHODS`] labels.
fn method_index(method: &http::Method) -> usize {
    match *method {
        http::Method::GET => 0,
        http::Method::HEAD => 1,
        http::Method::POST => 2,
        http::Method::PUT => 3,
        http::Method::DELETE => 4,
        http::Method::OPTIONS => 5,
        http::Method::PATCH => 6,
        _ => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_series_is_its_own() {
        let metrics = Metrics::new("embedded");
        let meters = RouteMeters::new("public", ["/a", "/b"].into_iter());
        meters.record(&metrics, Some(1), &http::Method::GET, 200, 0.001);
        meters.record(&metrics, Some(1), &http::Method::GET, 204, 0.001);
        meters.record(&metrics, None, &http::Method::POST, 404, 0.001);
        let get = |labels: &[&str]| metrics.http_requests.with_label_values(labels).get();
        assert_eq!(get(&["public", "/b", "GET", "2xx"]), 2);
        assert_eq!(get(&["public", "unmatched", "POST", "4xx"]), 1);
        assert_eq!(get(&["public", "/a", "GET", "2xx"]), 0);
    }
}
