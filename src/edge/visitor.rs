//! What a request says about its visitor, read from its headers: the
//! `tally_vid` cookie and the widget's first-party id (`Tally-Visitor`);
//! and the cookie given with an answer. Who that makes the visitor is the
//! domain's to decide ([`crate::identity`]).

use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header};

use super::client::Client;
use super::error::ApiError;
use crate::identity::Claims;
use crate::ids::VisitorKey;

/// The visitor cookie's name.
pub const COOKIE_NAME: &str = "tally_vid";
/// The header that carries the widget's first-party id.
pub const VISITOR_HEADER: &str = "tally-visitor";
/// Two years.
const COOKIE_MAX_AGE: cookie::time::Duration = cookie::time::Duration::days(2 * 365);

/// The request's `tally_vid` cookie, if it sends a well-formed one.
fn cookie_visitor(headers: &HeaderMap) -> Option<VisitorKey> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE_NAME)
        .and_then(|c| VisitorKey::from_cookie(c.value_trimmed()))
}

/// The request's first-party id (`Tally-Visitor`). Only the widget sends
/// it, so it is taken exactly as sent: one value of 36 lowercase hex
/// digits, nothing around them (no trimming); anything else is refused.
fn first_party_visitor(headers: &HeaderMap) -> Result<Option<VisitorKey>, ApiError> {
    let mut values = headers.get_all(VISITOR_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::InvalidVisitor);
    }
    std::str::from_utf8(value.as_bytes())
        .ok()
        .and_then(VisitorKey::from_cookie)
        .map(Some)
        .ok_or(ApiError::InvalidVisitor)
}

/// What the request claims; a malformed first-party id is refused, even
/// beside a cookie.
pub fn claims(headers: &HeaderMap) -> Result<Claims, ApiError> {
    let first_party = first_party_visitor(headers)?;
    Ok(Claims {
        cookie: cookie_visitor(headers),
        first_party,
    })
}

/// The person a read is about, without issuing anything (see
/// [`Claims::person`]).
pub fn reader(headers: &HeaderMap) -> Result<Option<VisitorKey>, ApiError> {
    Ok(claims(headers)?.person().cloned())
}

/// The request's User-Agent, as bytes.
pub fn user_agent(headers: &HeaderMap) -> Option<&[u8]> {
    headers.get(header::USER_AGENT).map(HeaderValue::as_bytes)
}

/// The `Set-Cookie` value that gives a visitor the id `value`.
pub fn cookie_header(value: &str, client: &Client) -> Option<HeaderValue> {
    let cookie = Cookie::build((COOKIE_NAME, value))
        .max_age(COOKIE_MAX_AGE)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(client.https)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

    #[test]
    fn a_first_party_id_must_be_well_formed() {
        let good = "0123456789abcdef0123456789abcdef0123";
        let h = with("tally-visitor", good);
        assert_eq!(reader(&h).unwrap().unwrap().as_str(), format!("c.{good}"));
        assert!(reader(&HeaderMap::new()).unwrap().is_none());
        assert!(reader(&with("tally-visitor", "forged")).is_err());
        // The cookie is believed first.
        let mut both = with("tally-visitor", good);
        let other = "ffff456789abcdef0123456789abcdef0123";
        both.insert("cookie", format!("tally_vid={other}").parse().unwrap());
        assert_eq!(
            reader(&both).unwrap().unwrap().as_str(),
            format!("c.{other}")
        );
        // Exactly as sent: surrounding spaces or a second value are refused.
        for padded in [
            format!(" {good}"),
            format!("{good} "),
            format!("\t{good}\t"),
        ] {
            let h = with("tally-visitor", &padded);
            assert!(
                matches!(reader(&h), Err(ApiError::InvalidVisitor)),
                "{padded:?}"
            );
        }
        let mut twice = with("tally-visitor", good);
        twice.append("tally-visitor", good.parse().unwrap());
        assert!(matches!(reader(&twice), Err(ApiError::InvalidVisitor)));
        // A forged id is refused beside a cookie too.
        let mut forged = with("tally-visitor", "");
        forged.insert("cookie", format!("tally_vid={other}").parse().unwrap());
        assert!(matches!(reader(&forged), Err(ApiError::InvalidVisitor)));
    }

    #[test]
    fn only_a_well_formed_cookie_names_a_visitor() {
        let good = "0123456789abcdef0123456789abcdef0123";
        let h = with("cookie", &format!("other=1; tally_vid={good}; x=y"));
        assert_eq!(cookie_visitor(&h).unwrap().as_str(), format!("c.{good}"));
        assert!(cookie_visitor(&with("cookie", "tally_vid=forged")).is_none());
        assert!(cookie_visitor(&with("cookie", "tally_vidx=1")).is_none());
    }
}
