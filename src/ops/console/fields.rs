//! A posted form's fields, as the console's pages read them: URL-encoded,
//! or `multipart/form-data` when a form sends a file.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use bytes::Bytes;
use http::{HeaderMap, header};

/// A posted form's fields (the last of each name, and every value of a
/// repeated one on request), and its files' contents by field name.
pub struct Fields(Vec<(String, String)>, Vec<(String, Bytes)>);

impl Fields {
    pub(super) fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            Vec::new(),
        )
    }

    /// A form as its content type says; `None` if it cannot be read.
    pub(super) async fn read(headers: &HeaderMap, body: Bytes) -> Option<Self> {
        let multipart = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            return Some(Self::parse(&body));
        }
        let mut req = http::Request::new(Body::from(body));
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            headers.get(header::CONTENT_TYPE)?.clone(),
        );
        let mut parts = Multipart::from_request(req, &()).await.ok()?;
        let (mut fields, mut files) = (Vec::new(), Vec::new());
        while let Some(part) = parts.next_field().await.ok()? {
            let name = part.name().unwrap_or("").to_owned();
            if part.file_name().is_some() {
                files.push((name, part.bytes().await.ok()?));
            } else {
                fields.push((name, part.text().await.ok()?));
            }
        }
        Some(Self(fields, files))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated field, in the form's order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The contents of the file sent as `name`, if one was.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.1
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }
}
