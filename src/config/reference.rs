//! The settings reference, `docs/settings.md`, written from the definitions
//! that `tally --help` shows; a test keeps the file equal to it.

use std::fmt::Write as _;

const INTRO: &str = "\
# Settings

<!-- Written by `UPDATE_DOCS=1 cargo test --test cli` from src/config/args.rs; \
a test fails when this file and the code differ. -->

Every setting is a `TALLY_` environment variable and a long flag of `tally`,
`tally serve` and `tally check-config`; `tally --help` lists them too. A flag
wins over its variable, and an empty variable counts as unset. Values are
read trimmed, except `TALLY_ADMIN_TOKEN` and `TALLY_CHALLENGE_KEY`, which are
taken exactly as written. Durations are written `250ms`, `10s`, `30m`, `8h`
or `1h 30m`; lists are comma-separated.

A value that cannot be used stops the start with one line naming its setting
and exit code 2, e.g.
`tally: TALLY_VISIT_WINDOW: must be between 1m and 1day, got 5s`.
`tally check-config` reads and checks the settings the same way without
opening the store or binding a port, and prints them with secrets hidden.
";

/// `docs/settings.md`: a table per group of settings, each with its
/// variable, flag, default and meaning (which gives its range).
pub fn reference() -> String {
    let mut out = INTRO.to_owned();
    let mut heading = None;
    for (arg, var) in super::cli::settings() {
        if heading != Some(arg.get_help_heading()) {
            heading = Some(arg.get_help_heading());
            let _ = write!(
                out,
                "\n## {}\n\n| variable | flag | default | meaning |\n|---|---|---|---|\n",
                arg.get_help_heading().unwrap_or("Other")
            );
        }
        let value: Vec<String> = arg
            .get_value_names()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect();
        let flag = format!(
            "--{} <{}>",
            arg.get_long().unwrap_or_default(),
            value.join(" ")
        );
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|d| format!("`{}`", d.to_string_lossy()))
            .collect();
        let mut meaning = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|p| format!("`{}`", p.get_name()))
            .collect();
        if !possible.is_empty() {
            let _ = write!(meaning, "; one of {}", possible.join(", "));
        }
        let default = match defaults.is_empty() {
            true => "unset".to_owned(),
            false => defaults.join(", "),
        };
        let _ = writeln!(
            out,
            "| `{var}` | `{}` | {} | {} |",
            cell(&flag),
            cell(&default),
            cell(&meaning)
        );
    }
    out
}

/// Text that cannot end a Markdown table's cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
