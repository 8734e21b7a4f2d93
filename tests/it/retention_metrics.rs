//! The retention sweep's metrics, over the running app with its clock moved
//! by hand and a real Redis: what a sweep deleted, by kind; when the last
//! one succeeded (the start until then); and a sweep that failed because
//! the store was down, counted without moving the last success.

use jiff::SignedDuration;

use crate::support::{Backend, Home, TestApp, noon};

/// One sample of `/metrics` by its name and labels (NaN when absent).
async fn sample(app: &TestApp, series: &str) -> f64 {
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(f64::NAN)
}

const AUDIT: &str = r#"tally_retention_deleted_total{kind="audit_entries"}"#;
const VOTERS: &str = r#"tally_retention_deleted_total{kind="voter_records"}"#;
const LAST: &str = "tally_retention_last_success_timestamp_seconds";
const FAILURES: &str = "tally_retention_sweep_failures_total";

#[tokio::test]
async fn the_sweep_is_counted_and_its_failures_too() {
    let mut home = Home::open(Backend::Redis).await;
    let app = TestApp::start(&home, |s| {
        crate::retention_visits::settings(s);
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
        s.audit_days = 10;
    })
    .await;
    let retention = &app.running.as_ref().unwrap().app.retention;
    // Before any sweep: every kind at 0, the start as the last success.
    assert_eq!(sample(&app, AUDIT).await, 0.0);
    assert_eq!(sample(&app, VOTERS).await, 0.0);
    assert_eq!(sample(&app, FAILURES).await, 0.0);
    assert_eq!(sample(&app, LAST).await, noon().as_second() as f64);

    // Ten days and a minute later the polls file's audit entries go.
    let later = noon() + SignedDuration::from_hours(240) + SignedDuration::from_mins(1);
    app.clock.set(later);
    let swept = retention.sweep().await.unwrap();
    assert!(swept.audit_entries > 0);
    assert_eq!(sample(&app, AUDIT).await, swept.audit_entries as f64);
    assert_eq!(sample(&app, VOTERS).await, 0.0);
    assert_eq!(sample(&app, LAST).await, later.as_second() as f64);
    assert_eq!(sample(&app, FAILURES).await, 0.0);

    // The store down: the sweep fails, is counted, and the last success
    // stays where it was.
    let Home::Redis(server) = &mut home else {
        unreachable!()
    };
    server.kill();
    app.clock.advance(SignedDuration::from_hours(1));
    assert!(retention.sweep().await.is_err());
    assert_eq!(sample(&app, FAILURES).await, 1.0);
    assert_eq!(sample(&app, LAST).await, later.as_second() as f64);
    assert_eq!(sample(&app, AUDIT).await, swept.audit_entries as f64);
    app.stop().await;
}
