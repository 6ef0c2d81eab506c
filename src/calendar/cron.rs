//! `cron` timers: slots of a cron pattern in a time zone, optionally only
//! on a calendar's open days.
//!
//! croner walks the wall clock of the zone, so daylight saving is handled
//! the way this crate handles it everywhere (`local`): a slot whose time
//! does not exist that day (02:30 on the spring-forward day in New York)
//! fires at the first instant after the gap (03:00), and a slot whose time
//! occurs twice (01:30 on the fall-back day) fires once, at its first
//! occurrence — so no slot is lost (Kestra #524) and none doubled.

use std::fmt;
use std::sync::Arc;

use croner::Cron;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::local::resolve;
use super::{Calendar, Millis};

/// How many closed days in a row the search skips before it decides the
/// pattern never falls on an open day.
const CLOSED_DAYS_LIMIT: u32 = 3_700;

/// Why a cron pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("`{pattern}` is not a cron pattern: {message}")]
    Syntax { pattern: String, message: String },
    #[error("cron pattern `{pattern}` never matches a date")]
    Never { pattern: String },
}

/// A compiled cron pattern with the zone whose wall clock it follows.
#[derive(Clone)]
pub struct CronSchedule {
    pattern: String,
    cron: Cron,
    zone: TimeZone,
    zone_name: String,
    calendar: Option<Arc<Calendar>>,
}

impl CronSchedule {
    /// Compiles `pattern` (5 fields, or 6 with seconds first) for `zone`;
    /// with a calendar, the zone is the calendar's and only its open days
    /// have slots.
    pub fn new(
        pattern: &str,
        zone_name: &str,
        zone: TimeZone,
        calendar: Option<Arc<Calendar>>,
    ) -> Result<Self, CronError> {
        let cron: Cron = pattern.parse().map_err(|error| CronError::Syntax {
            pattern: pattern.to_owned(),
            message: format!("{error}"),
        })?;
        let (zone_name, zone) = match &calendar {
            Some(calendar) => (calendar.zone_name().to_owned(), calendar.zone().clone()),
            None => (zone_name.to_owned(), zone),
        };
        let schedule = Self {
            pattern: pattern.to_owned(),
            cron,
            zone,
            zone_name,
            calendar,
        };
        // Any instant will do: a pattern that matches some date matches one
        // within a few years of any other.
        const Y2000: Millis = 946_684_800_000;
        if schedule.after(Y2000).is_none() {
            return Err(CronError::Never {
                pattern: pattern.to_owned(),
            });
        }
        Ok(schedule)
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The first slot strictly after `instant`; `None` when there is none.
    pub fn after(&self, instant: Millis) -> Option<Millis> {
        let mut from = Timestamp::from_millisecond(instant)
            .ok()?
            .to_zoned(self.zone.clone());
        let mut inclusive = false;
        for _ in 0..CLOSED_DAYS_LIMIT {
            let slot = self.cron.find_next_occurrence(&from, inclusive).ok()?;
            let Some(calendar) = &self.calendar else {
                return Some(slot.timestamp().as_millisecond());
            };
            if calendar.is_open_day(slot.date()) {
                return Some(slot.timestamp().as_millisecond());
            }
            // A closed day: look again from the next local midnight.
            let tomorrow = slot.date().tomorrow().ok()?;
            from = resolve(
                tomorrow.to_datetime(jiff::civil::Time::midnight()),
                &self.zone,
            )
            .to_zoned(self.zone.clone());
            inclusive = true;
        }
        None
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CronSchedule")
            .field("pattern", &self.pattern)
            .field("zone", &self.zone_name)
            .field("calendar", &self.calendar.as_ref().map(|c| c.name()))
            .finish()
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
            && self.zone_name == other.zone_name
            && self.calendar == other.calendar
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::load_str;

    fn at(text: &str) -> Millis {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn show(millis: Millis, zone: &str) -> String {
        Timestamp::from_millisecond(millis)
            .unwrap()
            .to_zoned(TimeZone::get(zone).unwrap())
            .strftime("%a %F %H:%M %:z")
            .to_string()
    }

    fn in_zone(pattern: &str, zone: &str) -> CronSchedule {
        CronSchedule::new(pattern, zone, TimeZone::get(zone).unwrap(), None).unwrap()
    }

    #[test]
    fn a_slot_in_the_spring_forward_gap_fires_at_the_first_instant_after_it() {
        let schedule = in_zone("30 2 * * *", "America/New_York");
        let saturday = at("2026-03-07T12:00:00Z");
        let sunday = schedule.after(saturday).unwrap();
        assert_eq!(
            show(sunday, "America/New_York"),
            "Sun 2026-03-08 03:00 -04:00"
        );
        let monday = schedule.after(sunday).unwrap();
        assert_eq!(
            show(monday, "America/New_York"),
            "Mon 2026-03-09 02:30 -04:00"
        );
    }

    #[test]
    fn a_slot_in_the_fall_back_fold_fires_once_at_its_first_occurrence() {
        let schedule = in_zone("30 1 * * *", "America/New_York");
        let saturday = at("2026-10-31T12:00:00Z");
        let sunday = schedule.after(saturday).unwrap();
        assert_eq!(
            show(sunday, "America/New_York"),
            "Sun 2026-11-01 01:30 -04:00"
        );
        let next = schedule.after(sunday).unwrap();
        assert_eq!(
            show(next, "America/New_York"),
            "Mon 2026-11-02 01:30 -05:00"
        );
    }

    #[test]
    fn with_a_calendar_only_open_days_have_slots() {
        let text = r#"
[calendars.office]
zone = "Asia/Shanghai"
hours = { mon = ["09:00-18:00"], tue = "mon", wed = "mon", thu = "mon", fri = "mon" }
holidays = ["2026-10-01..2026-10-07"]
workdays = ["2026-10-10"]
"#;
        let calendars = load_str(std::path::Path::new("c.toml"), text, None).unwrap();
        let office = calendars.get("office").cloned();
        let schedule = CronSchedule::new("0 9 * * *", "UTC", TimeZone::UTC, office).unwrap();
        let mut slot = at("2026-09-29T12:00:00Z");
        let mut seen = Vec::new();
        for _ in 0..5 {
            slot = schedule.after(slot).unwrap();
            seen.push(show(slot, "Asia/Shanghai"));
        }
        assert_eq!(
            seen,
            [
                "Wed 2026-09-30 09:00 +08:00",
                "Thu 2026-10-08 09:00 +08:00",
                "Fri 2026-10-09 09:00 +08:00",
                "Sat 2026-10-10 09:00 +08:00",
                "Mon 2026-10-12 09:00 +08:00",
            ]
        );
    }

    #[test]
    fn patterns_that_never_match_or_do_not_parse_are_refused() {
        let never = CronSchedule::new("0 0 30 2 *", "UTC", TimeZone::UTC, None);
        assert!(matches!(never, Err(CronError::Never { .. })), "{never:?}");
        let bad = CronSchedule::new("0 9 * *", "UTC", TimeZone::UTC, None);
        assert!(matches!(bad, Err(CronError::Syntax { .. })), "{bad:?}");
    }
}
