//! The edge under hostile use: rate limits, spoofed forwarding headers,
//! CORS, connection limits and timeouts, security headers and privacy.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};
use tally::config::Rate;

use crate::support::{Backend, Home, TestApp, cookie};

fn rate(per_second: u32, burst: u32) -> Rate {
    Rate { per_second, burst }
}

async fn get_counter(app: &TestApp, forwarded: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url("/v1/counter"));
    if let Some(xff) = forwarded {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn over_the_limit_is_429_with_retry_after() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.rate_limit = rate(1, 5);
        s.allowed_origins = vec!["https://portal.gov.vn".into()];
    })
    .await;
    for n in 0..5 {
        let ok = get_counter(&app, None).await;
        assert_eq!(ok.status(), 200, "request {n}");
        assert_eq!(ok.headers()["ratelimit-limit"], "5");
        assert_eq!(
            ok.headers()["ratelimit-remaining"],
            (4 - n).to_string().as_str()
        );
    }
    let limited = get_counter(&app, None).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry));
    assert_eq!(limited.headers()["ratelimit-remaining"], "0");
    assert!(limited.headers().contains_key("ratelimit-reset"));
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // A page of an allowed origin can read the refusal and how long to
    // wait; another origin learns nothing from it.
    let from = |origin: &'static str| {
        app.http
            .get(app.url("/v1/counter"))
            .header("origin", origin)
            .send()
    };
    let portal = from("https://portal.gov.vn").await.unwrap();
    assert_eq!(portal.status(), 429);
    assert_eq!(
        portal.headers()["access-control-allow-origin"],
        "https://portal.gov.vn"
    );
    let exposed = portal.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    let foreign = from("https://evil.example").await.unwrap();
    assert_eq!(foreign.status(), 429);
    assert!(
        !foreign
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"tally_rate_limited_total{route="/v1/counter"} 3"#),
        "{metrics}"
    );
    // The ops listener is never limited.
    assert_eq!(
        app.http
            .get(format!("{}/healthz", app.ops))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn ballots_have_a_stricter_limit() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.vote_rate_limit = rate(1, 2);
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = app
            .vote("danh-gia-cong", &cookie(), "198.51.100.1", json!(["tot"]))
            .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![201, 201, 429, 429]);
    // Reads still pass: they have their own, lenient, bucket.
    assert_eq!(get_counter(&app, None).await.status(), 200);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"tally_rate_limited_total{route="/v1/polls/{id}/votes"} 2"#),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.rate_limit = rate(1, 3);
        s.votes_per_address = 3;
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
    })
    .await;
    // Each request claims another address; the peer is not a trusted proxy.
    let mut statuses = Vec::new();
    for n in 0..6 {
        statuses.push(
            get_counter(&app, Some(&format!("203.0.113.{n}")))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429, 429]);
    let ballots = (0..10).map(|n| {
        app.http
            .post(app.url("/v1/polls/danh-gia-cong/votes"))
            .header("content-type", "application/json")
            .header("cookie", format!("tally_vid={}", cookie()))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .body(json!({ "options": ["tot"] }).to_string())
            .send()
    });
    let answers = join_all(ballots).await;
    let accepted = answers
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == 201)
        .count();
    assert_eq!(accepted, 3, "the per-address cap sees one address");
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_is_its_own_client() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.rate_limit = rate(1, 2);
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    for n in 0..20 {
        let xff = format!("6.6.6.6, 203.0.113.{n}");
        assert_eq!(get_counter(&app, Some(&xff)).await.status(), 200);
        assert_eq!(get_counter(&app, Some(&xff)).await.status(), 200);
        // The client's own left-hand claim is ignored: still limited.
        assert_eq!(
            get_counter(&app, Some(&format!("9.9.9.{n}, 203.0.113.{n}")))
                .await
                .status(),
            429
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_limiters_memory_is_capped() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.rate_limit = rate(1, 1000);
        s.rate_limit_keys = 100;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let requests = (0..2000u32).map(|n| {
        let [a, b, c, d] = (0x0a00_0000 + n).to_be_bytes();
        get_counter_owned(
            app.http.clone(),
            app.url("/v1/counter"),
            format!("{a}.{b}.{c}.{d}"),
        )
    });
    let statuses = join_all(requests).await;
    assert!(statuses.iter().all(|&s| s == 200 || s == 429));
    let metrics = app.metrics().await;
    let lenient: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(r#"tally_rate_limiter_keys{limiter="lenient"} "#))
        .and_then(|v| v.parse().ok())
        .expect("the limiter's size is a metric");
    assert!(lenient <= 101.0, "{lenient} addresses tracked");
    app.stop().await;
}

async fn get_counter_owned(http: reqwest::Client, url: String, xff: String) -> u16 {
    http.get(url)
        .header("x-forwarded-for", xff)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.allowed_origins = vec!["https://portal.gov.vn".into()]
    })
    .await;
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/v1/polls/x/votes"))
        .header("origin", "https://portal.gov.vn")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "https://portal.gov.vn");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(h.contains_key("access-control-max-age"));
    assert!(
        h.get_all("vary").iter().any(|v| v
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin"))
    );

    let foreign = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/v1/hits"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(
        foreign
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );

    let simple = app
        .http
        .get(app.url("/v1/counter"))
        .header("origin", "https://portal.gov.vn")
        .send()
        .await
        .unwrap();
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://portal.gov.vn"
    );
    assert_eq!(simple.headers()["access-control-allow-credentials"], "true");
    let plain = app.http.get(app.url("/v1/counter")).send().await.unwrap();
    assert!(
        plain
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );

    // A form post from a page that is not allowed is refused.
    let form = app
        .http
        .post(app.url("/polls/x"))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("option=a")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);
    assert_eq!(
        form.json::<Value>().await.unwrap()["error"]["code"],
        "origin_not_allowed"
    );
    app.stop().await;
}

