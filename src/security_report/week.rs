//! ISO weeks (`2026-W48`: Monday to Monday) in a time zone.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::engine::Millis;

/// An ISO 8601 week: weeks start on Monday, and week 1 is the one holding
/// the year's first Thursday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoWeek {
    year: i16,
    week: i8,
}

/// Why a week cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekError {
    #[error("`{0}` is not an ISO week: write YYYY-Www, e.g. 2026-W48")]
    Syntax(String),
    #[error("{year} has no week {week}")]
    NoSuchWeek { year: i16, week: i8 },
    #[error("the week cannot be placed in time zone {zone}: {reason}")]
    Zone { zone: String, reason: String },
}

impl IsoWeek {
    pub fn new(year: i16, week: i8) -> Result<Self, WeekError> {
        ISOWeekDate::new(year, week, Weekday::Monday)
            .map(|_| Self { year, week })
            .map_err(|_| WeekError::NoSuchWeek { year, week })
    }

    /// The week holding instant `at` in `zone`.
    pub fn containing(at: Millis, zone: &TimeZone) -> Result<Self, WeekError> {
        let timestamp = Timestamp::from_millisecond(at).map_err(|error| zone_error(zone, error))?;
        let iso = timestamp.to_zoned(zone.clone()).date().iso_week_date();
        Ok(Self {
            year: iso.year(),
            week: iso.week(),
        })
    }

    /// The week before this one.
    pub fn previous(self) -> Result<Self, WeekError> {
        let monday = self.monday();
        let before = monday
            .checked_sub(7.days())
            .map_err(|_| WeekError::NoSuchWeek {
                year: self.year,
                week: self.week - 1,
            })?;
        let iso = before.iso_week_date();
        Ok(Self {
            year: iso.year(),
            week: iso.week(),
        })
    }

    /// `[from, to)`: midnight of its Monday and of the next Monday in `zone`.
    pub fn bounds(self, zone: &TimeZone) -> Result<(Millis, Millis), WeekError> {
        let monday = self.monday();
        let next = monday
            .checked_add(7.days())
            .map_err(|error| zone_error(zone, error))?;
        let midnight = |date: Date| {
            date.to_zoned(zone.clone())
                .map(|zoned| zoned.timestamp().as_millisecond())
                .map_err(|error| zone_error(zone, error))
        };
        Ok((midnight(monday)?, midnight(next)?))
    }

    /// Its Monday and Sunday as `YYYY-MM-DD`.
    pub fn days(self) -> (String, String) {
        let monday = self.monday();
        let sunday = monday.checked_add(6.days()).unwrap_or(monday);
        (monday.to_string(), sunday.to_string())
    }

    fn monday(self) -> Date {
        ISOWeekDate::new(self.year, self.week, Weekday::Monday)
            .expect("checked when the week was made")
            .date()
    }
}

fn zone_error(zone: &TimeZone, error: jiff::Error) -> WeekError {
    WeekError::Zone {
        zone: zone.iana_name().unwrap_or("the configured zone").to_owned(),
        reason: error.to_string(),
    }
}

impl FromStr for IsoWeek {
    type Err = WeekError;

    fn from_str(text: &str) -> Result<Self, WeekError> {
        let syntax = || WeekError::Syntax(text.to_owned());
        let (year, week) = text.split_once("-W").ok_or_else(syntax)?;
        let digits = |part: &str, length: usize| {
            part.len() == length && part.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4) || !digits(week, 2) {
            return Err(syntax());
        }
        let year = year.parse().map_err(|_| syntax())?;
        let week = week.parse().map_err(|_| syntax())?;
        Self::new(year, week)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_parse_print_and_refuse() {
        let week: IsoWeek = "2026-W48".parse().unwrap();
        assert_eq!(week.to_string(), "2026-W48");
        assert_eq!(
            "2026-W53".parse::<IsoWeek>().unwrap().to_string(),
            "2026-W53"
        );
        assert_eq!(
            "2025-W53".parse::<IsoWeek>(),
            Err(WeekError::NoSuchWeek {
                year: 2025,
                week: 53
            })
        );
        for bad in ["2026-48", "2026-W4", "26-W48", "2026-W48-1", "2026-Wxx", ""] {
            assert_eq!(
                bad.parse::<IsoWeek>(),
                Err(WeekError::Syntax(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn bounds_are_monday_midnights_in_the_zone() {
        let week: IsoWeek = "2026-W48".parse().unwrap();
        let utc = week.bounds(&TimeZone::UTC).unwrap();
        // 2026-11-23T00:00:00Z and 2026-11-30T00:00:00Z.
        assert_eq!(utc, (1_795_392_000_000, 1_795_996_800_000));
        let shanghai = week
            .bounds(&TimeZone::get("Asia/Shanghai").unwrap())
            .unwrap();
        assert_eq!(shanghai, (utc.0 - 8 * 3_600_000, utc.1 - 8 * 3_600_000));
        // Week 1 of 2026 starts on Monday 2025-12-29.
        let first = "2026-W01".parse::<IsoWeek>().unwrap();
        assert_eq!(first.bounds(&TimeZone::UTC).unwrap().0, 1_766_966_400_000);
        assert_eq!(first.previous().unwrap().to_string(), "2025-W52");
    }

    #[test]
    fn the_week_of_an_instant_depends_on_the_zone() {
        // Sunday 2026-11-29T20:00Z is already Monday in Shanghai.
        let sunday_evening = 1_795_996_800_000 - 4 * 3_600_000;
        assert_eq!(
            IsoWeek::containing(sunday_evening, &TimeZone::UTC)
                .unwrap()
                .to_string(),
            "2026-W48"
        );
        let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
        assert_eq!(
            IsoWeek::containing(sunday_evening, &shanghai)
                .unwrap()
                .to_string(),
            "2026-W49"
        );
    }
}
