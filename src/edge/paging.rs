//! `?offset=` and `?limit=`: which page of a list of polls to answer,
//! described once for the documents and parsed once for every list (the
//! archive, its page, the admin API's and the console's).

use utoipa::IntoParams;

use crate::edge::error::ApiError;
use crate::edge::respond::query_param;
use crate::voting::Paging;

/// Which page of a list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "a description: the documentation reads it, requests are parsed by `paging`"
)]
pub struct PagingParams {
    /// How many polls of the list to skip: 0 (the default) is the first
    /// page, the next one starts at `offset + limit`. Past the end, the
    /// page holds no poll; `total` says how many there are.
    #[param(minimum = 0)]
    offset: Option<u32>,
    /// Most polls on the page: 1 to 200, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The page `query` asks for; a malformed or out-of-bounds `offset` or
/// `limit` is refused (`400 invalid_query`), never bent into range.
pub fn paging(query: Option<&str>) -> Result<Paging, ApiError> {
    let offset = match query_param(query, "offset") {
        None => 0,
        // The documents give it as a 32-bit integer, whose top is i32::MAX.
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|&n| n <= i32::MAX as u32)
            .ok_or_else(|| {
                ApiError::InvalidQuery(format!(
                    "offset must be a whole number from 0 to {}",
                    i32::MAX
                ))
            })?,
    };
    let limit = match query_param(query, "limit") {
        None => Paging::DEFAULT_LIMIT,
        Some(raw) => raw.parse().unwrap_or(0),
    };
    Paging::new(offset as usize, limit)
        .ok_or_else(|| ApiError::InvalidQuery(format!("limit must be 1 to {}", Paging::MOST_LIMIT)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(query: &str) -> Result<(usize, usize), String> {
        paging(Some(query))
            .map(|p| (p.offset(), p.limit()))
            .map_err(|e| e.code().to_owned())
    }

    #[test]
    fn the_first_page_of_fifty_unless_asked() {
        assert_eq!(paging(None).unwrap(), Paging::default());
        assert_eq!(asked("lang=en"), Ok((0, 50)));
        assert_eq!(asked("offset=50&limit=200"), Ok((50, 200)));
        assert_eq!(asked("limit=1&offset=2147483647"), Ok((2_147_483_647, 1)));
        assert!(asked("offset=2147483648").is_err());
    }

    #[test]
    fn the_documented_bounds_are_the_lists() {
        let described: Vec<serde_json::Value> = PagingParams::into_params(|| None)
            .into_iter()
            .map(|p| serde_json::to_value(p).unwrap())
            .collect();
        let limit = described.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["minimum"], 1);
        assert_eq!(limit["schema"]["maximum"], Paging::MOST_LIMIT);
        let offset = described.iter().find(|p| p["name"] == "offset").unwrap();
        assert_eq!(offset["schema"]["minimum"], 0);
        assert_eq!(
            asked(&format!("limit={}", Paging::MOST_LIMIT + 1)).ok(),
            None
        );
    }

    #[test]
    fn bounds_are_refused_not_bent() {
        for query in [
            "limit=0",
            "limit=201",
            "limit=",
            "limit=-1",
            "limit=1e2",
            "limit=99999999999999999999999",
            "offset=-1",
            "offset=",
            "offset=4294967296",
            "offset=%20%31",
        ] {
            assert_eq!(asked(query), Err("invalid_query".to_owned()), "{query}");
        }
    }
}