/// Reads from a raw connection until the server closes it; true if it did
/// within `within`.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_loris_is_disconnected() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| s.limits.header_timeout = Duration::from_secs(1)).await;
    let addr = app.running.as_ref().unwrap().public_addr;
    let closed = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /v1/counter HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        // One header byte every 300 ms: never a complete head.
        let started = Instant::now();
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(300));
            if stream.write_all(b"X").is_err() {
                break;
            }
            if closed_within(&mut stream, Duration::from_millis(10)) {
                return started.elapsed();
            }
        }
        assert!(closed_within(&mut stream, Duration::from_secs(2)));
        started.elapsed()
    })
    .await
    .unwrap();
    assert!(closed < Duration::from_secs(3), "closed after {closed:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| s.limits.idle_timeout = Duration::from_secs(1)).await;
    let addr = app.running.as_ref().unwrap().public_addr;
    let closed = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /v1/counter HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let started = Instant::now();
        closed_within(&mut stream, Duration::from_secs(4)).then(|| started.elapsed())
    })
    .await
    .unwrap();
    let closed = closed.expect("the idle connection was closed");
    assert!(
        closed >= Duration::from_millis(900) && closed < Duration::from_secs(3),
        "{closed:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connections_are_capped() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| s.limits.max_connections = 2).await;
    let addr = app.running.as_ref().unwrap().public_addr;
    let outcome = tokio::task::spawn_blocking(move || {
        let request = b"GET /v1/counter HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut first = TcpStream::connect(addr).unwrap();
        let mut second = TcpStream::connect(addr).unwrap();
        for s in [&mut first, &mut second] {
            s.write_all(request).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 1024];
            assert!(s.read(&mut buf).unwrap() > 0);
        }
        // The third waits in the backlog: no answer while two are open...
        let mut third = TcpStream::connect(addr).unwrap();
        third.write_all(request).unwrap();
        third
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 1024];
        let early = third.read(&mut buf);
        // ...and is served once one closes.
        drop(first);
        third
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let later = third
            .read(&mut buf)
            .map(|n| String::from_utf8_lossy(&buf[..n]).to_string());
        (early.is_err(), later)
    })
    .await
    .unwrap();
    assert!(
        outcome.0,
        "the third connection was served while two were open"
    );
    assert!(outcome.1.unwrap().starts_with("HTTP/1.1 200"));
    app.stop().await;
}

