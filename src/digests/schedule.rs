//! When a subscriber's digest is due: at their local send hour, once per
//! local day (daily) or once per ISO week from Monday (weekly). A period
//! whose moment passed while nothing ran (the service was down) is still
//! due, so a missed Monday is caught up later that week.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// How often a subscriber hears from us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    /// Subscribed, but paused.
    Off,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Off => "off",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "daily" => Some(Self::Daily),
            "weekly" => Some(Self::Weekly),
            "off" => Some(Self::Off),
            _ => None,
        }
    }
}

/// One digest's slot: its key (each is composed once) and when it is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// `day-2026-11-30` or `week-2026-W49`.
    pub key: String,
    pub due_at: DateTime<Utc>,
}

/// A subscriber's schedule.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub frequency: Frequency,
    /// 0-23, local time.
    pub send_hour: u32,
    pub zone: Tz,
}

impl Schedule {
    /// The latest slot due at or before `now`; none when paused.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<Slot> {
        let first = self.first_day_of_period(self.local_date(now))?;
        let slot = self.slot(first);
        if slot.due_at <= now {
            Some(slot)
        } else {
            self.step_back(first).map(|day| self.slot(day))
        }
    }

    /// The first slot due strictly after `now`; none when paused.
    pub fn next(&self, now: DateTime<Utc>) -> Option<Slot> {
        let first = self.first_day_of_period(self.local_date(now))?;
        let slot = self.slot(first);
        if slot.due_at > now {
            Some(slot)
        } else {
            self.step_forward(first).map(|day| self.slot(day))
        }
    }

    fn local_date(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.zone).date_naive()
    }

    /// The day whose send hour opens the period holding `day`.
    fn first_day_of_period(&self, day: NaiveDate) -> Option<NaiveDate> {
        match self.frequency {
            Frequency::Daily => Some(day),
            Frequency::Weekly => {
                day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
            }
            Frequency::Off => None,
        }
    }

    fn length(&self) -> Days {
        match self.frequency {
            Frequency::Weekly => Days::new(7),
            _ => Days::new(1),
        }
    }

    fn step_back(&self, day: NaiveDate) -> Option<NaiveDate> {
        day.checked_sub_days(self.length())
    }

    fn step_forward(&self, day: NaiveDate) -> Option<NaiveDate> {
        day.checked_add_days(self.length())
    }

    fn slot(&self, first_day: NaiveDate) -> Slot {
        let key = match self.frequency {
            Frequency::Weekly => {
                let week = first_day.iso_week();
                format!("week-{}-W{:02}", week.year(), week.week())
            }
            _ => format!("day-{first_day}"),
        };
        Slot {
            key,
            due_at: local_moment(self.zone, first_day, self.send_hour),
        }
    }
}

/// `hour`:00 on `day` in `zone`, as an instant. When clocks go back the
/// hour happens twice and the first counts; when they go forward and skip
/// it, the next hour that exists counts.
fn local_moment(zone: Tz, day: NaiveDate, hour: u32) -> DateTime<Utc> {
    for later in 0..3 {
        let Some(local) = day.and_hms_opt((hour + later).min(23), 0, 0) else {
            continue;
        };
        match zone.from_local_datetime(&local) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                return at.with_timezone(&Utc);
            }
            LocalResult::None => {}
        }
    }
    // No zone skips three hours; UTC keeps the schedule going regardless.
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn schedule(frequency: Frequency, hour: u32, zone: Tz) -> Schedule {
        Schedule {
            frequency,
            send_hour: hour,
            zone,
        }
    }

    #[test]
    fn daily_slots_follow_the_local_day() {
        let tokyo = schedule(Frequency::Daily, 8, chrono_tz::Asia::Tokyo);
        // 08:00 in Tokyo on 1 December is 23:00 UTC on 30 November.
        let due = tokyo.latest(at("2026-11-30T23:30:00Z"));
        assert_eq!(
            due,
            Some(Slot {
                key: "day-2026-12-01".to_owned(),
                due_at: at("2026-11-30T23:00:00Z"),
            })
        );
        let before = tokyo.latest(at("2026-11-30T22:30:00Z"));
        assert_eq!(
            before.map(|slot| slot.key).as_deref(),
            Some("day-2026-11-30")
        );
        assert_eq!(
            tokyo
                .next(at("2026-11-30T22:30:00Z"))
                .map(|slot| slot.due_at),
            Some(at("2026-11-30T23:00:00Z"))
        );
    }

    #[test]
    fn weekly_slots_open_on_monday_and_stay_due_all_week() {
        let new_york = schedule(Frequency::Weekly, 8, chrono_tz::America::New_York);
        // Monday 30 November 2026, 08:00 EST is 13:00 UTC.
        let monday = new_york.latest(at("2026-11-30T13:00:00Z"));
        assert_eq!(
            monday,
            Some(Slot {
                key: "week-2026-W49".to_owned(),
                due_at: at("2026-11-30T13:00:00Z"),
            })
        );
        let just_before = new_york.latest(at("2026-11-30T12:59:00Z"));
        assert_eq!(
            just_before.map(|slot| slot.key).as_deref(),
            Some("week-2026-W48")
        );
        let thursday = new_york.latest(at("2026-12-03T09:00:00Z"));
        assert_eq!(
            thursday.map(|slot| slot.key).as_deref(),
            Some("week-2026-W49")
        );
        assert_eq!(
            new_york
                .next(at("2026-12-03T09:00:00Z"))
                .map(|slot| slot.due_at),
            Some(at("2026-12-07T13:00:00Z"))
        );
    }

    #[test]
    fn summer_time_moves_the_instant_not_the_local_hour() {
        let paris = schedule(Frequency::Daily, 8, chrono_tz::Europe::Paris);
        let winter = paris
            .latest(at("2026-01-15T12:00:00Z"))
            .map(|slot| slot.due_at);
        let summer = paris
            .latest(at("2026-07-15T12:00:00Z"))
            .map(|slot| slot.due_at);
        assert_eq!(winter, Some(at("2026-01-15T07:00:00Z")));
        assert_eq!(summer, Some(at("2026-07-15T06:00:00Z")));
        // 02:00 does not exist on 29 March 2026 in Paris: 03:00 stands in.
        let night = schedule(Frequency::Daily, 2, chrono_tz::Europe::Paris);
        assert_eq!(
            night
                .latest(at("2026-03-29T12:00:00Z"))
                .map(|slot| slot.due_at),
            Some(at("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn paused_schedules_have_no_slots() {
        let off = schedule(Frequency::Off, 8, chrono_tz::UTC);
        assert_eq!(off.latest(at("2026-11-30T13:00:00Z")), None);
        assert_eq!(off.next(at("2026-11-30T13:00:00Z")), None);
    }
}
