//! Property tests: whatever a client sends — bodies, page ids, content
//! types, query strings — the answer is never a 5xx and the process stays up.

use std::sync::OnceLock;

use crate::support::{BROWSER, Backend, Home, TestApp};
use proptest::prelude::*;
use tokio::runtime::Runtime;

struct Shared {
    runtime: Runtime,
    app: TestApp,
    _home: Home,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let home = Home::new(Backend::Embedded);
        let app = runtime.block_on(TestApp::start(&home, |_| {}));
        Shared {
            runtime,
            app,
            _home: home,
        }
    })
}

fn json_page(page: &str) -> String {
    serde_json::json!({ "page": page }).to_string()
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/json".to_string()),
        Just("text/plain;charset=UTF-8".to_string()),
        Just("application/x-www-form-urlencoded".to_string()),
        "[ -~]{0,40}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        any::<String>().prop_map(|p| json_page(&p).into_bytes()),
        "[\\PC]{0,300}".prop_map(|p| json_page(&p).into_bytes()),
        proptest::collection::vec(any::<u8>(), 4000..6000),
        Just(b"{\"page\":[1,2,{}]}".to_vec()),
        Just(b"{\"page\":\"/a\",\"page\":\"/b\"}".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn no_hit_body_causes_a_server_error(body in body(), content_type in content_type(), cookie in "[ -~]{0,80}") {
        let s = shared();
        let status = s.runtime.block_on(async {
            let mut req = s.app.http.post(s.app.url("/v1/hits"))
                .header("user-agent", BROWSER)
                .body(body);
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&content_type) {
                req = req.header("content-type", v);
            }
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&format!("tally_vid={cookie}")) {
                req = req.header("cookie", v);
            }
            req.send().await.expect("answered").status().as_u16()
        });
        prop_assert!(status < 500, "status {}", status);
        prop_assert!([200, 400, 413, 415].contains(&status), "status {}", status);
    }

    #[test]
    fn no_counter_query_causes_a_server_error(page in any::<String>(), raw in "[ -~]{0,200}") {
        let s = shared();
        let (by_param, by_raw) = s.runtime.block_on(async {
            let a = s.app.http.get(s.app.url("/v1/counter")).query(&[("page", &page)]).send().await.expect("answered").status().as_u16();
            let b = s.app.http.get(format!("{}/v1/counter?{}", s.app.base, raw.replace(['#', ' '], "%20"))).send().await.expect("answered").status().as_u16();
            (a, b)
        });
        prop_assert!(by_param == 200 || by_param == 400, "status {}", by_param);
        prop_assert!(by_raw == 200 || by_raw == 400, "status {}", by_raw);
    }

    #[test]
    fn no_list_page_causes_a_server_error(offset in "[ -~]{0,30}|[0-9]{1,12}", limit in "[ -~]{0,30}|[0-9]{1,4}") {
        let s = shared();
        let statuses = s.runtime.block_on(async {
            let mut statuses = Vec::new();
            for path in ["/v1/polls", "/polls"] {
                let r = s.app.http.get(s.app.url(path)).query(&[("offset", &offset), ("limit", &limit)]).send().await;
                statuses.push(r.expect("answered").status().as_u16());
            }
            statuses
        });
        for status in statuses {
            prop_assert!(status == 200 || status == 400, "status {}", status);
        }
    }

    #[test]
    fn no_path_causes_a_server_error(path in "/[ -~]{0,100}", method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("PATCH"), Just("OPTIONS")]) {
        let s = shared();
        let path = path.replace(['#', ' ', '?'], "_");
        let status = s.runtime.block_on(async {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            match s.app.http.request(method, format!("{}{}", s.app.base, path)).header("user-agent", BROWSER).send().await {
                Ok(r) => r.status().as_u16(),
                // reqwest refuses some URLs itself; nothing reached the server.
                Err(e) if e.is_builder() => 400,
                Err(e) => panic!("no answer: {e}"),
            }
        });
        prop_assert!(status < 500, "status {}", status);
    }

    #[test]
    fn no_header_causes_a_server_error(
        headers in proptest::collection::vec(
            (
                prop_oneof![
                    Just("x-forwarded-for"), Just("x-forwarded-proto"), Just("origin"), Just("referer"),
                    Just("accept-language"), Just("accept"), Just("user-agent"), Just("cookie"),
                    Just("if-none-match"), Just("content-length"), Just("authorization"),
                    Just("access-control-request-method"), Just("access-control-request-headers"),
                ],
                "[ -~]{0,120}",
            ),
            0..6,
        ),
        path in prop_oneof![
            Just("/v1/hits"), Just("/v1/counter"), Just("/v1/polls/danh-gia-cong"),
            Just("/v1/polls/danh-gia-cong/votes"), Just("/polls/danh-gia-cong"),
            Just("/polls/danh-gia-cong/results"), Just("/widget.js"), Just("/v1/counter.svg"),
        ],
        method in prop_oneof![Just("GET"), Just("POST"), Just("OPTIONS")],
    ) {
        let s = shared();
        let status = s.runtime.block_on(async {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut req = s.app.http.request(method, s.app.url(path)).body("{}");
            for (name, value) in &headers {
                if let Ok(value) = reqwest::header::HeaderValue::from_str(value) {
                    req = req.header(*name, value);
                }
            }
            match req.send().await {
                Ok(r) => r.status().as_u16(),
                // A malformed Content-Length never leaves the client.
                Err(e) if e.is_builder() || e.is_request() => 400,
                Err(e) => panic!("no answer: {e}"),
            }
        });
        prop_assert!(status < 500, "status {} for {:?}", status, headers);
    }
}
