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
        ("TALLY_ADMIN_TOKEN", "a-very-secret-admin-token-4f7c9e21b3"),
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

#[test]
fn empty_values_count_as_unset_and_values_are_trimmed() {
    let defaults = format!("{:?}", settings(&[]).unwrap());
    let blank: Vec<(&str, &str)> = cli::settings()
        .map(|(_, var)| {
            (
                var,
                if cli::AS_WRITTEN.contains(&var) {
                    ""
                } else {
                    "  "
                },
            )
        })
        .collect();
    assert_eq!(format!("{:?}", settings(&blank).unwrap()), defaults);
    let s = settings(&[
        ("TALLY_VISIT_WINDOW", " 45m "),
        ("TALLY_LISTEN", " 0.0.0.0:8080\n"),
        ("TALLY_LOG_FORMAT", " json "),
        ("TALLY_SITE_NAME", " Cổng thông tin "),
    ])
    .unwrap();
    assert_eq!(s.visit_window, Duration::from_secs(45 * 60));
    assert_eq!(s.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(s.log_format, LogFormat::Json);
    assert_eq!(s.portal.name.as_deref(), Some("Cổng thông tin"));
}

#[test]
fn tokens_and_keys_are_taken_as_written() {
    let s = settings(&[
        ("TALLY_ADMIN_TOKEN", "  9b1f4e7a2c8d3065bd41e97c2fa0831d "),
        ("TALLY_CHALLENGE_KEY", " 0123456789abcdef0123456789abcdef"),
    ])
    .unwrap();
    assert_eq!(
        s.admin_token.unwrap().expose(),
        "  9b1f4e7a2c8d3065bd41e97c2fa0831d "
    );
    assert_eq!(
        s.challenge_key.unwrap().expose(),
        " 0123456789abcdef0123456789abcdef"
    );
    // Spaces are a (too weak) token, not an unset one.
    let err = settings(&[("TALLY_ADMIN_TOKEN", "   ")]).unwrap_err();
    assert_eq!(err.setting, "TALLY_ADMIN_TOKEN");
    let err = settings(&[("TALLY_CHALLENGE_KEY", "0123456789abcdef")]).unwrap_err();
    assert_eq!(err.setting, "TALLY_CHALLENGE_KEY");
}

#[test]
fn durations_are_read_as_before() {
    for (raw, want) in [
        ("30m", 30 * 60_000),
        ("1h", 3_600_000),
        ("1h 30m", 5_400_000),
        ("90min", 5_400_000),
        ("PT45M", 45 * 60_000),
        ("+45m", 45 * 60_000),
    ] {
        let s = settings(&[("TALLY_VISIT_WINDOW", raw)]).unwrap();
        assert_eq!(s.visit_window.as_millis(), want, "{raw}");
    }
    let s = settings(&[
        ("TALLY_STORE_TIMEOUT", "250ms"),
        ("TALLY_CONSOLE_IDLE", "8h"),
    ])
    .unwrap();
    assert_eq!(s.store_timeout, Duration::from_millis(250));
    assert_eq!(s.console_idle, Duration::from_secs(8 * 3600));
    let err = settings(&[("TALLY_VISIT_WINDOW", "-5m")]).unwrap_err();
    assert_eq!(err.reason, "\"-5m\" must not be negative");
    let err = settings(&[("TALLY_VISIT_WINDOW", "5s")]).unwrap_err();
    assert_eq!(err.reason, "must be between 1m and 1day, got 5s");
}

/// The range each setting's help states, as `(A–B)`.
fn stated_range(arg: &clap::Arg) -> Option<(String, String)> {
    let help = arg.get_help()?.to_string();
    let (_, range) = help.strip_suffix(')')?.rsplit_once('(')?;
    let (low, high) = range.split_once('–')?;
    Some((low.to_owned(), high.to_owned()))
}

/// Values just outside `low..=high`, as the help writes them: numbers, or
/// durations (then in milliseconds).
fn just_outside(low: &str, high: &str) -> Vec<String> {
    if let (Ok(low), Ok(high)) = (low.parse::<u64>(), high.parse::<u64>()) {
        let outside = low.checked_sub(1).into_iter().chain([high + 1]);
        return outside.map(|n| n.to_string()).collect();
    }
    let ms = |d: &str| humantime::parse_duration(d).expect(d).as_millis();
    let outside = ms(low).checked_sub(1).into_iter().chain([ms(high) + 1]);
    outside.map(|n| format!("{n}ms")).collect()
}

#[test]
fn every_range_in_the_help_is_the_one_enforced() {
    let mut checked = 0;
    for (arg, var) in cli::settings() {
        let is_duration = arg.get_value_names() == Some(&["DURATION".into()]);
        let Some((low, high)) = stated_range(arg) else {
            assert!(!is_duration, "{var} states no range");
            continue;
        };
        for fine in [&low, &high] {
            let s = settings(&[(var, fine)]);
            assert!(s.is_ok(), "{var}={fine}: {:?}", s.unwrap_err());
        }
        for bad in just_outside(&low, &high) {
            let err = settings(&[(var, &bad)]).unwrap_err();
            assert_eq!(err.setting, var, "{var}={bad}: {err}");
        }
        checked += 1;
    }
    assert!(checked >= 26, "{checked} ranges checked");
}

#[test]
fn a_flag_wins_over_its_variable() {
    let env = |name: &str| (name == "TALLY_VISIT_WINDOW").then(|| "5s".to_owned());
    let Ok(Command::Serve(args)) = Command::parse(["tally", "serve", "--visit-window=45m"], env)
    else {
        panic!("serve with a flag");
    };
    let s = Settings::from_args(args).unwrap();
    assert_eq!(s.visit_window, Duration::from_secs(45 * 60));
    let Err(ArgsError::Setting(err)) = Command::parse(["tally"], env) else {
        panic!("the variable alone is refused");
    };
    assert_eq!(err.setting, "TALLY_VISIT_WINDOW");
    assert!(matches!(
        Command::parse(["tally", "check-config"], |_| None),
        Ok(Command::CheckConfig(_))
    ));
}

#[test]
fn the_summary_shows_no_secret() {
    let s = settings(&[
        ("TALLY_REDIS_URL", "redis://:pa55word@h:6379"),
        ("TALLY_ADMIN_TOKENS", "lan:token-of-lan-7c1e9a4f2b8d06"),
        ("TALLY_CHALLENGE_KEY", "0123456789abcdef0123456789abcdef"),
    ])
    .unwrap();
    let summary = s.summary();
    assert!(
        summary.contains("redis at redis://:***@h:6379"),
        "{summary}"
    );
    assert!(summary.contains("lan (tokens hidden)"), "{summary}");
    for secret in ["pa55word", "token-of-lan", "0123456789abcdef"] {
        assert!(!summary.contains(secret), "{summary}");
    }
}

#[test]
fn the_public_url_is_an_address_with_perhaps_a_path() {
    let url = |v: &str| settings(&[("TALLY_PUBLIC_URL", v)]).map(|s| s.public_url);
    assert_eq!(
        url("https://tally.portal.gov.vn/").unwrap().as_deref(),
        Some("https://tally.portal.gov.vn")
    );
    assert_eq!(
        url("https://portal.gov.vn/tally").unwrap().as_deref(),
        Some("https://portal.gov.vn/tally")
    );
    for bad in [
        "tally.portal.gov.vn",
        "https://",
        "https://a.vn/?x=1",
        "https://a.vn/\"><script>",
    ] {
        assert!(url(bad).is_err(), "{bad}");
    }
    assert_eq!(settings(&[]).unwrap().public_url, None);
}

#[test]
fn admin_tokens_under_128_bits_stop_the_start_saying_how_to_make_one() {
    let hex = |n: usize| "4f7c9e21b3a8d6050c1f".repeat(2)[..n].to_owned();
    assert!(settings(&[("TALLY_ADMIN_TOKEN", &hex(32))]).is_ok());
    let err = settings(&[("TALLY_ADMIN_TOKEN", &hex(31))]).unwrap_err();
    assert_eq!(err.setting, "TALLY_ADMIN_TOKEN");
    assert_eq!(
        err.reason,
        "has about 124 bits of entropy, at least 128 are needed: make one with `openssl rand -hex 32`"
    );
    let named =
        |lan: &str| settings(&[("TALLY_ADMIN_TOKENS", &format!("lan:{lan},minh:{}", hex(32)))]);
    assert!(named("q7Zk2mWx9Rt4Lp8Vn3Bc6H").is_ok(), "22 of [A-Za-z0-9]");
    let err = named("token-of-lan-0123").unwrap_err();
    assert_eq!(err.setting, "TALLY_ADMIN_TOKENS");
    assert!(
        err.reason
            .starts_with("the token of lan has about 88 bits of entropy")
            && err.reason.ends_with("`openssl rand -hex 32`"),
        "{}",
        err.reason
    );
}

#[test]
fn a_role_on_a_site_stops_the_start_until_sites_are_configured() {
    let token = "4f7c9e21b3a8d6050c1f4f7c9e21b3a8";
    let list = format!("ha:{token}1,minh=editor@so-y-te:{token}2");
    let err = settings(&[("TALLY_ADMIN_TOKENS", &list)]).unwrap_err();
    assert_eq!(err.setting, "TALLY_ADMIN_TOKENS");
    assert!(
        err.reason.contains("sites are not configured"),
        "{}",
        err.reason
    );
    let list = format!("ha:{token}1,minh=editor@default:{token}2");
    let s = settings(&[("TALLY_ADMIN_TOKENS", &list)]).unwrap();
    assert!(s.summary().contains("ha, minh=editor"), "{}", s.summary());
}
