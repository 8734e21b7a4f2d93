//! The `tally` binary: settings, logs, then run until SIGTERM or SIGINT.

use std::process::ExitCode;
use std::sync::Arc;

use tally::app;
use tally::clock::SystemClock;
use tally::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("tally: {e}");
            return ExitCode::from(2);
        }
    };
    tally::telemetry::init(settings.log_format);
    tracing::debug!(?settings, "settings");
    let public = settings.listen;
    let ops = settings.ops_listen;
    let store = settings.store.to_string();
    let running = match app::start(settings, Arc::new(SystemClock)).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("tally: {e:#}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(%public, %ops, store, "serving");
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
