//! The static assets as bytes on the wire: the widget and its solver in
//! the encoding `Accept-Encoding` asks for (q-values respected), each
//! encoding the same script once decoded, with `Vary`, its own ETag and its
//! length, `HEAD` saying the same; the versioned names cached for a year;
//! and the widget small enough to send on every page view.

use std::io::Read;

use crate::support::{Backend, Home, TestApp};

/// The most the widget may weigh gzipped: it is sent on every page view
/// (8 KiB; the solver is fetched only for a challenged poll).
const WIDGET_GZIP_MOST: usize = 8192;

struct Got {
    encoding: Option<String>,
    vary: String,
    etag: String,
    length: usize,
    cache: String,
    body: Vec<u8>,
}

async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> Got {
    let mut req = app.http.get(app.url(path));
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200, "{path} {accept:?}");
    let h = r.headers().clone();
    let text = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_owned());
    let vary: Vec<_> = h
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let body = r.bytes().await.unwrap().to_vec();
    let length: usize = text("content-length").unwrap().parse().unwrap();
    assert_eq!(length, body.len(), "{path} {accept:?}: Content-Length");
    Got {
        encoding: text("content-encoding"),
        vary: vary.join(", ").to_ascii_lowercase(),
        etag: text("etag").unwrap(),
        length,
        cache: text("cache-control").unwrap(),
        body,
    }
}

fn decode(got: &Got) -> Vec<u8> {
    let mut out = Vec::new();
    match got.encoding.as_deref() {
        None => out.clone_from(&got.body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(&got.body[..])
                .read_to_end(&mut out)
                .unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(&got.body[..], 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
    out
}

/// Each `Accept-Encoding` answered as it asks; every encoding decodes to
/// the identity bytes. Returns the sizes: identity, gzip, brotli.
async fn every_encoding(app: &TestApp, path: &str) -> [usize; 3] {
    let identity = get(app, path, None).await;
    assert_eq!(identity.encoding, None, "{path}");
    let mut tags = vec![identity.etag.clone()];
    let mut sizes = [identity.length, 0, 0];
    for (accept, expected) in [
        ("gzip", Some("gzip")),
        ("br", Some("br")),
        ("gzip, br", Some("br")),
        ("br;q=0, gzip", Some("gzip")),
        ("gzip;q=0, br;q=0", None),
        ("identity", None),
    ] {
        let got = get(app, path, Some(accept)).await;
        assert_eq!(got.encoding.as_deref(), expected, "{path} {accept}");
        assert!(
            got.vary.contains("accept-encoding"),
            "{path} {accept}: Vary {}",
            got.vary
        );
        assert_eq!(decode(&got), identity.body, "{path} {accept}: decoded");
        assert_eq!(got.cache, identity.cache, "{path} {accept}");
        match expected {
            Some("gzip") => sizes[1] = got.length,
            Some("br") => sizes[2] = got.length,
            _ => assert_eq!(got.etag, identity.etag, "{path} {accept}"),
        }
        if !tags.contains(&got.etag) {
            tags.push(got.etag);
        }
    }
    assert_eq!(tags.len(), 3, "{path}: one ETag per encoding: {tags:?}");
    assert!(identity.vary.contains("accept-encoding"), "{path}: Vary");
    sizes
}

#[tokio::test]
async fn assets_are_served_compressed_as_asked_and_the_widget_stays_small() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |_| {}).await;

    let widget = every_encoding(&app, "/widget.js").await;
    let solver = every_encoding(&app, "/solver.js").await;
    for path in ["/pages.css", "/demo.css", "/demo"] {
        every_encoding(&app, path).await;
    }
    println!(
        "widget.js bytes: identity {}, gzip {}, brotli {}",
        widget[0], widget[1], widget[2]
    );
    println!(
        "solver.js bytes: identity {}, gzip {}, brotli {}",
        solver[0], solver[1], solver[2]
    );
    assert!(
        widget[1] <= WIDGET_GZIP_MOST,
        "widget.js is {} bytes gzipped, more than {WIDGET_GZIP_MOST}",
        widget[1]
    );
    assert!(widget[2] < widget[1] && widget[1] < widget[0]);

    // HEAD says what GET says, without the body.
    let head = app
        .http
        .head(app.url("/widget.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["content-encoding"], "br");
    assert_eq!(
        head.headers()["content-length"],
        widget[2].to_string().as_str()
    );
    assert!(
        head.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("accept-encoding")
    );

    // A tag is current for its own encoding only.
    let br = get(&app, "/widget.js", Some("br")).await;
    let revalidate = |accept: &'static str, tag: &str| {
        app.http
            .get(app.url("/widget.js"))
            .header("accept-encoding", accept)
            .header("if-none-match", tag)
            .send()
    };
    let fresh = revalidate("br", &br.etag).await.unwrap();
    assert_eq!(fresh.status(), 304);
    assert_eq!(fresh.headers()["etag"], br.etag.as_str());
    assert_eq!(revalidate("gzip", &br.etag).await.unwrap().status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn the_versioned_names_are_cached_for_a_year() {
    let home = Home::new(Backend::Embedded);
    let app = TestApp::start(&home, |_| {}).await;
    let plain = get(&app, "/widget.js", None).await;
    assert_eq!(plain.cache, "public, max-age=300, must-revalidate");
    let version = plain.etag.trim_matches('"').to_owned();
    assert_eq!(version.len(), 10, "{version}");

    let widget = get(&app, &format!("/widget.{version}.js"), Some("gzip")).await;
    assert_eq!(widget.cache, "public, max-age=31536000, immutable");
    assert_eq!(decode(&widget), plain.body);

    // The widget names its solver's versioned file.
    let script = String::from_utf8(plain.body).unwrap();
    let at = script.find("\"solver.").expect("the solver's name") + "\"solver.".len();
    let solver_version = &script[at..at + 10];
    let solver = get(&app, &format!("/solver.{solver_version}.js"), Some("br")).await;
    assert_eq!(solver.cache, "public, max-age=31536000, immutable");
    assert_eq!(decode(&solver), get(&app, "/solver.js", None).await.body);

    // An earlier version's name is no longer served.
    let stale = app
        .http
        .get(app.url("/widget.0123456789.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);
    app.stop().await;
}
