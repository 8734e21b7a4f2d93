//! The routes of both listeners, each in one table: the path template,
//! what it is, and the methods it takes. Matching, `405` with `Allow`, and
//! the route labels of metrics and logs all come from the tables.

use std::sync::LazyLock;

use http::Method;

use super::console::Page;

/// A public route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Home,
    Archive,
    Polls,
    Hits,
    Counter,
    CounterSvg,
    Pixel,
    Widget,
    Demo,
    DemoCss,
    Favicon,
    Poll,
    PollVotes,
    PollResults,
    PollEvents,
    PollChallenge,
    PollPage,
    PollResultsPage,
    PagesCss,
    OpenApi,
}

/// An ops route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpsRoute {
    Metrics,
    Health,
    Ready,
    OpenApi,
    AdminPolls,
    AdminPoll,
    AdminPollClose,
    AdminPollReopen,
    AdminPollArchive,
    AdminPollBallots,
    AdminPollResults,
    AdminBaseline,
    AdminDays,
    AdminMonths,
    AdminPages,
    AdminTopPages,
    AdminImport,
    AdminAudit,
    /// A page of the editors' console.
    Console(super::console::Page),
}

const GET: &[Method] = &[Method::GET, Method::HEAD];
const POST: &[Method] = &[Method::POST];
const PUT: &[Method] = &[Method::PUT];
const GET_POST: &[Method] = &[Method::GET, Method::HEAD, Method::POST];
const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::HEAD, Method::PUT, Method::DELETE];

/// Every public route: path template, route, methods.
pub const PUBLIC: &[(&str, Route, &[Method])] = &[
    ("/", Route::Home, GET),
    ("/polls", Route::Archive, GET),
    ("/v1/hits", Route::Hits, POST),
    ("/v1/counter", Route::Counter, GET),
    ("/v1/counter.svg", Route::CounterSvg, GET),
    ("/v1/pixel.gif", Route::Pixel, GET),
    ("/widget.js", Route::Widget, GET),
    ("/demo", Route::Demo, GET),
    ("/demo.css", Route::DemoCss, GET),
    ("/favicon.ico", Route::Favicon, GET),
    ("/v1/polls", Route::Polls, GET),
    ("/v1/polls/{id}", Route::Poll, GET),
    ("/v1/polls/{id}/votes", Route::PollVotes, POST),
    ("/v1/polls/{id}/results", Route::PollResults, GET),
    ("/v1/polls/{id}/events", Route::PollEvents, GET),
    ("/v1/polls/{id}/challenge", Route::PollChallenge, GET),
    ("/polls/{id}", Route::PollPage, GET_POST),
    ("/polls/{id}/results", Route::PollResultsPage, GET),
    ("/pages.css", Route::PagesCss, GET),
    ("/openapi.json", Route::OpenApi, GET),
];

/// Every ops route.
pub const OPS: &[(&str, OpsRoute, &[Method])] = &[
    ("/metrics", OpsRoute::Metrics, GET),
    ("/healthz", OpsRoute::Health, GET),
    ("/readyz", OpsRoute::Ready, GET),
    ("/openapi.json", OpsRoute::OpenApi, GET),
    ("/admin/polls", OpsRoute::AdminPolls, GET_POST),
    ("/admin/polls/{id}", OpsRoute::AdminPoll, GET_PUT_DELETE),
    ("/admin/polls/{id}/close", OpsRoute::AdminPollClose, POST),
    ("/admin/polls/{id}/reopen", OpsRoute::AdminPollReopen, POST),
    (
        "/admin/polls/{id}/archive",
        OpsRoute::AdminPollArchive,
        POST,
    ),
    (
        "/admin/polls/{id}/ballots-per-day",
        OpsRoute::AdminPollBallots,
        GET,
    ),
    ("/admin/polls/{id}/results", OpsRoute::AdminPollResults, GET),
    ("/admin/counter/baseline", OpsRoute::AdminBaseline, PUT),
    ("/admin/history/days", OpsRoute::AdminDays, GET),
    ("/admin/history/months", OpsRoute::AdminMonths, GET),
    ("/admin/history/pages", OpsRoute::AdminPages, GET),
    ("/admin/history/top-pages", OpsRoute::AdminTopPages, GET),
    ("/admin/history/import", OpsRoute::AdminImport, POST),
    ("/admin/audit", OpsRoute::AdminAudit, GET),
    ("/admin/", OpsRoute::Console(Page::Dashboard), GET),
    (
        "/admin/console.css",
        OpsRoute::Console(Page::Stylesheet),
        GET,
    ),
    ("/admin/sign-in", OpsRoute::Console(Page::SignIn), GET_POST),
    ("/admin/sign-out", OpsRoute::Console(Page::SignOut), POST),
    (
        "/admin/console/polls",
        OpsRoute::Console(Page::Polls),
        GET_POST,
    ),
    (
        "/admin/console/new-poll",
        OpsRoute::Console(Page::NewPoll),
        GET,
    ),
    (
        "/admin/console/polls/{id}",
        OpsRoute::Console(Page::Poll),
        GET,
    ),
    (
        "/admin/console/polls/{id}/edit",
        OpsRoute::Console(Page::EditPoll),
        GET_POST,
    ),
    (
        "/admin/console/polls/{id}/close",
        OpsRoute::Console(Page::ClosePoll),
        POST,
    ),
    (
        "/admin/console/polls/{id}/reopen",
        OpsRoute::Console(Page::ReopenPoll),
        POST,
    ),
    (
        "/admin/console/polls/{id}/archive",
        OpsRoute::Console(Page::ArchivePoll),
        GET_POST,
    ),
    (
        "/admin/console/polls/{id}/delete",
        OpsRoute::Console(Page::DeletePoll),
        GET_POST,
    ),
    ("/admin/console.js", OpsRoute::Console(Page::Script), GET),
    (
        "/admin/console/polls/{id}/results.csv",
        OpsRoute::Console(Page::PollResultsCsv),
        GET,
    ),
    (
        "/admin/console/history",
        OpsRoute::Console(Page::History),
        GET,
    ),
    (
        "/admin/console/history/days.csv",
        OpsRoute::Console(Page::HistoryDaysCsv),
        GET,
    ),
    (
        "/admin/console/history/months.csv",
        OpsRoute::Console(Page::HistoryMonthsCsv),
        GET,
    ),
    ("/admin/console/audit", OpsRoute::Console(Page::Audit), GET),
    (
        "/admin/console/import",
        OpsRoute::Console(Page::Import),
        GET_POST,
    ),
];

