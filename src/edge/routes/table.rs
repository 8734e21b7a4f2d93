//! The table a listener's door answers from: each template once, matched
//! once per request, with its handlers by method.
//!
//! It calls each handler through axum's `Handler` (extractors and
//! responses are axum's) but chooses it itself: axum's router would match
//! the path the door has matched already, and clone a boxed service for
//! every request it routes.

use std::ops::Range;

use axum::extract::Request;
use http::{HeaderValue, Method, header};
use http_body::Body as _;

use super::{Call, Reply};

/// One template's handlers, by method.
struct Route {
    template: &'static str,
    calls: Vec<(Method, Call)>,
    /// The methods it answers, as `Allow` says them (`GET, HEAD, POST`).
    allow: String,
}

/// The methods `calls` answer, in one order; `HEAD` wherever `GET` is.
fn allow(calls: &[(Method, Call)]) -> String {
    let answers = |m: &Method| calls.iter().any(|(c, _)| c == m);
    [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ]
    .iter()
    .filter(|m| answers(m) || (**m == Method::HEAD && answers(&Method::GET)))
    .map(Method::as_str)
    .collect::<Vec<_>>()
    .join(", ")
}

/// A listener's routes, matched once per request.
pub struct Table {
    matcher: matchit::Router<usize>,
    routes: Vec<Route>,
}

/// The route a request's path matched.
pub struct Matched {
    /// The template, or `unmatched`.
    pub template: &'static str,
    pub index: Option<usize>,
    /// Where the template's parameter (`{id}`) lies in the path.
    pub param: Option<Range<usize>>,
}

/// Why a matched path has no handler for a request.
pub enum Missed {
    NotFound,
    /// The methods the route answers, as `Allow` says them.
    NotAllowed(String),
}

impl Table {
    /// The table of `handlers` (template, method, handler).
    pub(super) fn new(handlers: impl Iterator<Item = (&'static str, Method, Call)>) -> Self {
        let mut table = Table {
            matcher: matchit::Router::new(),
            routes: Vec::new(),
        };
        for (template, method, call) in handlers {
            let index = match table.routes.iter().position(|r| r.template == template) {
                Some(index) => index,
                None => {
                    table
                        .matcher
                        .insert(template, table.routes.len())
                        .unwrap_or_else(|e| panic!("route {template}: {e}"));
                    table.routes.push(Route {
                        template,
                        calls: Vec::new(),
                        allow: String::new(),
                    });
                    table.routes.len() - 1
                }
            };
            let route = &mut table.routes[index];
            assert!(
                route.calls.iter().all(|(m, _)| *m != method),
                "route {template}: {method} declared twice"
            );
            route.calls.push((method, call));
        }
        for route in &mut table.routes {
            route.allow = allow(&route.calls);
        }
        table
    }

    /// The templates, in the order of [`Matched::index`].
    pub fn templates(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.iter().map(|r| r.template)
    }

    /// The route `path` matches.
    pub fn at(&self, path: &str) -> Matched {
        match self.matcher.at(path) {
            Ok(found) => Matched {
                template: self.routes[*found.value].template,
                index: Some(*found.value),
                param: found.params.iter().next().map(|(_, raw)| {
                    // The parameter is a slice of `path`.
                    let start = raw.as_ptr() as usize - path.as_ptr() as usize;
                    start..start + raw.len()
                }),
            },
            Err(_) => Matched {
                template: "unmatched",
                index: None,
                param: None,
            },
        }
    }

    /// Calls the handler of the route at `index` for `req`'s method
    /// (`HEAD` as `GET` where the route does not name it): an answer to
    /// `HEAD` keeps its length and loses its body, as axum's router does.
    pub fn call(&self, index: Option<usize>, req: Request) -> Result<Reply, Missed> {
        let route = index
            .and_then(|i| self.routes.get(i))
            .ok_or(Missed::NotFound)?;
        let method = req.method();
        let found = route.calls.iter().find(|(m, _)| m == method).or_else(|| {
            (*method == Method::HEAD)
                .then(|| route.calls.iter().find(|(m, _)| *m == Method::GET))
                .flatten()
        });
        let Some((_, handler)) = found else {
            return Err(Missed::NotAllowed(route.allow.clone()));
        };
        if *method != Method::HEAD {
            return Ok(handler(req));
        }
        let reply = handler(req);
        Ok(Box::pin(async move {
            let mut response = reply.await;
            if !response.headers().contains_key(header::CONTENT_LENGTH)
                && let Some(length) = response.body().size_hint().exact()
            {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            }
            *response.body_mut() = axum::body::Body::empty();
            response
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::respond::Response;
    use crate::edge::routes::Routes;

    fn answer(_: Request, _: ()) -> Reply {
        Box::pin(async { Response::new(axum::body::Body::from("answered")) })
    }

    fn table() -> Table {
        Routes::<()>::default()
            .page("/v1/polls/{id}", &[Method::GET], answer)
            .page("/v1/polls/{id}/votes", &[Method::POST], answer)
            .page("/v1/polls/{id}", &[Method::PUT], answer)
            .finish(())
            .0
    }

    fn request(method: Method) -> Request {
        Request::builder()
            .method(method)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn templates_match_once_and_name_the_rest_unmatched() {
        let t = table();
        let votes = t.at("/v1/polls/x%20y/votes");
        assert_eq!(votes.template, "/v1/polls/{id}/votes");
        assert_eq!(votes.index, Some(1));
        assert_eq!(votes.param, Some(10..15));
        let poll = t.at("/v1/polls/x");
        assert_eq!((poll.template, poll.index), ("/v1/polls/{id}", Some(0)));
        let nope = t.at("/nope");
        assert_eq!(
            (nope.template, nope.index, nope.param),
            ("unmatched", None, None)
        );
        assert_eq!(
            t.templates().collect::<Vec<_>>(),
            ["/v1/polls/{id}", "/v1/polls/{id}/votes"]
        );
    }

    #[tokio::test]
    async fn a_route_answers_its_methods_and_head_as_get_without_a_body() {
        let t = table();
        let got = t.call(Some(0), request(Method::GET)).ok().unwrap().await;
        assert_eq!(
            axum::body::to_bytes(got.into_body(), 100).await.unwrap(),
            "answered"
        );
        let head = t.call(Some(0), request(Method::HEAD)).ok().unwrap().await;
        assert_eq!(head.headers()[header::CONTENT_LENGTH], "8");
        assert!(
            axum::body::to_bytes(head.into_body(), 100)
                .await
                .unwrap()
                .is_empty()
        );
        match t.call(Some(0), request(Method::POST)) {
            Err(Missed::NotAllowed(allow)) => assert_eq!(allow, "GET, HEAD, PUT"),
            _ => panic!("POST is not a method of /v1/polls/{{id}}"),
        }
        assert!(matches!(
            t.call(None, request(Method::GET)),
            Err(Missed::NotFound)
        ));
    }
}
