//! The history routes' answers, each as JSON or as a spreadsheet (the
//! CSV an office opens): visits per day and month, pages per day, the
//! most-read pages, a poll's ballots per day, an import's outcome, the
//! audit log.

use axum::body::Body;
use http::{HeaderMap, StatusCode};

use super::AdminApi;
use super::bodies::{
    AuditEntryBody, AuditLog, BallotsPerDay, DayBallotsBody, DayPages, DayVisits, ImportBody,
    MonthVisits, PageCount, PagesPerDay, TopPages, VisitsPerDay, VisitsPerMonth,
};
use crate::calendar::{Day, Month};
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, json_response, media_type_is, read_body};
use crate::edge::text::Lang;
use crate::ids::SiteId;
use crate::ops::export::Form;
use crate::ops::sheets::{self, AuditRow, Reader};

/// Most bytes of an imported history: 10 years of days take ~80 KiB.
const MAX_IMPORT_BODY: usize = 4 * 1024 * 1024;

impl AdminApi {
    /// Whom a sheet in `form` is for: a script for `csv`, else a person in
    /// the site's language or the one `?lang=` asks.
    pub(super) fn reader(&self, form: Form, query: Option<&str>) -> Reader {
        match form {
            Form::Csv => Reader::Script,
            Form::CsvVi | Form::Xlsx => Reader::Person(Lang::choose(query, self.lang)),
        }
    }
}

/// The list of pages as the answers write them.
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
    pub(super) async fn days(
        &self,
        from: Day,
        to: Day,
        form: Option<Form>,
        query: Option<&str>,
    ) -> Result<Response, ApiError> {
        let days = self.history.visits_per_day(from, to).await?;
        if let Some(form) = form {
            let reader = self.reader(form, query);
            return Ok(sheets::days(&days, from, to, reader).response(form));
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

    pub(super) async fn months(
        &self,
        from: Month,
        to: Month,
        form: Option<Form>,
        query: Option<&str>,
    ) -> Result<Response, ApiError> {
        let months = self.history.visits_per_month(from, to).await?;
        if let Some(form) = form {
            let reader = self.reader(form, query);
            return Ok(sheets::months(&months, reader).response(form));
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

    pub(super) async fn pages(
        &self,
        from: Day,
        to: Day,
        form: Option<Form>,
        query: Option<&str>,
    ) -> Result<Response, ApiError> {
        let days = self.history.pages_per_day(from, to).await?;
        if let Some(form) = form {
            let reader = self.reader(form, query);
            return Ok(sheets::pages_per_day(&days, from, to, reader).response(form));
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

    pub(super) async fn top_pages(
        &self,
        from: Day,
        to: Day,
        limit: usize,
        form: Option<Form>,
        query: Option<&str>,
    ) -> Result<Response, ApiError> {
        let pages = self.history.top_pages_over(from, to, limit).await?;
        if let Some(form) = form {
            let reader = self.reader(form, query);
            return Ok(sheets::top_pages(&pages, from, to, reader).response(form));
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

    pub(super) async fn ballots(
        &self,
        site: &SiteId,
        poll: &crate::poll::Poll,
        from: Option<Day>,
        to: Option<Day>,
        form: Option<Form>,
        query: Option<&str>,
    ) -> Result<Response, ApiError> {
        let days = self
            .history
            .ballots_per_day_of(site, poll, from, to)
            .await?;
        let options: Vec<String> = poll.option_ids().map(|o| o.as_str().to_owned()).collect();
        if let Some(form) = form {
            let reader = self.reader(form, query);
            return Ok(sheets::ballots(poll, &days, reader).response(form));
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

    pub(super) async fn import(
        &self,
        headers: &HeaderMap,
        body: Body,
        who: &str,
    ) -> Result<Response, ApiError> {
        let bytes = read_body(headers, body, MAX_IMPORT_BODY).await?;
        if !media_type_is(headers, &["text/csv", "text/plain"]) {
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

    pub(super) async fn audit_log(
        &self,
        site: &SiteId,
        limit: usize,
        form: Option<Form>,
        query: Option<&str>,
    ) -> Result<Response, ApiError> {
        let calendar = self.history.calendar();
        let entries: Vec<AuditEntryBody> = self
            .polls_of(site)?
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
        if let Some(form) = form {
            let json =
                |v: &Option<serde_json::Value>| v.as_ref().map_or(String::new(), |v| v.to_string());
            let rows: Vec<AuditRow> = entries
                .iter()
                .map(|e| {
                    [
                        e.at.clone(),
                        e.who.clone(),
                        e.action.clone(),
                        e.target.clone(),
                        json(&e.before),
                        json(&e.after),
                    ]
                })
                .collect();
            let reader = self.reader(form, query);
            let today = self.history.today();
            return Ok(sheets::audit(&rows, today, reader).response(form));
        }
        Ok(json_response(StatusCode::OK, &AuditLog { entries }))
    }
}
