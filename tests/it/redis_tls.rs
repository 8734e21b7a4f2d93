//! `rediss://`: tally talks to a Redis that only speaks TLS, checking its
//! certificate against the authority named by `TALLY_REDIS_CA_FILE`.

use std::process::{Command, Stdio};

use serde_json::json;
use tally::config::StoreSettings;
use tempfile::TempDir;

use crate::support::{BROWSER, RedisServer, TestApp, cookie, free_port};

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl must be installed")
        .success();
    assert!(ok, "openssl {args:?}");
}

/// A certificate authority and a certificate for 127.0.0.1 signed by it.
fn certificates() -> TempDir {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=tally test authority",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(d.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.cnf",
        ],
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tally_speaks_tls_to_redis() {
    let certs = certificates();
    let path = |f: &str| certs.path().join(f).display().to_string();
    let port = free_port();
    let _redis = RedisServer::start_on(
        free_port(),
        &[
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            &path("server.crt"),
            "--tls-key-file",
            &path("server.key"),
            "--tls-ca-cert-file",
            &path("ca.crt"),
            "--tls-auth-clients",
            "no",
        ],
    );
    let store = StoreSettings::Redis {
        url: format!("rediss://127.0.0.1:{port}"),
    };
    let app = TestApp::start_with_store(store, |s| {
        s.redis_ca_file = Some(certs.path().join("ca.crt"));
        s.polls_file = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml").into());
    })
    .await;
    let counter = app.hit_json(Some(&cookie()), Some("/a")).await;
    assert_eq!(
        (counter["total"].as_u64(), counter["stale"].as_bool()),
        (Some(1), Some(false))
    );
    let ballot = app
        .http
        .post(app.url("/v1/polls/danh-gia-cong/votes"))
        .header("user-agent", BROWSER)
        .header("content-type", "application/json")
        .body(json!({ "options": ["tot"] }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ballot.status(), 201);
    let ready = app
        .http
        .get(format!("{}/readyz", app.ops))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    app.stop().await;
}