impl OpsRoute {
    /// Whether the route is a page of the editors' console (HTML for
    /// people, outside the API document).
    pub fn is_console(&self) -> bool {
        matches!(self, OpsRoute::Console(_))
    }
}

/// A table, ready to match paths against.
pub struct Table<R: 'static> {
    routes: &'static [(&'static str, R, &'static [Method])],
    router: matchit::Router<usize>,
}

impl<R: Copy> Table<R> {
    fn new(routes: &'static [(&'static str, R, &'static [Method])]) -> Self {
        let mut router = matchit::Router::new();
        for (i, (template, _, _)) in routes.iter().enumerate() {
            router
                .insert(*template, i)
                .expect("a route table has no conflicts");
        }
        Self { routes, router }
    }

    /// Matches `path`.
    pub fn at(&self, path: &str) -> Matched<R> {
        match self.router.at(path) {
            Ok(found) => {
                let (template, route, methods) = self.routes[*found.value];
                Matched {
                    route: Some(route),
                    index: Some(*found.value),
                    id: found.params.get("id").map(str::to_owned),
                    template,
                    methods,
                }
            }
            Err(_) => Matched {
                route: None,
                index: None,
                id: None,
                template: "unmatched",
                methods: &[],
            },
        }
    }
}

/// The public table.
pub static PUBLIC_TABLE: LazyLock<Table<Route>> = LazyLock::new(|| Table::new(PUBLIC));
/// The ops table.
pub static OPS_TABLE: LazyLock<Table<OpsRoute>> = LazyLock::new(|| Table::new(OPS));

/// A request's route, as matched once at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<R: 'static> {
    /// `None` when no route matches.
    pub route: Option<R>,
    /// The route's place in its table, to find its metric handles.
    pub index: Option<usize>,
    /// The `{id}` segment, where the template has one.
    pub id: Option<String>,
    /// The path template, as metrics and logs name the route.
    pub template: &'static str,
    /// The methods the route takes (none when unmatched).
    pub methods: &'static [Method],
}

impl<R> Matched<R> {
    /// The `Allow` header's value.
    pub fn allow(&self) -> &'static str {
        match self.methods {
            m if m == GET => "GET, HEAD",
            m if m == POST => "POST",
            m if m == PUT => "PUT",
            m if m == GET_POST => "GET, HEAD, POST",
            m if m == GET_PUT_DELETE => "GET, HEAD, PUT, DELETE",
            _ => "",
        }
    }

    /// Whether the route takes `method`.
    pub fn takes(&self, method: &Method) -> bool {
        self.methods.contains(method)
    }
}

impl Matched<Route> {
    /// Ballots and form posts fall under the stricter rate limit.
    pub fn is_ballot(&self, method: &Method) -> bool {
        self.route == Some(Route::PollVotes)
            || (self.route == Some(Route::PollPage) && method == Method::POST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_matches_its_template_and_says_what_it_allows() {
        for (template, route, _) in PUBLIC {
            let path = template.replace("{id}", "danh-gia-cong");
            let matched = PUBLIC_TABLE.at(&path);
            assert_eq!(matched.route, Some(*route), "{path}");
            assert_eq!(matched.template, *template);
            assert!(!matched.allow().is_empty(), "{template}");
        }
        for (template, route, _) in OPS {
            let matched = OPS_TABLE.at(&template.replace("{id}", "x"));
            assert_eq!(matched.route, Some(*route), "{template}");
            assert!(!matched.allow().is_empty(), "{template}");
        }
    }

    #[test]
    fn ids_are_taken_from_the_path() {
        let m = PUBLIC_TABLE.at("/v1/polls/danh-gia-cong/votes");
        assert_eq!(m.route, Some(Route::PollVotes));
        assert_eq!(m.id.as_deref(), Some("danh-gia-cong"));
        assert!(m.is_ballot(&Method::POST));
        assert!(PUBLIC_TABLE.at("/polls/x").is_ballot(&Method::POST));
        assert!(!PUBLIC_TABLE.at("/polls/x").is_ballot(&Method::GET));
        assert_eq!(PUBLIC_TABLE.at("/polls/x").allow(), "GET, HEAD, POST");
    }

    #[test]
    fn other_paths_are_unmatched() {
        for path in [
            "/v1",
            "/v1/poll",
            "/v1/polls/x/y/z",
            "/nope",
            "/polls/x/results/more",
            "/v1/hits/",
        ] {
            let m = PUBLIC_TABLE.at(path);
            assert_eq!(m.route, None, "{path}");
            assert_eq!(m.template, "unmatched");
            assert!(m.methods.is_empty());
        }
    }
}
