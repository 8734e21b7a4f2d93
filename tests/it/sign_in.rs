//! Signing in to the console and the admin API when others guess: wrong
//! tokens from the editors' own address (an office NAT) or from thousands
//! of addresses never stop a correct token, at once; wrong tokens past the
//! threshold wait, with `Retry-After`, a JSON error code (API) or a
//! Vietnamese message (console); and the token is compared exactly in both.
//! Client addresses come from `X-Forwarded-For`, believed from loopback.

use reqwest::{Response, StatusCode, header};
use serde_json::Value;

use crate::support::{Backend, Home, TestApp};

/// As `openssl rand -hex 16` makes them: 128 bits.
const TOKEN: &str = "9b1f4e7a2c8d3065bd41e97c2fa0831d";
const LAN: &str = "lan-7Qm2vX9pR4tK8wZ3nB6yH1cJ";
const WRONG: &str = "9b1f4e7a2c8d3065bd41e97c2fa0831e";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.admin_tokens = tally::config::named_tokens(&format!("lan:{LAN}")).unwrap();
    s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
}

/// A client that does not follow redirects, so each answer is seen.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The console's sign-in form posted with `token` from address `from`.
async fn console(app: &TestApp, token: &str, from: &str, query: &str) -> Response {
    browser()
        .post(format!("{}/admin/sign-in{query}", app.ops))
        .header("x-forwarded-for", from)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

/// A signed-in console: its session cookie opens the dashboard.
async fn signed_in(app: &TestApp, r: Response) -> bool {
    let Some(set) = r.headers().get(header::SET_COOKIE) else {
        return false;
    };
    let cookie = set.to_str().unwrap().split(';').next().unwrap().to_owned();
    r.status() == StatusCode::SEE_OTHER
        && browser()
            .get(format!("{}/admin/", app.ops))
            .header(header::COOKIE, cookie)
            .send()
            .await
            .unwrap()
            .status()
            == StatusCode::OK
}

/// `GET /admin/polls` with `Authorization: Bearer <token>` from `from`.
async fn api(app: &TestApp, token: &str, from: &str) -> Response {
    app.http
        .get(format!("{}/admin/polls", app.ops))
        .header("authorization", format!("Bearer {token}"))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
}

fn retry_after(r: &Response) -> u64 {
    r.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn five_wrong_tokens_then_the_right_one_signs_in_at_once(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    // The console, from the editors' office NAT: five wrong tokens, one
    // more that has to wait, then the right one.
    let office = "203.0.113.66";
    for n in 0..5 {
        let r = console(&app, WRONG, office, "").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let r = console(&app, WRONG, office, "").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(signed_in(&app, console(&app, TOKEN, office, "").await).await);
    // Signing in forgot the office's failures.
    let r = console(&app, WRONG, office, "").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The admin API, from another office: the same.
    let office = "198.51.100.20";
    for n in 0..5 {
        assert_eq!(api(&app, WRONG, office).await.status(), 401, "guess {n}");
    }
    assert_eq!(api(&app, WRONG, office).await.status(), 429);
    assert_eq!(api(&app, TOKEN, office).await.status(), 200);
    // The count is shared: guesses at the API, a named token at the console.
    for _ in 0..6 {
        api(&app, WRONG, office).await;
    }
    assert!(signed_in(&app, console(&app, LAN, office, "").await).await);
    app.stop().await;
}

async fn strangers_guessing_from_many_addresses_lock_no_editor_out(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let strangers: Vec<String> = (0..24)
        .map(|n| match n % 2 {
            0 => format!("192.0.2.{n}"),
            _ => format!("2001:db8:{n}::1"),
        })
        .collect();
    for (n, from) in strangers.iter().enumerate() {
        for _ in 0..=n % 7 {
            let status = api(&app, WRONG, from).await.status();
            assert!(status == 401 || status == 429, "{status}");
        }
    }
    // An IPv6 /64 is one address.
    for host in 1..=5 {
        api(&app, WRONG, &format!("2001:db8:ff:1::{host}")).await;
    }
    assert_eq!(api(&app, WRONG, "2001:db8:ff:1::99").await.status(), 429);
    assert_eq!(api(&app, WRONG, "2001:db8:ff:2::1").await.status(), 401);

    // A correct token signs in at once, from an address that never failed
    // and from one that has to wait for its next wrong token.
    assert_eq!(api(&app, TOKEN, "192.0.2.200").await.status(), 200);
    assert!(signed_in(&app, console(&app, LAN, "192.0.2.201", "").await).await);
    assert_eq!(api(&app, LAN, "2001:db8:ff:1::7").await.status(), 200);
    let waiting = &strangers[6];
    assert_eq!(api(&app, WRONG, waiting).await.status(), 429);
    assert!(signed_in(&app, console(&app, TOKEN, waiting, "").await).await);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tokens_past_the_threshold_wait_with_retry_after() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, settings).await;
    // The admin API: 401 five times, then 429 with a JSON error.
    let guesser = "203.0.113.66";
    for _ in 0..5 {
        let r = api(&app, WRONG, guesser).await;
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let r = api(&app, WRONG, guesser).await;
    assert_eq!(r.status(), 429);
    assert_eq!(retry_after(&r), 60, "30 s after the fifth, doubled");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_failed_sign_ins");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let r = api(&app, WRONG, guesser).await;
    assert_eq!((r.status().as_u16(), retry_after(&r)), (429, 120));
    // Another address is not slowed.
    assert_eq!(api(&app, WRONG, "203.0.113.67").await.status(), 401);

    // The console: the sign-in form again, with how long to wait.
    let guesser = "198.51.100.7";
    for _ in 0..5 {
        let r = console(&app, WRONG, guesser, "").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.text().await.unwrap().contains("Mã quản trị không đúng."));
    }
    let r = console(&app, WRONG, guesser, "").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&r), 60);
    let page = r.text().await.unwrap();
    assert!(page.contains("Vui lòng đợi 60 giây rồi thử lại."), "{page}");
    assert!(
        page.contains(r#"name="token""#),
        "the form is there: {page}"
    );
    let r = console(&app, WRONG, guesser, "?lang=en").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = r.text().await.unwrap();
    assert!(page.contains("Please wait 120 seconds"), "{page}");

    assert_eq!(app.metric("tally_admin_auth_failures_total").await, 15.0);
    assert_eq!(app.metric("tally_admin_lockouts_total").await, 2.0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_spaces_is_refused_in_the_console_as_in_the_api() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, settings).await;
    let from = "203.0.113.9";
    for token in [
        format!(" {TOKEN}"),
        format!("{TOKEN} "),
        format!("{TOKEN}\n"),
        format!("\t{TOKEN}"),
    ] {
        let r = console(&app, &token, from, "").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(r.headers().get(header::SET_COOKIE).is_none());
    }
    let r = api(&app, &format!(" {TOKEN}"), "203.0.113.10").await;
    assert_eq!(r.status(), 401);
    assert!(signed_in(&app, console(&app, TOKEN, from, "").await).await);
    app.stop().await;
}

on_every_store!(
    five_wrong_tokens_then_the_right_one_signs_in_at_once,
    strangers_guessing_from_many_addresses_lock_no_editor_out,
);
