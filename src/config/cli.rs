//! The command line, `tally [COMMAND] [--SETTING VALUE]...`: what to do,
//! with which settings. Each setting is also its `TALLY_` variable; a flag
//! given on the line wins over its variable.

use std::ffi::{OsStr, OsString};
use std::sync::LazyLock;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use super::{ConfigError, SettingsArgs};

/// What the binary is asked to do. Each command carries the arguments it
/// reads: commands on the data (backup, restore, migrate, check) join as
/// variants with `SettingsArgs` flattened beside their own.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the counter and the polls until SIGTERM or SIGINT (what `tally` alone does)
    Serve(SettingsArgs),
    /// Check the settings as a start would, without opening the store or binding; print them, secrets hidden
    CheckConfig(SettingsArgs),
    /// Download a running tally's whole state (its ops listener's /admin/backup) into a file, checked whole before it is kept
    Backup(BackupArgs),
    /// Read an export into the store the settings name, which must be empty (--merge: or share nothing counted twice)
    Restore(RestoreArgs),
    /// Compare the store the settings name with an export (or two exports) count for count; exit 1 on any difference
    Check(CheckArgs),
    /// Move a running deployment into the (empty) store the settings name: backup into --file, restore, check
    Migrate(MigrateArgs),
    /// Add one site's stored counts into another's (a rename: into a new id, the old one its alias), kept in a journal; --undo takes it back, --confirm deletes the merged site's data
    #[command(alias = "rename-site")]
    MergeSite(MergeSiteArgs),
}

/// `tally backup`'s arguments.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The running tally's ops listener
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The file to write (gzip'd JSON Lines); written beside as FILE.partial, renamed once whole
    #[arg(long, value_name = "FILE", required_unless_present = "out_dir")]
    pub out: Option<std::path::PathBuf>,
    /// Instead of --out: a directory, the file named from the export's cut (tally-2026-12-06T020000Z.jsonl.gz)
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub out_dir: Option<std::path::PathBuf>,
    /// With --out-dir: once the new file is whole, keep only the newest N backups there (others are left alone)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// The admin token; give it in the environment
    #[arg(
        long,
        env = "TALLY_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: String,
}

/// `tally restore`'s arguments.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The export to read
    #[arg(long, value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// Add into a store that is not empty, refused if anything would be counted twice
    #[arg(long)]
    pub merge: bool,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// `tally migrate`'s arguments: the source's admin token is the settings'
/// `TALLY_ADMIN_TOKEN`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The running tally's ops listener
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// Where the export is kept (gzip'd JSON Lines)
    #[arg(long, value_name = "FILE")]
    pub file: std::path::PathBuf,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// `tally merge-site`'s arguments.
#[derive(Debug, clap::Args)]
pub struct MergeSiteArgs {
    /// The site merged: a site of the sites file, or an alias of --into
    #[arg(long, value_name = "SITE", required_unless_present = "undo")]
    pub from: Option<String>,
    /// The site it is merged into, a site of the sites file
    #[arg(long, value_name = "SITE", required_unless_present = "undo")]
    pub into: Option<String>,
    /// The merge's journal (an export of what it wrote); by default under TALLY_DATA_DIR/merges/
    #[arg(long, value_name = "FILE", required_if_eq("undo", "true"))]
    pub journal: Option<std::path::PathBuf>,
    /// Take back the merge --journal records (counts counted into the site since stay)
    #[arg(long, conflicts_with_all = ["confirm", "from", "into"])]
    pub undo: bool,
    /// Delete the merged site's own data, ending the merge's undo
    #[arg(long, conflicts_with = "journal")]
    pub confirm: bool,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// `tally check`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The export to compare
    #[arg(long, value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// Another export to compare it with, instead of the store
    #[arg(long, value_name = "FILE")]
    pub against: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// The line as clap sees it: a command, or the settings of `serve`.
#[derive(Debug, Parser)]
#[command(
    name = "tally",
    version,
    about = "Visit counters and a site poll for a public web portal, on Redis or an embedded store",
    after_help = "Every setting is also read from its TALLY_ variable (an empty one counts as unset); \
                  a flag wins over its variable. Give tokens and keys in the environment: a process's \
                  flags are visible to others. The reference: docs/settings.md.",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
struct Line {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: SettingsArgs,
}

/// Why a command line does not run.
#[derive(Debug)]
pub enum ArgsError {
    /// Help or the version was asked for, or clap refused the line itself
    /// (an unknown flag, a bad flag value): clap's own words and exit code.
    Usage(clap::Error),
    /// A setting that cannot be used: one line naming it, exit code 2.
    Setting(ConfigError),
}

impl From<ConfigError> for ArgsError {
    fn from(e: ConfigError) -> Self {
        Self::Setting(e)
    }
}

/// Variables whose value is taken as written: a token's spaces are part of
/// it. Every other value is trimmed.
pub(super) const AS_WRITTEN: [&str; 2] = ["TALLY_ADMIN_TOKEN", "TALLY_CHALLENGE_KEY"];

/// The command line as `--help` shows it: each setting names its variable,
/// never the variable's value (it may be a secret).
static SHOWN: LazyLock<clap::Command> = LazyLock::new(|| hide_env_values(Line::command()));

impl Command {
    /// The process's command line and environment.
    pub fn from_env() -> Result<Self, ArgsError> {
        Self::parse(std::env::args_os(), |name| std::env::var(name).ok())
    }

