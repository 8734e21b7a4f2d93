//! The admin API's history, exports, import and audit log: visits per day
//! and per month, each day's most-read pages, the most-read pages of a
//! span, a poll's results and ballots per day, each as JSON or, with
//! `?format=csv`, as a spreadsheet; a previous counter's history brought
//! in; and who changed what.

use http::{Request, StatusCode};
use hyper::body::Incoming;

use super::admin::AdminApi;
use super::admin_bodies::{
    AuditEntryBody, AuditLog, BallotsPerDay, DayBallotsBody, DayPages, DayVisits, ImportBody,
    MonthVisits, PageCount, PagesPerDay, TopPages, VisitsPerDay, VisitsPerMonth,
};
use super::polls::poll_id;
use super::query_param;
use crate::calendar::{Day, Month};
use crate::history::HistoryError;
use crate::http::error::ApiError;
use crate::http::export::{Sheet, wants_csv};
use crate::http::respond::{Response, json_response, media_type_is, read_body};
use crate::http::router::OpsRoute;

/// Most bytes of an imported history: 10 years of days take ~80 KiB.
const MAX_IMPORT_BODY: usize = 4 * 1024 * 1024;
/// Most pages a list of the most-read pages holds.
const MOST_TOP_PAGES: usize = 1_000;
/// Most audit entries one read returns.
const MOST_AUDIT_READ: usize = 10_000;

impl From<HistoryError> for ApiError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Span(why) => ApiError::InvalidQuery(why),
            HistoryError::Import(why) => ApiError::InvalidImport(why.to_string()),
            HistoryError::Store(e) => e.into(),
        }
    }
}

/// A `yyyy-mm-dd` (or `yyyy-mm`) query parameter, or `default`.
fn param<T: std::str::FromStr>(query: Option<&str>, name: &str, default: T) -> Result<T, ApiError> {
    match query_param(query, name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| {
            ApiError::InvalidQuery(format!(
                "{name}: {raw:?} is not a date of the form it takes"
            ))
        }),
    }
}

fn limit(query: Option<&str>, default: usize, most: usize) -> Result<usize, ApiError> {
    match query_param(query, "limit") {
        None => Ok(default),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=most).contains(&n) => Ok(n),
            _ => Err(ApiError::InvalidQuery(format!("limit must be 1 to {most}"))),
        },
    }
}

fn page_counts(pages: Vec<(crate::ids::PageId, u64)>) -> Vec<PageCount> {
    pages
        .into_iter()
        .map(|(page, views)| PageCount {
            page: page.as_str().to_owned(),
            views,
        })
        .collect()
}

impl AdminApi {
    /// Answers the history, export, import and audit routes.
    pub(super) async fn handle_history(
        &self,
        route: OpsRoute,
        id: Option<&str>,
        req: Request<Incoming>,
        who: &str,
    ) -> Result<Response, ApiError> {
        let query = req.uri().query().map(str::to_owned);
        let q = query.as_deref();
        let csv = wants_csv(q)?;
        let today = self.history.today();
        match route {
            OpsRoute::AdminDays => {
                let to = param(q, "to", today)?;
                let from = param(q, "from", to.days_before(29))?;
                self.days(from, to, csv).await
            }
            OpsRoute::AdminMonths => {
                let to = param(q, "to", today.month())?;
                let from = param(q, "from", today.days_before(334).month())?;
                self.months(from, to, csv).await
            }
            OpsRoute::AdminPages => {
                let to = param(q, "to", today)?;
                let from = param(q, "from", to)?;
                self.pages(from, to, csv).await
            }
            OpsRoute::AdminTopPages => {
                let to = param(q, "to", today)?;
                let from = param(q, "from", to.days_before(6))?;
                let limit = limit(q, 10, MOST_TOP_PAGES)?;
                self.top_pages(from, to, limit, csv).await
            }
            OpsRoute::AdminPollBallots => {
                let state = self.state(&poll_id(id)?).await?;
                let from = query_param(q, "from")
                    .map(|_| param(q, "from", today))
                    .transpose()?;
                let to = query_param(q, "to")
                    .map(|_| param(q, "to", today))
                    .transpose()?;
                self.ballots(&state.poll, from, to, csv).await
            }
            OpsRoute::AdminPollResults => {
                let state = self.state(&poll_id(id)?).await?;
                if !csv {
                    let body = self.admin_poll(&state, None);
                    return Ok(json_response(StatusCode::OK, &body));
                }
                let name = format!("tally-poll-{}-{today}", state.poll.id);
                Ok(Sheet::results(name, &state.poll, &state.votes).response())
            }
            OpsRoute::AdminImport => self.import(req, who).await,
            OpsRoute::AdminAudit => {
                let limit = limit(q, 100, MOST_AUDIT_READ)?;
                self.audit_log(limit, csv).await
            }
            _ => Err(ApiError::NotFound),
        }
    }

    async fn days(&self, from: Day, to: Day, csv: bool) -> Result<Response, ApiError> {
        let days = self.history.visits_per_day(from, to).await?;
        if csv {
            return Ok(Sheet::days(format!("tally-visits-{from}-{to}"), &days).response());
        }
        Ok(json_response(
            StatusCode::OK,
            &VisitsPerDay {
                time_zone: self.history.calendar().zone_name().to_owned(),
                total: days.iter().map(|(_, n)| n).sum(),
                days: days
                    .into_iter()
                    .map(|(d, visits)| DayVisits {
                        day: d.to_string(),
                        visits,
                    })
                    .collect(),
            },
        ))
    }

