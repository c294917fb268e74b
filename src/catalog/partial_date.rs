//! Dates at the precision a government published them.
//!
//! Action plans give milestone dates as "September 2018"; turning that into
//! 2018-09-01 would invent a day. A `PartialDate` keeps the published
//! precision and is stored as its ISO 8601 text (`2018`, `2018-09`,
//! `2018-09-15`), which also sorts correctly as text.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartialDate {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("{text:?} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)");
        let mut parts = text.split('-');
        let year = parts
            .next()
            .filter(|y| y.len() == 4)
            .and_then(|y| y.parse::<u16>().ok())
            .ok_or_else(invalid)?;
        let month = match parts.next() {
            None => None,
            Some(m) if m.len() == 2 => Some(m.parse::<u8>().map_err(|_| invalid())?),
            Some(_) => return Err(invalid()),
        };
        let day = match parts.next() {
            None => None,
            Some(d) if d.len() == 2 => Some(d.parse::<u8>().map_err(|_| invalid())?),
            Some(_) => return Err(invalid()),
        };
        if parts.next().is_some() {
            return Err(invalid());
        }
        if let Some(month) = month {
            if !(1..=12).contains(&month) {
                return Err(format!("{text:?} has no month {month}"));
            }
            if let Some(day) = day {
                if day == 0 || day > days_in_month(year, month) {
                    return Err(format!("{text:?} is not a day of the calendar"));
                }
            }
        }
        Ok(Self { year, month, day })
    }

    /// The first day the date covers: "September 2018" starts on 1 September.
    pub fn first_day(&self) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::from_ymd_opt(
            i32::from(self.year),
            u32::from(self.month.unwrap_or(1)),
            u32::from(self.day.unwrap_or(1)),
        )
    }

    /// The last day the date covers: "September 2018" ends on 30 September,
    /// so a milestone due then is overdue from 1 October.
    pub fn last_day(&self) -> Option<chrono::NaiveDate> {
        let month = self.month.unwrap_or(12);
        let day = self.day.unwrap_or_else(|| days_in_month(self.year, month));
        chrono::NaiveDate::from_ymd_opt(i32::from(self.year), u32::from(month), u32::from(day))
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "-{month:02}")?;
        }
        if let Some(day) = self.day {
            write!(f, "-{day:02}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PartialDate;

    #[test]
    fn last_day_of_each_precision() {
        let last = |text: &str| {
            PartialDate::parse(text)
                .ok()
                .and_then(|date| date.last_day())
                .map(|day| day.to_string())
        };
        assert_eq!(last("2020").as_deref(), Some("2020-12-31"));
        assert_eq!(last("2020-02").as_deref(), Some("2020-02-29"));
        assert_eq!(last("2019-09").as_deref(), Some("2019-09-30"));
        assert_eq!(last("2019-09-15").as_deref(), Some("2019-09-15"));
    }

    #[test]
    fn keeps_the_published_precision() {
        for text in ["2018", "2018-09", "2020-02-29"] {
            assert_eq!(
                PartialDate::parse(text).map(|d| d.to_string()),
                Ok(text.to_owned())
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for text in [
            "18",
            "2018-9",
            "2018-13",
            "2019-02-29",
            "2018-09-31",
            "September 2018",
            "2018-09-01-01",
            "",
        ] {
            assert!(PartialDate::parse(text).is_err(), "{text} was accepted");
        }
    }
}