    /// Reads `args` (the program's name first) and, for every setting they
    /// do not give, its variable through `lookup`.
    ///
    /// clap reads an `env` variable when the command is built, takes an
    /// empty value as a value and cannot be pointed at a map; so variables
    /// are read here and handed to clap as the flags they stand for, and
    /// clap's own reading is turned off. Their names stay for `--help`.
    pub fn parse<A: Into<OsString>>(
        args: impl IntoIterator<Item = A>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ArgsError> {
        let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        if args.is_empty() {
            args.push("tally".into());
        }
        let matches = if asks_for_help(&args) {
            // Help and the version are shown whatever the variables hold.
            SHOWN
                .clone()
                .try_get_matches_from(args)
                .map_err(ArgsError::Usage)?
        } else {
            let from_env = settings_from_env(&mut args, &lookup);
            without_env(SHOWN.clone())
                .try_get_matches_from(args)
                .map_err(|e| refusal(e, &from_env))?
        };
        let line = Line::from_arg_matches(&matches).map_err(ArgsError::Usage)?;
        Ok(line.command.unwrap_or(Command::Serve(line.settings)))
    }
}

impl SettingsArgs {
    /// The settings of a start without flags, each read through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match Command::parse(["tally"], lookup) {
            Ok(Command::Serve(settings)) => Ok(settings),
            Err(ArgsError::Setting(e)) => Err(e),
            // A line of the program's name alone serves, and clap has no
            // flag of its own to refuse.
            other => unreachable!("tally alone: {other:?}"),
        }
    }
}

/// The long flags and variables of every setting, as `--help` lists them.
pub(super) fn settings() -> impl Iterator<Item = (&'static clap::Arg, &'static str)> {
    SHOWN
        .get_arguments()
        .filter_map(|arg| Some((arg, arg.get_env()?.to_str()?)))
}

fn asks_for_help(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| ["-h", "--help", "-V", "--version"].contains(&a.to_str().unwrap_or("")))
}

/// Puts a `--flag=value` for each setting whose variable `lookup` finds
/// (and that `args` do not give) right after the command's name, where
/// clap expects that command's flags. Returns each such flag's setting.
fn settings_from_env(
    args: &mut Vec<OsString>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<(&'static str, &'static str)> {
    let named = args
        .get(1)
        .and_then(|a| a.to_str())
        .and_then(|a| SHOWN.find_subcommand(a));
    let at = if named.is_some() { 2 } else { 1 };
    let command = named.unwrap_or(&SHOWN);
    let given = |long: &str| {
        args[at..].iter().filter_map(|a| a.to_str()).any(|a| {
            a.strip_prefix("--")
                .and_then(|a| a.strip_prefix(long))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        })
    };
    let mut from_env = Vec::new();
    let mut flags: Vec<OsString> = Vec::new();
    for arg in command.get_arguments() {
        let (Some(var), Some(long)) = (arg.get_env().and_then(OsStr::to_str), arg.get_long())
        else {
            continue;
        };
        let Some(value) = lookup(var).filter(|_| !given(long)) else {
            continue;
        };
        let value = if AS_WRITTEN.contains(&var) {
            &value
        } else {
            value.trim()
        };
        if !value.is_empty() {
            flags.push(format!("--{long}={value}").into());
            from_env.push((long, var));
        }
    }
    args.splice(at..at, flags);
    from_env
}

/// A refused value that came from a variable, as one line naming it;
/// anything else as clap says it.
fn refusal(error: clap::Error, from_env: &[(&str, &'static str)]) -> ArgsError {
    let Some(ContextValue::String(flag)) = error.get(ContextKind::InvalidArg) else {
        return ArgsError::Usage(error);
    };
    // clap names the flag as `--visit-window <DURATION>`.
    let long = flag.trim_start_matches('-').split([' ', '=']).next();
    let Some(&(_, setting)) = from_env.iter().find(|(l, _)| Some(*l) == long) else {
        return ArgsError::Usage(error);
    };
    let reason = match (error.kind(), error.get(ContextKind::InvalidValue)) {
        (ErrorKind::ValueValidation, _) => std::error::Error::source(&error).map(|e| e.to_string()),
        (ErrorKind::InvalidValue, Some(ContextValue::String(got))) => {
            match error.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(valid)) => {
                    Some(format!("must be {}, got {got:?}", either(valid)))
                }
                _ => None,
            }
        }
        _ => None,
    };
    match reason {
        Some(reason) => ArgsError::Setting(ConfigError { setting, reason }),
        None => ArgsError::Usage(error),
    }
}

/// `a, b or c`.
fn either(values: &[String]) -> String {
    match values.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn hide_env_values(command: clap::Command) -> clap::Command {
    each_command(command, &|arg| arg.hide_env_values(true))
}

fn without_env(command: clap::Command) -> clap::Command {
    each_command(command, &|arg| arg.env(None))
}

/// `command` with `change` made to every argument, its subcommands' too.
fn each_command(command: clap::Command, change: &dyn Fn(clap::Arg) -> clap::Arg) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    names
        .iter()
        .fold(command.mut_args(change), |command, name| {
            command.mut_subcommand(name, |sub| each_command(sub, change))
        })
}
