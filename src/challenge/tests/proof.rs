//! Issuing and verifying: a solved challenge verifies, and every way a
//! solution can be wrong is refused with its own code, without panics.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use crate::challenge::{
    Challenge, ChallengeError, Challenges, Level, MAX_COMPACT_LEN, Solution, key_from_secret,
};
use crate::ids::PollId;

fn poll(id: &str) -> PollId {
    PollId::parse(id).unwrap()
}

fn now() -> Timestamp {
    "2026-12-02T03:00:00Z".parse().unwrap()
}

fn challenges() -> Challenges {
    Challenges::new(key_from_secret("a test secret of 32 characters.."))
}

fn solved(level: Level) -> (Challenge, Solution) {
    let challenge = challenges().issue(&poll("danh-gia-cong"), level, now());
    let solution = challenge.solve().expect("every challenge has a solution");
    (challenge, solution)
}

#[test]
fn a_solved_challenge_verifies_and_names_what_to_remember() {
    let (challenge, solution) = solved(Level::MIN);
    let spend = challenges()
        .verify(&poll("danh-gia-cong"), &solution, now())
        .unwrap();
    assert_eq!(spend.level, Level::MIN);
    assert_eq!(spend.expires_at, now() + SignedDuration::from_mins(10));
    assert_eq!(spend.remember_until, now() + SignedDuration::from_mins(15));
    assert!(challenge.salt.contains(&spend.id.to_string()));
    assert!(solution.number() <= Level::MIN.maxnumber());

    // Both forms of one solution spend the same id: a replay in the other
    // form is still a replay.
    let compact = Solution::parse_compact(&solution.to_compact()).unwrap();
    let object: Solution = serde_json::from_value(serde_json::json!({
        "algorithm": "SHA-256",
        "challenge": challenge.challenge,
        "salt": challenge.salt,
        "number": solution.number(),
        "signature": challenge.signature,
    }))
    .unwrap();
    for again in [compact, object] {
        let respent = challenges().verify(&poll("danh-gia-cong"), &again, now());
        assert_eq!(respent, Ok(spend));
    }
}

#[test]
fn a_challenge_is_the_documented_json() {
    let challenge = challenges().issue(&poll("danh-gia-cong"), Level::ON, now());
    let json = serde_json::to_value(&challenge).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "algorithm",
            "challenge",
            "salt",
            "maxnumber",
            "signature",
            "expires_at",
            "level"
        ]
    );
    assert_eq!(json["algorithm"], "SHA-256");
    assert_eq!(json["maxnumber"], Level::ON.maxnumber());
    assert_eq!(json["expires_at"], "2026-12-02T03:10:00Z");
    assert_eq!(json["level"], 2);
    assert_eq!(challenge.challenge.len(), 64);
    assert_eq!(challenge.signature.len(), 64);
    assert_eq!(challenge.salt.len() % 64, 0, "the salt fills whole blocks");
    let prefix = format!("danh-gia-cong.{}.2.", challenge.expires_at.as_second());
    assert!(challenge.salt.starts_with(&prefix));
    let again = challenges().issue(&poll("danh-gia-cong"), Level::ON, now());
    assert_ne!(again.salt, challenge.salt, "every challenge is new");
}

#[test]
fn wrong_altered_or_foreign_solutions_are_invalid() {
    let (challenge, solution) = solved(Level::MIN);
    let id = poll("danh-gia-cong");
    let mut signature = [0u8; 32];
    signature.copy_from_slice(&hex_bytes(&challenge.signature));
    let wrong = Solution::new(&challenge.salt, solution.number() + 1, signature).unwrap();
    assert_eq!(
        challenges().verify(&id, &wrong, now()),
        Err(ChallengeError::Invalid)
    );

    signature[0] ^= 1;
    let forged = Solution::new(&challenge.salt, solution.number(), signature).unwrap();
    assert_eq!(
        challenges().verify(&id, &forged, now()),
        Err(ChallengeError::Invalid)
    );

    let other_key = Challenges::new(key_from_secret("another secret"));
    assert_eq!(
        other_key.verify(&id, &solution, now()),
        Err(ChallengeError::Invalid)
    );

    let claimed: Solution = serde_json::from_value(serde_json::json!({
        "salt": challenge.salt, "number": solution.number(),
        "signature": challenge.signature, "challenge": "ab".repeat(32),
    }))
    .unwrap();
    assert_eq!(
        challenges().verify(&id, &claimed, now()),
        Err(ChallengeError::Invalid)
    );
}

#[test]
fn another_polls_challenge_is_refused_and_cannot_be_renamed() {
    let (challenge, solution) = solved(Level::OFF);
    let other = poll("khao-sat-khac");
    let verdict = challenges().verify(&other, &solution, now());
    assert_eq!(verdict, Err(ChallengeError::OtherPoll));
    assert_eq!(verdict.unwrap_err().code(), "challenge_other_poll");

    // Renaming the poll in the salt breaks the hash the signature covers.
    let renamed = challenge.salt.replacen("danh-gia-cong", "khao-sat-khac", 1);
    let compact = solution.to_compact().replacen(&challenge.salt, &renamed, 1);
    let renamed = Solution::parse_compact(&compact).unwrap();
    let verdict = challenges().verify(&other, &renamed, now());
    assert_eq!(verdict, Err(ChallengeError::Invalid));
}

