//! What the counter and the polls were, day by day: visits per day and per
//! month, the most-read pages of a span of days, a poll's ballots per day,
//! and a previous counter's history brought in.
//!
//! The store keeps one number per day for visits (for good), each day's
//! most-read pages for `TALLY_HISTORY_PAGE_DAYS` days, and a poll's
//! ballots per day and option for as long as the poll; this service reads
//! them for a span of days and checks the span; `imports.rs` brings a
//! previous counter's history in.

use std::collections::HashMap;
use std::sync::Arc;

use thiserror::Error;

use crate::calendar::{Calendar, Day, Month};
use crate::clock::Clock;
use crate::ids::{PageId, SiteId};
use crate::poll::Poll;
use crate::site::Site;
use crate::store::{Store, StoreError, VOTERS_FIELD};

pub mod import;
mod imports;
pub use import::ImportError;
pub use imports::IMPORT_ANSWERED_WITHIN;

/// The longest span one read covers: 20 years of days.
pub const MOST_DAYS: u32 = 7_320;

/// Why a history read or an import was refused.
#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("{0}")]
    Span(String),
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Nothing changed: the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An import whose outcome is not known: the store stopped answering
    /// before it could say (every day is in, or none).
    #[error("the import's outcome is not known: {0}")]
    Unsettled(StoreError),
}

/// A day's ballots, per option in the poll's order, and its voters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayBallots {
    pub day: Day,
    pub votes: Vec<u64>,
    pub voters: u64,
}

/// The site's history.
pub struct History {
    store: Arc<dyn Store>,
    site: SiteId,
    calendar: Calendar,
    clock: Arc<dyn Clock>,
    /// Most-read pages each past day keeps.
    top_pages: u32,
    /// Days each day's most-read pages are kept.
    page_days: u32,
}

impl History {
    pub fn new(site: Site, top_pages: u32, page_days: u32) -> Self {
        Self {
            store: site.store,
            site: site.id,
            calendar: site.calendar,
            clock: site.clock,
            top_pages,
            page_days,
        }
    }

    /// Today, in the portal's zone.
    pub fn today(&self) -> Day {
        self.calendar.day(self.clock.now())
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Most pages a day's list holds.
    pub fn top_pages(&self) -> u32 {
        self.top_pages
    }

    /// Days each day's most-read pages are kept.
    pub fn page_days(&self) -> u32 {
        self.page_days
    }

    /// `from..=to`, checked: in order, not after today, at most
    /// [`MOST_DAYS`] long.
    pub fn span(&self, from: Day, to: Day) -> Result<(Day, Day), HistoryError> {
        let today = self.today();
        if from > to {
            return Err(HistoryError::Span("from must not be after to".into()));
        }
        let to = to.min(today);
        if from.through(to).nth(MOST_DAYS as usize).is_some() {
            return Err(HistoryError::Span(format!(
                "a span of at most {MOST_DAYS} days"
            )));
        }
        Ok((from, to))
    }

    /// Visits on each day of `from..=to` (imported ones too).
    pub async fn visits_per_day(
        &self,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, u64)>, HistoryError> {
        let (from, to) = self.span(from, to)?;
        if from > to {
            return Ok(Vec::new());
        }
        let visits = self.store.visits_by_day(&self.site, from, to).await?;
        Ok(from.through(to).zip(visits).collect())
    }

    /// Visits in each month of `from..=to`.
    pub async fn visits_per_month(
        &self,
        from: Month,
        to: Month,
    ) -> Result<Vec<(Month, u64)>, HistoryError> {
        let days = self.visits_per_day(from.first_day(), to.last_day()).await?;
        let mut months: Vec<(Month, u64)> = Vec::new();
        for (day, visits) in days {
            match months.last_mut() {
                Some((month, sum)) if *month == day.month() => *sum += visits,
                _ => months.push((day.month(), visits)),
            }
        }
        Ok(months)
    }

    /// Each day's most-read pages (at most `TALLY_HISTORY_TOP_PAGES`), for
    /// the days of `from..=to` still kept.
    pub async fn pages_per_day(
        &self,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, Vec<(PageId, u64)>)>, HistoryError> {
        let (from, to) = self.span(from, to)?;
        let kept_from = self.today().days_before(self.page_days.saturating_sub(1));
        let days: Vec<Day> = from.max(kept_from).through(to).collect();
        let pages = self
            .store
            .pages_by_day(&self.site, &days, self.top_pages)
            .await?;
        Ok(days.into_iter().zip(pages).collect())
    }

    /// The `limit` most-read pages over `from..=to`: the sum of each day's
    /// most-read pages (a page read a little every day but never among a
    /// day's top pages is not seen).
    pub async fn top_pages_over(
        &self,
        from: Day,
        to: Day,
        limit: usize,
    ) -> Result<Vec<(PageId, u64)>, HistoryError> {
        let mut sums: HashMap<PageId, u64> = HashMap::new();
        for (_, pages) in self.pages_per_day(from, to).await? {
            for (page, views) in pages {
                *sums.entry(page).or_default() += views;
            }
        }
        let mut top: Vec<(PageId, u64)> = sums.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(b.0.as_str())));
        top.truncate(limit);
        Ok(top)
    }

    /// `page`'s views on each day of `from..=to`: 0 on a day before those
    /// kept ([`Self::page_days`]) or on which it was not among the day's
    /// most-read pages once the day was over.
    pub async fn page_per_day(
        &self,
        page: &PageId,
        from: Day,
        to: Day,
    ) -> Result<Vec<(Day, u64)>, HistoryError> {
        let (from, to) = self.span(from, to)?;
        let days: Vec<Day> = from.through(to).collect();
        let views = self.store.page_by_day(&self.site, page, &days).await?;
        Ok(days.into_iter().zip(views).collect())
    }

    /// The ballots of `poll`, a poll of `site` (the sites share one store,
    /// each site's keys under its id), on each day from its first ballot
    /// (or `from`) to today (or `to`): per option, in the poll's order.
    pub async fn ballots_per_day_of(
        &self,
        site: &SiteId,
        poll: &Poll,
        from: Option<Day>,
        to: Option<Day>,
    ) -> Result<Vec<DayBallots>, HistoryError> {
        let counts = self.store.ballots_by_day(site, &poll.id).await?;
        let first = counts.iter().map(|(day, _, _)| *day).min();
        let to = to.unwrap_or_else(|| self.today());
        let Some(from) = from.or(first) else {
            return Ok(Vec::new());
        };
        let (from, to) = self.span(from, to)?;
        let mut days: Vec<DayBallots> = from
            .through(to)
            .map(|day| DayBallots {
                day,
                votes: vec![0; poll.options.len()],
                voters: 0,
            })
            .collect();
        let index: HashMap<Day, usize> = days.iter().enumerate().map(|(i, d)| (d.day, i)).collect();
        for (day, option, n) in counts {
            let Some(row) = index.get(&day).map(|&i| &mut days[i]) else {
                continue;
            };
            if option == VOTERS_FIELD {
                row.voters = n;
            } else if let Some(i) = poll.options.iter().position(|o| o.id.as_str() == option) {
                row.votes[i] = n;
            }
        }
        Ok(days)
    }
}
