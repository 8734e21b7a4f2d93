//! Settings read from a map, as from the environment.
use super::*;
use std::collections::HashMap;

fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn defaults_match_the_contract() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.ops_listen.to_string(), "127.0.0.1:9090");
    assert_eq!(
        s.store,
        StoreSettings::Embedded {
            data_dir: "./data".into()
        }
    );
    assert_eq!(s.timezone.iana_name(), Some("Asia/Ho_Chi_Minh"));
    assert_eq!(s.visit_window, Duration::from_secs(30 * 60));
    assert_eq!(s.votes_per_address, 50);
    assert_eq!(s.max_pages, 100_000);
    assert_eq!(s.counter_baseline, None);
    assert!(s.admin_token.is_none());
}

#[test]
fn values_are_parsed() {
    let s = settings(&[
        ("TALLY_REDIS_URL", "redis://127.0.0.1:6390"),
        ("TALLY_VISIT_WINDOW", "45m"),
        ("TALLY_FLUSH_INTERVAL", "50ms"),
        ("TALLY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7"),
        ("TALLY_ALLOWED_ORIGINS", "https://Portal.gov.vn/"),
        ("TALLY_RATE_LIMIT", "5,15"),
        ("TALLY_COUNTER_BASELINE", "7582803"),
    ])
    .unwrap();
    assert_eq!(
        s.store,
        StoreSettings::Redis {
            url: "redis://127.0.0.1:6390".into()
        }
    );
    assert_eq!(s.visit_window, Duration::from_secs(45 * 60));
    assert_eq!(s.flush_interval, Duration::from_millis(50));
    assert_eq!(s.trusted_proxies.len(), 2);
    assert_eq!(s.allowed_origins, vec!["https://portal.gov.vn".to_string()]);
    assert_eq!(
        s.rate_limit,
        Rate {
            per_second: 5,
            burst: 15
        }
    );
    assert_eq!(s.counter_baseline, Some(7_582_803));
}

#[test]
fn a_bad_value_names_its_setting() {
    let cases = [
        ("TALLY_LISTEN", "localhost"),
        ("TALLY_TIMEZONE", "Mars/Olympus"),
        ("TALLY_VISIT_WINDOW", "soon"),
        ("TALLY_VISIT_WINDOW", "5s"),
        ("TALLY_VOTES_PER_ADDRESS", "-1"),
        ("TALLY_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("TALLY_ALLOWED_ORIGINS", "portal.gov.vn"),
        ("TALLY_RATE_LIMIT", "0"),
        ("TALLY_REDIS_URL", "127.0.0.1:6379"),
        ("TALLY_COUNTER_BASELINE", "many"),
        ("TALLY_COUNTER_BASELINE", "18446744073709551615"),
        ("TALLY_ADMIN_TOKEN", "short"),
        ("TALLY_LOG_FORMAT", "xml"),
        ("TALLY_LANGUAGE", "fr"),
        ("TALLY_SITE_URL", "portal.gov.vn"),
        ("TALLY_SITE_STYLESHEET", "javascript:alert(1)"),
        ("TALLY_SITE_LOGO", "https://"),
    ];
    for (name, value) in cases {
        let err = settings(&[(name, value)]).unwrap_err();
        assert_eq!(err.setting, name, "{value:?} -> {err}");
        assert!(err.to_string().starts_with(name));
    }
}

#[test]
fn secrets_are_never_shown() {
    let s = settings(&[
        (
            "TALLY_REDIS_URL",
            "rediss://tally:pa55word@redis.internal:6380/0",
        ),
        ("TALLY_ADMIN_TOKEN", "a-very-secret-admin-token"),
    ])
    .unwrap();
    let shown = format!("{s:?} {}", s.store);
    assert!(!shown.contains("pa55word"), "{shown}");
    assert!(!shown.contains("a-very-secret"), "{shown}");
    assert!(
        shown.contains("rediss://tally:***@redis.internal:6380/0"),
        "{shown}"
    );
    assert_eq!(redact_url("redis://:pw@h:1"), "redis://:***@h:1");
    assert_eq!(redact_url("redis://h:1"), "redis://h:1");
    assert_eq!(redact_url("redis://pw@h:1"), "redis://***@h:1");
}

#[test]
fn redis_and_cluster_are_exclusive() {
    let err = settings(&[
        ("TALLY_REDIS_URL", "redis://a:1"),
        ("TALLY_REDIS_CLUSTER_NODES", "redis://b:1"),
    ])
    .unwrap_err();
    assert_eq!(err.setting, "TALLY_REDIS_URL");
    let s = settings(&[(
        "TALLY_REDIS_CLUSTER_NODES",
        "redis://a:7000, redis://b:7001,",
    )])
    .unwrap();
    assert_eq!(
        s.store,
        StoreSettings::Cluster {
            nodes: vec!["redis://a:7000".into(), "redis://b:7001".into()]
        }
    );
}

#[test]
fn ballot_durability_is_read_and_needs_a_replica_to_promise_one() {
    assert_eq!(
        settings(&[]).unwrap().ballot_durability,
        BallotDurability::Store
    );
    let redis = ("TALLY_REDIS_URL", "redis://127.0.0.1:6390");
    for (raw, want) in [
        ("store", BallotDurability::Store),
        ("replica", BallotDurability::Replica),
        ("fsync", BallotDurability::Fsync),
        ("replica+fsync", BallotDurability::ReplicaFsync),
    ] {
        let s = settings(&[redis, ("TALLY_BALLOT_DURABILITY", raw)]).unwrap();
        assert_eq!(s.ballot_durability, want);
        assert_eq!(want.as_str(), raw);
    }
    // The embedded store fsyncs every ballot: `fsync` is what it does, and
    // it has no replica to wait for.
    let s = settings(&[("TALLY_BALLOT_DURABILITY", "fsync")]).unwrap();
    assert_eq!(s.ballot_durability, BallotDurability::Fsync);
    for raw in ["replica", "replica+fsync"] {
        let err = settings(&[("TALLY_BALLOT_DURABILITY", raw)]).unwrap_err();
        assert_eq!(err.setting, "TALLY_BALLOT_DURABILITY", "{err}");
        assert!(err.reason.contains("needs Redis"), "{err}");
    }
    let err = settings(&[redis, ("TALLY_BALLOT_DURABILITY", "wait")]).unwrap_err();
    assert_eq!(err.setting, "TALLY_BALLOT_DURABILITY");
    assert_eq!(
        BallotDurability::deadline(Duration::from_millis(500)),
        Duration::from_millis(125)
    );
}
