//! A static asset held in memory in each encoding it is served in
//! (identity, gzip, brotli), compressed once, and the answer to a request
//! for it: the encoding its `Accept-Encoding` prefers, with `Vary`, the
//! length and an entity tag of that encoding.

use std::io::Write;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::edge::respond::{Response, bytes_response};

/// A content coding tally serves its assets in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Br,
}

impl Coding {
    /// Its `Content-Encoding` token; none for identity.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }
}

/// One asset: its media type, its version (10 hex digits of the BLAKE3
/// hash of its identity bytes) and its bytes in each coding.
pub struct Asset {
    content_type: &'static str,
    version: String,
    identity: Bytes,
    gzip: Bytes,
    br: Bytes,
}

impl Asset {
    /// Compresses `body` in each coding, at the encoders' best levels: it
    /// is done once per process, and every answer after it is a copy.
    pub fn new(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let identity: Bytes = body.into();
        let version = blake3::hash(&identity).to_hex()[..10].to_owned();
        Self {
            content_type,
            version,
            gzip: gzip(&identity).into(),
            br: brotli(&identity).into(),
            identity,
        }
    }

    /// 10 hex digits of the content's hash: its versioned name and ETag.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The bytes in `coding`.
    pub fn body(&self, coding: Coding) -> &Bytes {
        match coding {
            Coding::Identity => &self.identity,
            Coding::Gzip => &self.gzip,
            Coding::Br => &self.br,
        }
    }

    /// The entity tag of the asset in `coding`: each coding has its own,
    /// since its bytes differ.
    pub fn etag(&self, coding: Coding) -> String {
        match coding.token() {
            None => format!("\"{}\"", self.version),
            Some(token) => format!("\"{}-{token}\"", self.version),
        }
    }

    /// The answer to a `GET` (or `HEAD`) with `request`'s headers: the
    /// preferred coding, `304` when `If-None-Match` names its tag.
    pub fn answer(&self, request: &HeaderMap, cache: &'static str) -> Response {
        let coding = negotiate(request);
        let etag = self.etag(coding);
        let fresh = request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim() == etag || tag.trim() == "*");
        let mut response = if fresh {
            bytes_response(StatusCode::NOT_MODIFIED, self.content_type, cache, "")
        } else {
            let body = self.body(coding).clone();
            let length = HeaderValue::from(body.len());
            let mut response = bytes_response(StatusCode::OK, self.content_type, cache, body);
            // Set here so that a HEAD, whose body is dropped, says it too.
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, length);
            if let Some(token) = coding.token() {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
            }
            response
        };
        let headers = response.headers_mut();
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, etag);
        }
        response
    }
}

/// The coding a request's `Accept-Encoding` prefers: brotli or gzip, the
/// higher q-value first and brotli on a tie; `*` stands for a coding not
/// named; `q=0` refuses one. Identity when neither is acceptable (or the
/// header is absent): every client reads it.
pub fn negotiate(request: &HeaderMap) -> Coding {
    let (mut br, mut gzip, mut any) = (None, None, None);
    let values = request.get_all(header::ACCEPT_ENCODING);
    for item in values
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, v)| v.trim().parse::<f32>().unwrap_or(0.0));
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        match name.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => any = Some(q),
            _ => {}
        }
    }
    let br = br.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Coding::Br
    } else if gzip > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .expect("compressing into memory cannot fail")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    // Quality 11 (the best), in the smallest window that holds the whole
    // asset (a window is 2^bits less 16 bytes): a larger one compresses
    // no better, and quality 11 takes eight bytes of memory per byte of
    // window: a 4 MiB one allocated 32 MiB at every start, for assets of a
    // few KiB.
    let bits = (usize::BITS - (bytes.len() + 16).leading_zeros()).clamp(10, 24);
    let mut encoder = brotli::CompressorWriter::new(Vec::new(), 4096, 11, bits);
    encoder
        .write_all(bytes)
        .expect("compressing into memory cannot fail");
    encoder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn brotli_in_a_window_of_the_assets_size_reads_back_whole() {
        // Text that repeats from far back: found again only when the
        // window reaches that far.
        let mut seed = 1u32;
        let block: Vec<u8> = (0..20_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 24) as u8
            })
            .collect();
        for len in [0, 1, 1_000, 30_000, 40_000] {
            let asset: Vec<u8> = block.iter().cycle().take(len).copied().collect();
            let packed = brotli(&asset);
            let mut read = Vec::new();
            brotli::Decompressor::new(&packed[..], 4096)
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(read, asset, "{len} bytes");
            if len == 40_000 {
                assert!(
                    packed.len() < 25_000,
                    "the repeat is found: {}",
                    packed.len()
                );
            }
        }
    }

    #[test]
    fn the_preferred_acceptable_coding_is_chosen() {
        for (accept, coding) in [
            ("gzip", Coding::Gzip),
            ("br", Coding::Br),
            ("gzip, br", Coding::Br),
            ("gzip, deflate, br, zstd", Coding::Br),
            ("br;q=0, gzip", Coding::Gzip),
            ("br;q=0.5, gzip;q=0.8", Coding::Gzip),
            ("BR;Q=1, gzip;q=1", Coding::Br),
            ("*", Coding::Br),
            ("*;q=0.1, br;q=0", Coding::Gzip),
            ("gzip;q=0, br;q=0", Coding::Identity),
            ("identity", Coding::Identity),
            ("deflate", Coding::Identity),
            ("", Coding::Identity),
        ] {
            assert_eq!(negotiate(&accepting(accept)), coding, "{accept}");
        }
        assert_eq!(negotiate(&HeaderMap::new()), Coding::Identity);
    }

    #[test]
    fn each_coding_has_its_own_tag_and_the_same_content() {
        let asset = Asset::new("text/plain", "tally ".repeat(100));
        let tags = [Coding::Identity, Coding::Gzip, Coding::Br].map(|c| asset.etag(c));
        assert_eq!(tags[0], format!("\"{}\"", asset.version()));
        assert!(tags[1] != tags[0] && tags[2] != tags[0] && tags[1] != tags[2]);
        let mut gunzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&asset.body(Coding::Gzip)[..]),
            &mut gunzipped,
        )
        .unwrap();
        assert_eq!(gunzipped, asset.body(Coding::Identity)[..]);
        let answer = asset.answer(&accepting("br"), "no-store");
        assert_eq!(answer.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(answer.headers()[header::VARY], "accept-encoding");
        let mut again = accepting("br");
        again.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&tags[2]).unwrap(),
        );
        assert_eq!(asset.answer(&again, "no-store").status(), 304);
        again.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&tags[1]).unwrap(),
        );
        assert_eq!(asset.answer(&again, "no-store").status(), 200);
    }
}
