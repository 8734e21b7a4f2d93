//! A damaged embedded database file stops the real binary with one line
//! that names the file and says what to do, and a non-zero exit: never a
//! panic or a backtrace, whatever the damage.

use std::path::Path;
use std::process::Command;

use crate::support::{Backend, Home, TestApp, cookie};

/// Starts the binary on `data` (it stops at once: the store cannot open),
/// with backtraces asked for; its exit code and what it wrote to stderr.
fn start_on(data: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tally"))
        .env_clear()
        .env("TALLY_DATA_DIR", data)
        .env("TALLY_LISTEN", "127.0.0.1:0")
        .env("TALLY_OPS_LISTEN", "127.0.0.1:0")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the tally binary");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_clear_line(data: &Path, (code, stderr): (Option<i32>, String)) {
    let file = data.join("tally.redb");
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let start = format!("tally: TALLY_DATA_DIR: {} is damaged (", file.display());
    assert!(stderr.starts_with(&start), "{stderr}");
    assert!(
        stderr
            .trim_end()
            .ends_with("restore it from a backup, or move it aside to start with an empty store"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
}

/// Bytes that look random but are the same every run.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A real database with polls, ballots and hits in it, closed cleanly.
async fn real_database() -> Vec<u8> {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into())
    })
    .await;
    for n in 0..20 {
        app.hit(Some(&cookie()), Some(&format!("/tin-tuc/{n}")))
            .await;
        let address = format!("198.51.100.{n}");
        let r = app
            .vote(
                "danh-gia-cong",
                &cookie(),
                &address,
                serde_json::json!(["tot"]),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    app.stop().await;
    let Home::Embedded(dir) = &home else {
        unreachable!()
    };
    std::fs::read(dir.path().join("tally.redb")).unwrap()
}

#[test]
fn garbage_for_a_database_is_one_clear_line() {
    let data = tempfile::TempDir::new().unwrap();
    std::fs::write(data.path().join("tally.redb"), noise(100_000)).unwrap();
    assert_one_clear_line(data.path(), start_on(data.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_or_overwritten_database_is_one_clear_line() {
    let real = real_database().await;
    let data = tempfile::TempDir::new().unwrap();
    let file = data.path().join("tally.redb");
    // Cut short, as a full disk or an interrupted copy leaves it.
    for keep in [512, 4096, real.len() / 2] {
        std::fs::write(&file, &real[..keep]).unwrap();
        assert_one_clear_line(data.path(), start_on(data.path()));
    }
    // Its header kept, the rest overwritten: redb 4.6 panics on this one
    // while opening.
    let mut overwritten = real.clone();
    overwritten[4096..].copy_from_slice(&noise(real.len() - 4096));
    std::fs::write(&file, &overwritten).unwrap();
    assert_one_clear_line(data.path(), start_on(data.path()));
    // The real file itself opens.
    std::fs::write(&file, &real).unwrap();
    let started =
        crate::support::Binary::start(&[("TALLY_DATA_DIR", data.path().display().to_string())])
            .await;
    drop(started);
}
