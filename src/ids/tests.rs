//! The identifiers' checks, case by case.

use super::*;

#[test]
fn poll_ids_are_slugs() {
    assert!(PollId::parse("danh-gia-cong-2026").is_ok());
    assert_eq!(PollId::parse(""), Err(IdError::Empty));
    assert_eq!(PollId::parse("Danh"), Err(IdError::BadCharacter));
    assert_eq!(PollId::parse("a b"), Err(IdError::BadCharacter));
    assert!(PollId::parse(&"a".repeat(64)).is_ok());
    assert_eq!(
        PollId::parse(&"a".repeat(65)),
        Err(IdError::TooLong { max: 64 })
    );
}

#[test]
fn page_ids_allow_unicode_but_not_control_characters() {
    assert!(PageId::parse("/tin-tuc/thời-sự?id=1").is_ok());
    assert_eq!(PageId::parse("/a\nb"), Err(IdError::ControlCharacter));
    assert!(PageId::parse(&"x".repeat(256)).is_ok());
    assert!(PageId::parse(&"x".repeat(257)).is_err());
    // 86 three-byte characters are 258 bytes: the limit is in bytes.
    assert!(PageId::parse(&"ờ".repeat(86)).is_err());
}

#[test]
fn hex_round_trips_and_refuses_anything_else() {
    assert_eq!(hex(&[0x00, 0x7f, 0xab, 0xff]), "007fabff");
    assert_eq!(from_hex("007fabff"), Some([0x00, 0x7f, 0xab, 0xff]));
    for bad in ["007FABFF", "007fab", "007fabff00", "0g00abff", "ờ0abff"] {
        assert_eq!(from_hex::<4>(bad), None, "{bad}");
    }
}

#[test]
fn cookies_must_be_36_lowercase_hex_digits() {
    let good = "0123456789abcdef0123456789abcdef0123";
    assert_eq!(
        VisitorKey::from_cookie(good).unwrap().as_str(),
        format!("c.{good}")
    );
    assert!(VisitorKey::from_cookie(&good.to_uppercase()).is_none());
    assert!(VisitorKey::from_cookie(&good[1..]).is_none());
    assert!(VisitorKey::from_cookie("zz23456789abcdef0123456789abcdef0123").is_none());
}

#[test]
fn a_new_cookie_shares_the_slot_tag_of_the_address_visitor() {
    let by_address = VisitorKey::from_address_hash([0xab; 16]);
    let cookie = by_address.new_cookie_value([7; 16]);
    let by_cookie = VisitorKey::from_cookie(&cookie).unwrap();
    assert_eq!(by_address.slot_tag(), "abab");
    assert_eq!(by_cookie.slot_tag(), "abab");
    assert!(by_cookie.is_person() && !by_address.is_person());
    assert_eq!(by_cookie.cookie_value(), Some(cookie.as_str()));
    assert_eq!(by_address.cookie_value(), None);
    assert_eq!(VisitorKey::from_stored(by_cookie.as_str()), Some(by_cookie));
    assert_eq!(
        VisitorKey::from_stored(by_address.as_str()),
        Some(by_address)
    );
    assert_eq!(VisitorKey::from_stored("x.1234"), None);
}