#[tokio::test]
async fn oversized_headers_are_refused() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |_| {}).await;
    let response = app
        .http
        .get(app.url("/v1/counter"))
        .header("x-filler", "a".repeat(40 * 1024))
        .send()
        .await;
    match response {
        Ok(r) => assert_eq!(r.status(), 431),
        // Hyper may close the connection instead of answering.
        Err(e) => assert!(
            e.is_request() || e.is_connect() || e.to_string().contains("connection"),
            "{e}"
        ),
    }
    // The server is still up.
    assert_eq!(
        app.http
            .get(app.url("/v1/counter"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn http2_is_served() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |_| {}).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = h2.get(app.url("/v1/counter")).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn responses_carry_the_right_security_and_cache_headers() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |s| {
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into())
    })
    .await;
    for path in [
        "/v1/counter",
        "/widget.js",
        "/polls/danh-gia-cong",
        "/demo",
        "/nope",
        "/openapi.json",
    ] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(r.headers().get("server").is_none(), "{path}");
    }
    let counter = app.http.get(app.url("/v1/counter")).send().await.unwrap();
    assert_eq!(counter.headers()["cache-control"], "no-store");
    let page = app
        .http
        .get(app.url("/polls/danh-gia-cong"))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    let widget = app.http.get(app.url("/widget.js")).send().await.unwrap();
    let etag = widget.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        widget.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let again = app
        .http
        .get(app.url("/widget.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let version = etag.trim_matches('"');
    let pinned = app
        .http
        .get(app.url(&format!("/widget.js?v={version}")))
        .send()
        .await
        .unwrap();
    assert!(
        pinned.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    app.stop().await;
}

#[tokio::test]
async fn no_raw_address_or_user_agent_reaches_the_store_or_the_metrics() {
    let home = Home::new(Backend::Redis);
    let app = TestApp::start(&home, |s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
    })
    .await;
    let ua = "Mozilla/5.0 (PrivacyProbe/4242; Linux)";
    let address = "203.0.113.77";
    for _ in 0..2 {
        app.http
            .post(app.url("/v1/hits"))
            .header("user-agent", ua)
            .header("x-forwarded-for", address)
            .header("content-type", "application/json")
            .body(r#"{"page":"/a"}"#)
            .send()
            .await
            .unwrap();
    }
    app.http
        .post(app.url("/v1/polls/danh-gia-cong/votes"))
        .header("user-agent", ua)
        .header("x-forwarded-for", address)
        .header("content-type", "application/json")
        .body(r#"{"options":["tot"]}"#)
        .send()
        .await
        .unwrap();
    app.counter(None).await;
    app.flushed().await;
    let crate::support::Home::Redis(redis) = &home else {
        unreachable!()
    };
    let keys = redis.cli(&["--scan", "--pattern", "*"]);
    assert!(keys.contains("tally:{default}"), "{keys}");
    let mut everything = keys.clone();
    for key in keys.lines() {
        let kind = redis.cli(&["type", key]);
        let dump = match kind.as_str() {
            "string" => redis.cli(&["get", key]),
            "hash" => redis.cli(&["hgetall", key]),
            "zset" => redis.cli(&["zrange", key, "0", "-1", "withscores"]),
            "set" => redis.cli(&["smembers", key]),
            // The audit log: the polls file's seeding is in it.
            "list" => redis.cli(&["lrange", key, "0", "-1"]),
            other => panic!("unexpected key type {other} for {key}"),
        };
        everything.push_str(&dump);
    }
    for secret in [address, "PrivacyProbe", "203.0.113"] {
        assert!(!everything.contains(secret), "{secret} found in the store");
    }
    let metrics = app.metrics().await;
    assert!(
        !metrics.contains(address)
            && !metrics.contains("PrivacyProbe")
            && !metrics.contains("/a\"")
    );
    // The day's hashing key expires on its own, an hour after its day: at
    // noon that is 13 hours away.
    let key = keys.lines().find(|k| k.contains("hashkey")).unwrap();
    let ttl: i64 = redis.cli(&["ttl", key]).parse().unwrap();
    assert!(ttl > 12 * 3600 && ttl <= 13 * 3600, "{ttl}");
    app.stop().await;
}
