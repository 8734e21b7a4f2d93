//! Across languages: the widget's solver (`bench/challenge/solver.js`, run
//! by Node through `bench/challenge/run.mjs --solve`) solves challenges
//! issued here, and its compact solutions verify here.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use jiff::Timestamp;
use serde::Deserialize;

use crate::challenge::proof::hash;
use crate::challenge::{Challenge, Challenges, Level, Solution, key_from_secret};
use crate::ids::PollId;

#[derive(Deserialize)]
struct Solved {
    number: i64,
    proof: Option<String>,
}

/// Runs the JavaScript solver on `challenges`; `None` when Node is missing.
fn solve_in_node(challenges: &[Challenge]) -> Option<Vec<Solved>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipped: `node` is not installed, so the widget's solver cannot run");
        return None;
    }
    let mut child = Command::new("node")
        .arg(root.join("bench/challenge/run.mjs"))
        .arg("--solve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node starts");
    let input = serde_json::to_vec(challenges).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "node failed");
    Some(serde_json::from_slice(&output.stdout).expect("the solver prints JSON"))
}

#[test]
fn the_widgets_solver_solves_what_the_service_issues() {
    let key = key_from_secret("shared by every replica");
    let challenges = Challenges::new(key);
    let now = Timestamp::now();
    let polls = ["p", "danh-gia-cong", "a-poll-id-of-18-ch", &"x".repeat(64)];
    let mut issued = Vec::new();
    for (i, poll) in polls.iter().enumerate() {
        let poll = PollId::parse(poll).unwrap();
        for level in [Level::OFF, Level::MIN, Level::ON] {
            if i == 0 || level != Level::ON {
                issued.push((poll.clone(), challenges.issue(&poll, level, now)));
            }
        }
    }
    let list: Vec<Challenge> = issued.iter().map(|(_, c)| c.clone()).collect();
    let Some(solved) = solve_in_node(&list) else {
        return;
    };
    assert_eq!(solved.len(), issued.len());
    for ((poll, challenge), answer) in issued.iter().zip(solved) {
        let rust = challenge.solve().unwrap();
        assert_eq!(answer.number, rust.number() as i64, "{}", challenge.salt);
        let proof = answer.proof.expect("a proof for every challenge");
        let solution = Solution::parse_compact(&proof).unwrap();
        let spend = challenges.verify(poll, &solution, now).unwrap();
        assert_eq!(spend.level, challenge.level);
    }
}

#[test]
fn the_widgets_solver_takes_any_salt_length() {
    // Salts this service never writes (not whole blocks): slower, still right.
    let salts = [
        "x.",
        &format!("{}.", "y".repeat(70)),
        &format!("{}.", "z".repeat(119)),
    ];
    let list: Vec<Challenge> = salts
        .iter()
        .enumerate()
        .map(|(i, salt)| {
            let number = 1_000 * i as u64 + 7;
            Challenge {
                algorithm: "SHA-256".into(),
                challenge: crate::ids::hex(&hash(salt, number)),
                salt: salt.to_string(),
                maxnumber: 5_000,
                signature: "00".repeat(32),
                expires_at: Timestamp::now(),
                level: Level::MIN,
            }
        })
        .collect();
    let Some(solved) = solve_in_node(&list) else {
        return;
    };
    let numbers: Vec<i64> = solved.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [7, 1_007, 2_007]);
}