#[test]
fn a_solution_expires_with_its_challenge() {
    let (challenge, solution) = solved(Level::OFF);
    let id = poll("danh-gia-cong");
    let last = challenge.expires_at - SignedDuration::from_secs(1);
    assert!(challenges().verify(&id, &solution, last).is_ok());
    let verdict = challenges().verify(&id, &solution, challenge.expires_at);
    assert_eq!(verdict, Err(ChallengeError::Expired));
    let short = challenges().with_ttl(SignedDuration::from_mins(2));
    let quick = short.issue(&id, Level::OFF, now());
    assert_eq!(quick.expires_at, now() + SignedDuration::from_mins(2));
}

#[test]
fn no_digit_can_move_between_salt_and_number() {
    let (challenge, solution) = solved(Level::MIN);
    let digits = solution.number().to_string();
    // The salt always ends with a dot: a salt that swallowed a digit is
    // not one this service wrote, and the compact form always splits there.
    let shifted = format!("{}{}", challenge.salt, &digits[..1]);
    let mut signature = [0u8; 32];
    signature.copy_from_slice(&hex_bytes(&challenge.signature));
    assert_eq!(
        Solution::new(&shifted, 0, signature),
        Err(ChallengeError::Malformed)
    );
    let compact = solution.to_compact();
    let parsed = Solution::parse_compact(&compact).unwrap();
    assert_eq!(parsed.salt(), challenge.salt);
}

#[test]
fn malformed_solutions_are_refused_before_any_work() {
    let (challenge, solution) = solved(Level::OFF);
    let good = solution.to_compact();
    let sig = &challenge.signature;
    let salt = &challenge.salt;
    for bad in [
        String::new(),
        "no-dots-at-all".to_owned(),
        good.to_uppercase(),
        format!("{salt}0.{}", &sig[..63]),
        format!("{salt}+0.{sig}"),
        format!("{salt} 0.{sig}"),
        format!("{salt}.{sig}"),
        format!("{salt}{}.{sig}", "9".repeat(21)),
        format!("{salt}99999999999999999999.{sig}"),
        "x".repeat(MAX_COMPACT_LEN + 1),
        "7".repeat(1 << 20),
    ] {
        let parsed = Solution::parse_compact(&bad);
        assert_eq!(parsed, Err(ChallengeError::Malformed), "{bad:.80}");
    }
    assert_eq!(ChallengeError::Malformed.code(), "challenge_malformed");

    // A solution that parses but whose salt is not ours is malformed too.
    let foreign = Solution::parse_compact(&format!("abc.0.{sig}")).unwrap();
    let verdict = challenges().verify(&poll("danh-gia-cong"), &foreign, now());
    assert_eq!(verdict, Err(ChallengeError::Malformed));
}

#[test]
fn solutions_read_from_json_objects_or_strings() {
    let (challenge, solution) = solved(Level::OFF);
    let from_string: Solution =
        serde_json::from_value(serde_json::json!(solution.to_compact())).unwrap();
    assert_eq!(from_string, solution);
    let object = serde_json::to_value(&solution).unwrap();
    assert_eq!(object["signature"], challenge.signature.as_str());
    assert_eq!(
        serde_json::from_value::<Solution>(object).unwrap(),
        solution
    );
    let sig = &challenge.signature;
    for bad in [
        serde_json::json!({"salt": challenge.salt, "number": 0}),
        serde_json::json!({"salt": challenge.salt, "number": -1, "signature": challenge.signature}),
        serde_json::json!({"salt": "s".repeat(10_000), "number": 0, "signature": sig}),
        serde_json::json!({"salt": challenge.salt, "number": 0, "signature": "zz"}),
        serde_json::json!(["an", "array"]),
        serde_json::json!(42),
    ] {
        assert!(
            serde_json::from_value::<Solution>(bad.clone()).is_err(),
            "{bad:.80}"
        );
    }
}

#[test]
fn keys_come_from_secrets_and_stay_secret() {
    assert_eq!(key_from_secret("s"), key_from_secret("s"));
    assert_ne!(key_from_secret("s"), key_from_secret("t"));
    let shown = format!("{:?}", challenges());
    assert!(shown.contains("redacted") && !shown.contains("test secret"));
    let codes = [
        ChallengeError::Malformed,
        ChallengeError::Invalid,
        ChallengeError::Expired,
        ChallengeError::OtherPoll,
    ]
    .map(ChallengeError::code);
    assert_eq!(
        codes,
        [
            "challenge_malformed",
            "challenge_invalid",
            "challenge_expired",
            "challenge_other_poll"
        ]
    );
}

#[test]
fn each_level_asks_for_its_table_number() {
    for level in Level::all() {
        let challenge = challenges().issue(&poll("p"), level, now());
        assert_eq!(challenge.maxnumber, level.maxnumber());
        assert_eq!(challenge.level, level);
    }
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

proptest! {
    #[test]
    fn hostile_text_never_panics_nor_verifies(text in ".{0,400}", number in any::<u64>()) {
        let id = poll("danh-gia-cong");
        if let Ok(solution) = Solution::parse_compact(&text) {
            prop_assert!(challenges().verify(&id, &solution, now()).is_err());
        }
        let signature = "00".repeat(32);
        let json = serde_json::json!({"salt": text, "number": number, "signature": signature});
        if let Ok(solution) = serde_json::from_value::<Solution>(json) {
            prop_assert!(challenges().verify(&id, &solution, now()).is_err());
        }
        let _ = serde_json::from_str::<Solution>(&text);
    }
}
