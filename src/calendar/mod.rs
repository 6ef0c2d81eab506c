//! Business calendars and wall-clock time: when an office is open, how much
//! open time lies between two instants, when a cron slot falls in a time
//! zone, and what a recurring timer does when it is found late.
//!
//! Pure like `model` and `engine`: no clock, no IO beyond reading the
//! `calendars.toml` it is asked to load. Instants are epoch milliseconds
//! ([`Millis`]); time zones and daylight saving come from jiff.
//!
//! - [`Calendar`]: one calendar of `workflows/calendars.toml`, or the
//!   built-in `always` (24/7); [`Calendars`] is the set a catalog uses.
//! - `business`: the arithmetic (add open time to an instant, open time
//!   between two instants, the deadline after a pause). The only module
//!   that counts open time.
//! - [`CronSchedule`]: `cron` timers in a zone or on a calendar's open days.
//! - [`CatchUp`]: what a recurring timer found late does.

mod business;
mod catch_up;
mod cron;
mod file;
mod local;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

pub use catch_up::{CatchUp, Firing, plan as plan_firing};
pub use cron::{CronError, CronSchedule};
pub use file::{CALENDARS_FILE, CalendarsFile, json_schema, load_folder, load_str};

/// Milliseconds since the Unix epoch, UTC (the engine's `Millis`).
pub type Millis = i64;

/// The name of the built-in 24/7 calendar, in the default zone.
pub const ALWAYS: &str = "always";

/// One open period of a day, in minutes after local midnight:
/// `[start, end)`, `end` at most 24 × 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenRange {
    pub start: u16,
    pub end: u16,
}

impl OpenRange {
    pub const MINUTES_PER_DAY: u16 = 24 * 60;

    fn minutes(self) -> i64 {
        i64::from(self.end - self.start)
    }
}

impl fmt::Display for OpenRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clock = |minutes: u16| format!("{:02}:{:02}", minutes / 60, minutes % 60);
        write!(f, "{}-{}", clock(self.start), clock(self.end))
    }
}

/// When a calendar is open in an ordinary week.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hours {
    /// Around the clock, every day that is not a holiday.
    Always,
    /// Open ranges per weekday (Monday first), sorted and disjoint.
    Weekly {
        days: [Vec<OpenRange>; 7],
        /// The hours of a normal working day: what a make-up working day
        /// opens with, and how long a business "day" of a duration is.
        normal: Vec<OpenRange>,
    },
}

/// Inclusive ranges of local dates, sorted by their first date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DateRanges(Vec<(Date, Date)>);

impl DateRanges {
    /// The range holding `date`, if any.
    fn find(&self, date: Date) -> Option<(Date, Date)> {
        let after = self.0.partition_point(|(first, _)| *first <= date);
        self.0[..after]
            .iter()
            .rev()
            .find(|(_, last)| *last >= date)
            .copied()
    }

    fn contains(&self, date: Date) -> bool {
        self.find(date).is_some()
    }
}

/// A business calendar: a zone, weekly open hours, holidays (whole days
/// closed) and make-up working days (調休: a closed day opened with the
/// normal weekday hours). Only comes out of the loader, so it is valid: it
/// opens at some time in every ordinary week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    zone_name: String,
    zone: TimeZone,
    hours: Hours,
    holidays: DateRanges,
    workdays: DateRanges,
}

impl Calendar {
    /// A 24/7 calendar in `zone`, without holidays.
    pub fn always(name: &str, zone_name: &str, zone: TimeZone) -> Self {
        Self {
            name: name.to_owned(),
            zone_name: zone_name.to_owned(),
            zone,
            hours: Hours::Always,
            holidays: DateRanges::default(),
            workdays: DateRanges::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The IANA name of the calendar's zone, e.g. `Asia/Shanghai`.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Whether `date` (local to the calendar's zone) has open hours: not a
    /// holiday, and a weekday with hours or a make-up working day.
    pub fn is_open_day(&self, date: Date) -> bool {
        !self.open_ranges(date).is_empty()
    }

    /// The open ranges of `date`, local to the calendar's zone.
    fn open_ranges(&self, date: Date) -> &[OpenRange] {
        const ALL_DAY: &[OpenRange] = &[OpenRange {
            start: 0,
            end: OpenRange::MINUTES_PER_DAY,
        }];
        if self.holidays.contains(date) {
            return &[];
        }
        match &self.hours {
            Hours::Always => ALL_DAY,
            Hours::Weekly { days, normal } => {
                let today = &days[weekday_index(date.weekday())];
                if today.is_empty() && self.workdays.contains(date) {
                    normal
                } else {
                    today
                }
            }
        }
    }

    /// Whether open time is plain elapsed time (24/7, no holidays), so the
    /// arithmetic needs no walk over the days.
    fn is_plain(&self) -> bool {
        self.hours == Hours::Always && self.holidays.0.is_empty()
    }
}

/// Monday 0 … Sunday 6.
fn weekday_index(weekday: Weekday) -> usize {
    usize::try_from(weekday.to_monday_zero_offset()).unwrap_or(0)
}

/// The calendars a catalog of workflows can name, plus the zone used when
/// a timer names neither a zone nor a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendars {
    by_name: BTreeMap<String, Arc<Calendar>>,
    default_zone: TimeZone,
    default_zone_name: String,
}

impl Default for Calendars {
    /// Only `always`, in UTC.
    fn default() -> Self {
        Self::with_default_zone("UTC", TimeZone::UTC)
    }
}

impl Calendars {
    /// Only the built-in `always` calendar, in `zone`.
    pub fn with_default_zone(zone_name: &str, zone: TimeZone) -> Self {
        let always = Calendar::always(ALWAYS, zone_name, zone.clone());
        Self {
            by_name: BTreeMap::from([(ALWAYS.to_owned(), Arc::new(always))]),
            default_zone: zone,
            default_zone_name: zone_name.to_owned(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Calendar>> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// The zone of cron timers that name neither a zone nor a calendar, and
    /// of the `always` calendar.
    pub fn default_zone(&self) -> (&str, &TimeZone) {
        (&self.default_zone_name, &self.default_zone)
    }

    fn insert(&mut self, calendar: Calendar) {
        self.by_name
            .insert(calendar.name.clone(), Arc::new(calendar));
    }
}
