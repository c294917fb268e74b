//! Periods of a series: days, ISO weeks (Monday to Sunday) and calendar
//! months, computed alike in Rust and in each database's SQL.

use chrono::{Datelike, Days, Months, NaiveDate};
use sea_orm::DbBackend;

/// How long each point of a series is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    /// The first day of the period holding `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => day,
            Self::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Self::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// The first day of the period after the one starting on `start`.
    fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => start + Days::new(1),
            Self::Week => start + Days::new(7),
            Self::Month => start + Months::new(1),
        }
    }

    /// The last day of the period holding `day`.
    pub fn end_of(self, day: NaiveDate) -> NaiveDate {
        let start = self.start_of(day);
        self.next(start).pred_opt().unwrap_or(start)
    }

    /// SQL for the first day of the period holding the date `column`, as
    /// `YYYY-MM-DD` text. SQLite stores dates as that text already.
    pub(crate) fn sql(self, backend: DbBackend, column: &str) -> String {
        match (backend, self) {
            (DbBackend::Postgres, Self::Day) => format!("to_char({column}, 'YYYY-MM-DD')"),
            (DbBackend::Postgres, Self::Week) => {
                format!("to_char(date_trunc('week', {column}), 'YYYY-MM-DD')")
            }
            (DbBackend::Postgres, Self::Month) => {
                format!("to_char(date_trunc('month', {column}), 'YYYY-MM-DD')")
            }
            // 'weekday 0' moves to the coming Sunday (or stays on one); six
            // days before it is that ISO week's Monday.
            (_, Self::Day) => format!("date({column})"),
            (_, Self::Week) => format!("date({column}, 'weekday 0', '-6 days')"),
            (_, Self::Month) => format!("date({column}, 'start of month')"),
        }
    }
}

/// The periods covering `from` to `to`, whole periods, in order: at most
/// `max` of them, else `None`.
pub fn periods(
    granularity: Granularity,
    from: NaiveDate,
    to: NaiveDate,
    max: usize,
) -> Option<Vec<(NaiveDate, NaiveDate)>> {
    let mut periods = Vec::new();
    let mut start = granularity.start_of(from);
    while start <= to {
        if periods.len() == max {
            return None;
        }
        let next = granularity.next(start);
        periods.push((start, next.pred_opt().unwrap_or(start)));
        start = next;
    }
    Some(periods)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn weeks_run_monday_to_sunday_across_months() {
        // 2019-01-31 is a Thursday.
        assert_eq!(
            Granularity::Week.start_of(day("2019-01-31")),
            day("2019-01-28")
        );
        assert_eq!(
            Granularity::Week.end_of(day("2019-01-31")),
            day("2019-02-03")
        );
        assert_eq!(
            Granularity::Week.start_of(day("2019-02-03")),
            day("2019-01-28")
        );
        assert_eq!(
            Granularity::Week.start_of(day("2019-02-04")),
            day("2019-02-04")
        );
    }

    #[test]
    fn months_end_on_their_last_day() {
        assert_eq!(
            Granularity::Month.end_of(day("2020-02-10")),
            day("2020-02-29")
        );
        assert_eq!(
            Granularity::Month.start_of(day("2019-12-31")),
            day("2019-12-01")
        );
    }

    #[test]
    fn periods_cover_the_range_and_are_bounded() {
        let weeks = periods(Granularity::Week, day("2019-01-31"), day("2019-02-11"), 10)
            .expect("few weeks");
        assert_eq!(
            weeks,
            vec![
                (day("2019-01-28"), day("2019-02-03")),
                (day("2019-02-04"), day("2019-02-10")),
                (day("2019-02-11"), day("2019-02-17")),
            ]
        );
        assert!(periods(Granularity::Day, day("2019-01-01"), day("2019-12-31"), 100).is_none());
    }
}
