//! The `tally` binary: reads its command line and settings, then serves
//! (what `tally` alone does) or runs the one command asked for.

use std::process::ExitCode;
use std::sync::Arc;

use tally::app;
use tally::clock::SystemClock;
use tally::config::{ArgsError, Command, ConfigError, Settings};

mod data;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(ArgsError::Usage(e)) => {
            // Help and the version go to stdout, refusals to stderr.
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
        Err(ArgsError::Setting(e)) => {
            eprintln!("tally: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, ArgsError> {
    Ok(match Command::from_env()? {
        Command::Serve(args) => serve(Settings::from_args(args)?),
        Command::CheckConfig(args) => check_config(Settings::from_args(args)?)?,
        Command::Backup(args) => data::backup(args),
        Command::Restore(args) => {
            let settings = Settings::from_args(args.settings)?;
            data::restore(settings, &args.file, args.merge)
        }
        Command::Check(args) => {
            let settings = Settings::from_args(args.settings)?;
            data::check(settings, &args.file, args.against.as_deref())
        }
        Command::Migrate(args) => {
            let settings = Settings::from_args(args.settings)?;
            data::migrate(settings, &args.from, &args.file)
        }
        Command::MergeSite(args) => {
            let settings = Settings::from_args(args.settings)?;
            let what = match (args.undo, args.confirm, args.from, args.into) {
                (true, _, _, _) => data::Life::Undo,
                (false, confirm, Some(from), Some(into)) => data::Life::Merge {
                    from,
                    into,
                    confirm,
                },
                // clap requires --from and --into without --undo.
                _ => unreachable!("merge-site without --from and --into"),
            };
            data::merge_site(settings, what, args.journal.as_deref())
        }
    })
}

#[tokio::main]
async fn serve(settings: Settings) -> ExitCode {
    tally::telemetry::init(settings.log_format, &settings.log_filter);
    tracing::debug!(?settings, "settings");
    let public = settings.listen;
    let ops = settings.ops_listen;
    let store = settings.store.to_string();
    let stopped = stop_signal();
    let running = match app::start(settings, Arc::new(SystemClock)).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("tally: {e:#}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(%public, %ops, store, "serving");
    stopped.await;
    tracing::info!("shutting down");
    running.stop().await;
    ExitCode::SUCCESS
}

/// Prints the settings; the sites and polls files are read and checked
/// too, as a start reads them.
fn check_config(settings: Settings) -> Result<ExitCode, ArgsError> {
    let sites = tally::sites::load_sites(&settings).map_err(|e| {
        let line = format!("{e:#}");
        let setting = ["TALLY_ADMIN_TOKENS", "TALLY_SITES_FILE"]
            .into_iter()
            .find(|s| line.starts_with(&format!("{s}: ")))
            .unwrap_or("TALLY_SITES_FILE");
        ConfigError {
            setting,
            reason: line.trim_start_matches(&format!("{setting}: ")).to_owned(),
        }
    })?;
    if let Some(path) = &settings.polls_file {
        tally::polls_file::read_polls_file(path, &sites).map_err(|e| ConfigError {
            setting: "TALLY_POLLS_FILE",
            reason: format!("{e:#}")
                .trim_start_matches("TALLY_POLLS_FILE: ")
                .to_owned(),
        })?;
    }
    print!("{}", settings.summary());
    Ok(ExitCode::SUCCESS)
}

/// The signals that stop tally (SIGTERM, Ctrl-C), listened for from the
/// moment this is called: before the listeners open, so a SIGTERM that
/// arrives as soon as tally answers (a rollout's, a test's) drains it
/// instead of killing it.
#[cfg(unix)]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler can be installed");
    let mut interrupt = signal(SignalKind::interrupt()).expect("a SIGINT handler can be installed");
    async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    }
}

#[cfg(not(unix))]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
