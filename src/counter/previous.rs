//! Last week's and last month's visits (*tuần trước*, *tháng trước*):
//! periods that are over, read from the history once and kept until the
//! day turns, or for [`KEPT_FOR`] at most (an import, or another replica's
//! last flush of a period, can still change them).

use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::calendar::Day;
use crate::ids::SiteId;
use crate::store::Store;

/// How long figures read from the history are used.
const KEPT_FOR: Duration = Duration::from_secs(60);

/// Visits of the periods before the current ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Previous {
    /// Monday to Sunday, the week before this one.
    pub last_week: u64,
    /// The calendar month before this one.
    pub last_month: u64,
}

/// The figures last read, for the day they were read on.
#[derive(Default)]
pub struct Kept(Mutex<Option<(Day, Instant, Previous)>>);

impl Kept {
    /// The previous periods as seen on `today`: kept figures while fresh,
    /// else read from the history (the last ones kept, or zeros, when it
    /// cannot be read).
    pub async fn of(&self, store: &dyn Store, site: &SiteId, today: Day) -> Previous {
        let kept = {
            let mut kept = self.0.lock();
            let last = *kept;
            if let Some((day, at, figures)) = last
                && day == today
                && at.elapsed() < KEPT_FOR
            {
                return figures;
            }
            // This call reads; the ones meanwhile answer what is kept, so
            // a busy counter reads the history once, not once a request.
            let figures = last.map(|(_, _, figures)| figures).unwrap_or_default();
            *kept = Some((today, Instant::now(), figures));
            last
        };
        let week_start = today.days_before(u32::from(
            today
                .date()
                .weekday()
                .to_monday_zero_offset()
                .unsigned_abs(),
        ));
        let (week_from, week_to) = (week_start.days_before(7), week_start.days_before(1));
        let month_to = today.month().first_day().days_before(1);
        let month_from = month_to.month().first_day();
        let from = week_from.min(month_from);
        let to = week_to.max(month_to);
        let Ok(days) = store.visits_by_day(site, from, to).await else {
            return kept.map(|(_, _, figures)| figures).unwrap_or_default();
        };
        let sum = |a: Day, b: Day| -> u64 {
            from.through(to)
                .zip(&days)
                .filter(|(day, _)| (a..=b).contains(day))
                .map(|(_, n)| n)
                .sum()
        };
        let figures = Previous {
            last_week: sum(week_from, week_to),
            last_month: sum(month_from, month_to),
        };
        *self.0.lock() = Some((today, Instant::now(), figures));
        figures
    }
}
