//! The command line of the real binary: `check-config`'s exit codes and
//! lines, `--help` naming every setting, and docs/settings.md kept equal
//! to what the code generates.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `tally ARGS` with only `env` for an environment.
fn tally(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the tally binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every `TALLY_` name written anywhere in `src/`.
fn names_in_src() -> BTreeSet<String> {
    fn walk(dir: &Path, names: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, names);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices("TALLY_") {
                    let name: String = text[at..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if name.len() > "TALLY_".len() {
                        names.insert(name.trim_end_matches('_').to_owned());
                    }
                }
            }
        }
    }
    let mut names = BTreeSet::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut names,
    );
    names
}

#[test]
fn check_config_prints_the_settings_without_secrets_and_exits_0() {
    let out = tally(
        &["check-config"],
        &[
            (
                "TALLY_REDIS_URL",
                "rediss://tally:pa55word@redis.internal:6380/0",
            ),
            ("TALLY_ADMIN_TOKENS", "lan:token-of-lan-7c1e9a4f2b8d06"),
            ("TALLY_ADMIN_TOKEN", "the-single-admin-token-5e8a1c"),
            ("TALLY_CHALLENGE_KEY", "0123456789abcdef0123456789abcdef"),
            ("TALLY_VISIT_WINDOW", " 45m "),
            ("TALLY_SITE_NAME", ""),
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains("rediss://tally:***@redis.internal:6380/0"),
        "{stdout}"
    );
    assert!(stdout.contains("lan, admin (tokens hidden)"), "{stdout}");
    assert!(stdout.contains("45m"), "{stdout}");
    for secret in [
        "pa55word",
        "token-of-lan",
        "single-admin",
        "0123456789abcdef",
    ] {
        assert!(!stdout.contains(secret), "{secret} shown: {stdout}");
    }
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn check_config_names_a_bad_setting_in_one_line_and_exits_2() {
    let polls = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-polls.toml");
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("polls.toml");
    std::fs::write(
        &elsewhere,
        "[[polls]]\nid = \"p\"\nsite = \"so-y-te\"\nquestion = \"?\"\n\
         options = [{ id = \"a\", label = \"A\" }, { id = \"b\", label = \"B\" }]\n",
    )
    .unwrap();
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("TALLY_VISIT_WINDOW", "5s")],
            "tally: TALLY_VISIT_WINDOW: must be between 1m and 1day, got 5s",
        ),
        (
            &[("TALLY_LOG_FORMAT", "xml")],
            "tally: TALLY_LOG_FORMAT: must be json or text, got \"xml\"",
        ),
        (
            &[("TALLY_ADMIN_TOKEN", "short")],
            "tally: TALLY_ADMIN_TOKEN: has about 23 bits of entropy, at least 128 are needed",
        ),
        (
            &[
                ("TALLY_REDIS_URL", "redis://a:1"),
                ("TALLY_REDIS_CLUSTER_NODES", "redis://b:1"),
            ],
            "tally: TALLY_REDIS_URL: set either",
        ),
        (
            &[("TALLY_POLLS_FILE", polls.to_str().unwrap())],
            "tally: TALLY_POLLS_FILE: cannot read",
        ),
        (
            &[("TALLY_POLLS_FILE", elsewhere.to_str().unwrap())],
            "tally: TALLY_POLLS_FILE: poll p: its site \"so-y-te\" is not a site (without \
             TALLY_SITES_FILE the one site is default)",
        ),
    ];
    for (env, line) in cases {
        let out = tally(&["check-config"], env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{env:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(line), "{stderr}");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    }
}

/// A start (not only `check-config`) with an admin token under 128 bits
/// stops before it listens, in one line naming the setting and saying how
/// to make a token.
#[test]
fn a_weak_admin_token_stops_the_start_in_one_line() {
    let data = tempfile::TempDir::new().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let cases = [
        ("TALLY_ADMIN_TOKEN", "sixteen-chars-16"),
        // 31 hex digits: 124 bits.
        ("TALLY_ADMIN_TOKEN", "9b1f4e7a2c8d3065bd41e97c2fa0831"),
        (
            "TALLY_ADMIN_TOKENS",
            "lan:9b1f4e7a2c8d3065bd41e97c2fa0831d,minh:Minh-2026-token",
        ),
    ];
    for (setting, token) in cases {
        let env = [
            (setting, token),
            ("TALLY_LISTEN", "127.0.0.1:0"),
            ("TALLY_OPS_LISTEN", "127.0.0.1:0"),
            ("TALLY_DATA_DIR", data_dir),
        ];
        let mut child = Command::new(env!("CARGO_BIN_EXE_tally"))
            .env_clear()
            .envs(env)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the tally binary");
        // A refusal comes before anything else; a start would run on.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{setting}={token:?} started");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("tally: {setting}: ")),
            "{stderr}"
        );
        assert!(
            stderr.contains("bits of entropy, at least 128 are needed")
                && stderr
                    .trim_end()
                    .ends_with("make one with `openssl rand -hex 32`"),
            "{stderr}"
        );
        assert!(!stderr.contains(token), "the token is not shown: {stderr}");
    }
}

#[test]
fn a_flag_wins_over_its_variable_and_a_bad_flag_is_clap_s_to_refuse() {
    let env = [("TALLY_VISIT_WINDOW", "5s")];
    let out = tally(&["check-config", "--visit-window", "45m"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("45m"));

    for args in [
        &["check-config", "--visit-window", "5s"][..],
        &["check-config", "--visit-windw", "45m"],
        &["--listen", "127.0.0.1:0", "serve"],
    ] {
        let out = tally(args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn help_names_every_setting_written_in_src() {
    let names = names_in_src();
    assert!(names.len() >= 50, "{names:?}");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["check-config", "-h"],
    ] {
        // A bad variable does not stand between a person and the help.
        let out = tally(args, &[("TALLY_VISIT_WINDOW", "soon")]);
        // Read as one line: the help wraps to the terminal's width.
        let help = text(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        for name in &names {
            assert!(
                help.contains(&format!("[env: {name}]")),
                "{args:?} lacks {name}"
            );
        }
    }
    let reference = tally::config::reference();
    for name in &names {
        assert!(reference.contains(&format!("`{name}`")), "docs lack {name}");
    }
}

#[test]
fn docs_settings_md_is_what_the_code_generates() {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/settings.md");
    let generated = tally::config::reference();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/settings.md differs from the settings in src/config/args.rs: \
         run `UPDATE_DOCS=1 cargo test --test cli` and commit it"
    );
}

#[test]
fn version_names_the_package() {
    let out = tally(&["--version"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("tally {}", env!("CARGO_PKG_VERSION"))
    );
}