    async fn months(&self, from: Month, to: Month, csv: bool) -> Result<Response, ApiError> {
        let months = self.history.visits_per_month(from, to).await?;
        if csv {
            let name = format!("tally-visits-by-month-{from}-{to}");
            return Ok(Sheet::months(name, &months).response());
        }
        Ok(json_response(
            StatusCode::OK,
            &VisitsPerMonth {
                time_zone: self.history.calendar().zone_name().to_owned(),
                total: months.iter().map(|(_, n)| n).sum(),
                months: months
                    .into_iter()
                    .map(|(m, visits)| MonthVisits {
                        month: m.to_string(),
                        visits,
                    })
                    .collect(),
            },
        ))
    }

    async fn pages(&self, from: Day, to: Day, csv: bool) -> Result<Response, ApiError> {
        let days = self.history.pages_per_day(from, to).await?;
        if csv {
            let rows = days
                .iter()
                .flat_map(|(day, pages)| {
                    pages.iter().map(move |(p, n)| {
                        vec![day.to_string(), p.as_str().to_owned(), n.to_string()]
                    })
                })
                .collect();
            return Ok(Sheet {
                name: format!("tally-page-views-{from}-{to}"),
                header: &["date", "page", "views"],
                rows,
            }
            .response());
        }
        Ok(json_response(
            StatusCode::OK,
            &PagesPerDay {
                top_pages: self.history.top_pages(),
                days_kept: self.history.page_days(),
                days: days
                    .into_iter()
                    .map(|(day, pages)| DayPages {
                        day: day.to_string(),
                        pages: page_counts(pages),
                    })
                    .collect(),
            },
        ))
    }

    async fn top_pages(
        &self,
        from: Day,
        to: Day,
        limit: usize,
        csv: bool,
    ) -> Result<Response, ApiError> {
        let pages = self.history.top_pages_over(from, to, limit).await?;
        if csv {
            return Ok(Sheet {
                name: format!("tally-top-pages-{from}-{to}"),
                header: &["page", "views"],
                rows: pages
                    .iter()
                    .map(|(p, n)| vec![p.as_str().to_owned(), n.to_string()])
                    .collect(),
            }
            .response());
        }
        Ok(json_response(
            StatusCode::OK,
            &TopPages {
                from: from.to_string(),
                to: to.min(self.history.today()).to_string(),
                pages: page_counts(pages),
            },
        ))
    }

    async fn ballots(
        &self,
        poll: &crate::poll::Poll,
        from: Option<Day>,
        to: Option<Day>,
        csv: bool,
    ) -> Result<Response, ApiError> {
        let days = self.history.ballots_per_day(poll, from, to).await?;
        let options: Vec<String> = poll.option_ids().map(|o| o.as_str().to_owned()).collect();
        if csv {
            let rows = days
                .iter()
                .flat_map(|d| {
                    poll.options.iter().zip(&d.votes).map(|(o, n)| {
                        vec![
                            d.day.to_string(),
                            o.id.as_str().to_owned(),
                            o.label.clone(),
                            n.to_string(),
                        ]
                    })
                })
                .collect();
            return Ok(Sheet {
                name: format!("tally-poll-{}-ballots-per-day", poll.id),
                header: &["date", "option", "label", "votes"],
                rows,
            }
            .response());
        }
        Ok(json_response(
            StatusCode::OK,
            &BallotsPerDay {
                poll: poll.id.as_str().to_owned(),
                options,
                days: days
                    .into_iter()
                    .map(|d| DayBallotsBody {
                        day: d.day.to_string(),
                        votes: d.votes,
                        voters: d.voters,
                    })
                    .collect(),
            },
        ))
    }

    async fn import(&self, req: Request<Incoming>, who: &str) -> Result<Response, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_body(&parts.headers, body, MAX_IMPORT_BODY).await?;
        if !media_type_is(&parts.headers, &["text/csv", "text/plain"]) {
            return Err(ApiError::UnsupportedMediaType {
                expected: "text/csv",
            });
        }
        let imported = self
            .history
            .import_visits(who, &bytes, &self.editing.audit)
            .await?;
        Ok(json_response(
            StatusCode::OK,
            &ImportBody {
                days: imported.days,
                changed: imported.changed,
                added: imported.added,
            },
        ))
    }

    async fn audit_log(&self, limit: usize, csv: bool) -> Result<Response, ApiError> {
        let calendar = self.history.calendar();
        let entries: Vec<AuditEntryBody> = self
            .editing
            .audit
            .recent(limit)
            .await?
            .into_iter()
            .map(|e| AuditEntryBody {
                at: calendar.local(e.at),
                who: e.who,
                action: e.action.as_str().to_owned(),
                target: e.target,
                before: e.before,
                after: e.after,
            })
            .collect();
        if csv {
            let json =
                |v: &Option<serde_json::Value>| v.as_ref().map_or(String::new(), |v| v.to_string());
            return Ok(Sheet {
                name: format!("tally-audit-{}", self.history.today()),
                header: &["at", "who", "action", "target", "before", "after"],
                rows: entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.at.clone(),
                            e.who.clone(),
                            e.action.clone(),
                            e.target.clone(),
                            json(&e.before),
                            json(&e.after),
                        ]
                    })
                    .collect(),
            }
            .response());
        }
        Ok(json_response(StatusCode::OK, &AuditLog { entries }))
    }
}
