//! How hard an admin token is to guess online, estimated from its length
//! and the kinds of character it uses. A token under [`LEAST_BITS`] stops
//! the start: with 128 bits, guessing is hopeless at any rate, so the
//! sign-in throttle never has to lock anyone out.

/// The least estimated entropy of an admin token.
pub const LEAST_BITS: f64 = 128.0;

/// How to make a token that passes, for the refusal's line.
pub const HOW_TO_MAKE: &str = "make one with `openssl rand -hex 32`";

/// `token`'s estimated entropy in bits: its length times the bits of the
/// alphabet its characters come from. The alphabet is the kinds of
/// character used — digits (10), lowercase letters (26, or 6 if only
/// `a`–`f`, as in hex), uppercase letters (likewise) — plus each other
/// distinct character once (a `-` between words adds one, not 33), and
/// never more than the square of the distinct characters used. So 32 hex
/// digits are 128 bits, 22 characters of the base64 alphabet about 131,
/// and one character repeated, however long, nothing.
pub fn estimated_bits(token: &str) -> f64 {
    let kind = |letters: &mut dyn Iterator<Item = char>, hex: fn(&char) -> bool| {
        let letters: Vec<char> = letters.collect();
        match letters.is_empty() {
            true => 0,
            false if letters.iter().all(hex) => 6,
            false => 26,
        }
    };
    let digits = if token.chars().any(|c| c.is_ascii_digit()) {
        10
    } else {
        0
    };
    let lower = kind(&mut token.chars().filter(char::is_ascii_lowercase), |c| {
        matches!(c, 'a'..='f')
    });
    let upper = kind(&mut token.chars().filter(char::is_ascii_uppercase), |c| {
        matches!(c, 'A'..='F')
    });
    let mut others: Vec<char> = token
        .chars()
        .filter(|c| !c.is_ascii_alphanumeric())
        .collect();
    others.sort_unstable();
    others.dedup();
    let mut distinct: Vec<char> = token.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    let alphabet = (digits + lower + upper + others.len()).min(distinct.len().pow(2));
    if alphabet < 2 {
        return 0.0;
    }
    token.chars().count() as f64 * (alphabet as f64).log2()
}

/// Refuses a token estimated under [`LEAST_BITS`], saying how to make one.
pub fn strong_enough(token: &str) -> Result<(), String> {
    let bits = estimated_bits(token);
    if bits >= LEAST_BITS {
        return Ok(());
    }
    Err(format!(
        "about {} bits of entropy, at least {LEAST_BITS} are needed: {HOW_TO_MAKE}",
        bits.floor()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_counts_length_and_kinds_of_character() {
        let bits = |t: &str| estimated_bits(t).round() as u32;
        assert_eq!(bits(&"3f9c2e71".repeat(4)), 128, "32 hex digits");
        assert_eq!(bits(&"3F9C2E71".repeat(4)), 128, "in capitals too");
        assert_eq!(bits(&"3f9c2e7".repeat(4)), 112);
        assert_eq!(bits("q7Zk2mWx9Rt4Lp8Vn3Bc6H"), 131, "22 of [A-Za-z0-9]");
        assert_eq!(bits("q7Zk2mWx9Rt4Lp8Vn3Bc+/"), 132, "22 of base64");
        assert_eq!(
            bits("482910375618204937561829403756182940375"),
            130,
            "39 digits"
        );
        assert_eq!(bits(&"a".repeat(64)), 0, "one character, however long");
        assert_eq!(bits("                "), 0);
        assert_eq!(bits(&"ab".repeat(20)), 80, "two characters: 2 bits each");
        assert_eq!(bits("history-admin-token-0123"), 125);
    }

    #[test]
    fn a_weak_token_is_refused_with_how_to_make_one() {
        assert!(strong_enough(&"0123456789abcdef".repeat(2)).is_ok());
        let why = strong_enough("sixteen-chars-16").unwrap_err();
        assert!(
            why.starts_with("about 83 bits of entropy, at least 128 are needed: "),
            "{why}"
        );
        assert!(why.ends_with("openssl rand -hex 32`"), "{why}");
    }
}
