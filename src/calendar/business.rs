//! Business-time arithmetic: the one place that counts open time.
//!
//! Open time is the union of a calendar's open intervals. Each day of the
//! calendar's zone contributes its open ranges (none on a holiday, the
//! normal working day's on a make-up day), turned into instants with the
//! daylight-saving rule of `local` — so a day that loses an hour to
//! spring-forward really is an hour shorter when the office is open then.
//!
//! Three facts the engine relies on, checked by the property test in
//! `tests/engine/calendar.rs`:
//! - `between(a, add(a, d)) == d` exactly, and `add` returns the *earliest*
//!   such instant: open time that runs out exactly at a closing time is due
//!   at that closing instant, not at the next opening.
//! - `between` is additive: `between(a, b) + between(b, c) == between(a, c)`.
//! - [`Calendar::resumed`] moves a deadline so that the paused interval
//!   does not count, whether the pause fell in open hours or not.

use jiff::civil::Date;

use super::local::{date_of, instant};
use super::{Calendar, Hours, Millis};
use crate::model::Duration;

const MINUTE: Millis = 60_000;
const DAY: Millis = 24 * 60 * MINUTE;

/// How many days in a row the walk looks at without finding open time
/// before it decides the calendar never opens again (a valid calendar
/// opens every week outside its holidays, which are skipped whole).
const CLOSED_DAYS_LIMIT: u32 = 3_700;

impl Calendar {
    /// The open time a duration stands for on this calendar: each week is
    /// the open hours of an ordinary week, each day the open hours of a
    /// normal working day, and hours and less count as written. On the
    /// 24/7 calendar that is the duration itself.
    pub fn open_time(&self, duration: Duration) -> Millis {
        let parts = duration.parts();
        let (week, day) = match &self.hours {
            Hours::Always => (7 * DAY, DAY),
            Hours::Weekly { days, normal } => {
                let minutes = |ranges: &[super::OpenRange]| -> Millis {
                    ranges.iter().map(|range| range.minutes()).sum::<i64>() * MINUTE
                };
                (days.iter().map(|day| minutes(day)).sum(), minutes(normal))
            }
        };
        parts
            .weeks
            .saturating_mul(week)
            .saturating_add(parts.days.saturating_mul(day))
            .saturating_add(parts.clock_millis)
    }

    /// The earliest instant by which `amount` of open time has passed since
    /// `start`. Starting in closed time counts from the next opening;
    /// `amount <= 0` is `start` itself. `Millis::MAX` when the calendar
    /// never opens again.
    pub fn add(&self, start: Millis, amount: Millis) -> Millis {
        if amount <= 0 {
            return start;
        }
        if self.is_plain() {
            return start.saturating_add(amount);
        }
        let mut left = amount;
        for (open, close) in self.open_from(start) {
            let length = close - open;
            if left <= length {
                return open + left;
            }
            left -= length;
        }
        Millis::MAX
    }

    /// The open time from `a` to `b`; negative when `b` is before `a`.
    pub fn between(&self, a: Millis, b: Millis) -> Millis {
        if b < a {
            return -self.between(b, a);
        }
        if self.is_plain() {
            return b - a;
        }
        self.open_from(a)
            .take_while(|(open, _)| *open < b)
            .map(|(open, close)| close.min(b) - open)
            .sum()
    }

    /// The open time from `start` to `end` outside `pauses` (intervals
    /// `[from, to)`, in any order, overlapping or not): open time spent
    /// paused is not counted, and closed time spent paused is not
    /// subtracted either, since it was never counted.
    pub fn worked(&self, start: Millis, end: Millis, pauses: &[(Millis, Millis)]) -> Millis {
        let mut merged: Vec<(Millis, Millis)> = pauses
            .iter()
            .map(|&(from, to)| (from.max(start), to.min(end)))
            .filter(|(from, to)| from < to)
            .collect();
        merged.sort_unstable();
        let mut paused = 0;
        let mut reach = start;
        for (from, to) in merged {
            let from = from.max(reach);
            if from < to {
                paused += self.between(from, to);
                reach = to;
            }
        }
        self.between(start, end) - paused
    }

    /// The deadline after a pause from `paused_at` to `resumed_at`: the open
    /// time that was left at the pause, counted again from the resume. A
    /// deadline already passed when the pause began stays where it was.
    pub fn resumed(&self, due_at: Millis, paused_at: Millis, resumed_at: Millis) -> Millis {
        if paused_at >= due_at {
            return due_at;
        }
        self.add(resumed_at, self.between(paused_at, due_at))
    }

    /// The open intervals `[open, close)` that end after `from`, in order,
    /// the first one starting no earlier than `from`.
    fn open_from(&self, from: Millis) -> OpenIntervals<'_> {
        OpenIntervals {
            calendar: self,
            from,
            date: Some(date_of(from, &self.zone)),
            index: 0,
            closed_days: 0,
        }
    }
}

/// Walks the calendar's days from one instant on.
struct OpenIntervals<'c> {
    calendar: &'c Calendar,
    from: Millis,
    /// The day being read; `None` past the end of jiff's range.
    date: Option<Date>,
    /// The next open range of `date` to yield.
    index: usize,
    closed_days: u32,
}

impl OpenIntervals<'_> {
    /// Moves to the day after `date`, skipping a holiday range in one step.
    fn next_day(&mut self, date: Date) {
        self.index = 0;
        self.closed_days += 1;
        let next = date.tomorrow().ok();
        self.date = match next.and_then(|next| self.calendar.holidays.find(next)) {
            Some((_, last)) => last.tomorrow().ok(),
            None => next,
        };
    }
}

impl Iterator for OpenIntervals<'_> {
    type Item = (Millis, Millis);

    fn next(&mut self) -> Option<Self::Item> {
        while self.closed_days < CLOSED_DAYS_LIMIT {
            let date = self.date?;
            let ranges = self.calendar.open_ranges(date);
            let Some(range) = ranges.get(self.index) else {
                self.next_day(date);
                continue;
            };
            self.index += 1;
            let zone = &self.calendar.zone;
            let open = instant(date, range.start, zone).max(self.from);
            let close = instant(date, range.end, zone);
            if open < close {
                self.closed_days = 0;
                return Some((open, close));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::calendar::load_str;

    const OFFICE: &str = r#"
[calendars.office]
zone = "Asia/Shanghai"
hours = { mon = ["09:00-12:00", "13:30-18:00"], tue = "mon", wed = "mon", thu = "mon", fri = "mon" }
holidays = ["2026-10-01..2026-10-07", "2027-01-01"]
workdays = ["2026-09-27", "2026-10-10"]
"#;

    fn office() -> std::sync::Arc<Calendar> {
        let calendars = load_str(std::path::Path::new("calendars.toml"), OFFICE, None)
            .unwrap_or_else(|problems| panic!("{problems}"));
        calendars.get("office").unwrap().clone()
    }

    fn at(text: &str) -> Millis {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn show(millis: Millis) -> String {
        let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        Timestamp::from_millisecond(millis)
            .unwrap()
            .to_zoned(zone)
            .strftime("%a %F %H:%M")
            .to_string()
    }

    const HOUR: Millis = 60 * MINUTE;

    #[test]
    fn twelve_business_hours_from_friday_five_pm_are_due_tuesday() {
        let office = office();
        let friday = at("2026-10-16T17:00:00+08:00");
        let due = office.add(friday, 12 * HOUR);
        assert_eq!(show(due), "Tue 2026-10-20 14:00");
        assert_eq!(office.between(friday, due), 12 * HOUR);
    }

    #[test]
    fn time_that_runs_out_at_closing_is_due_at_the_closing_instant() {
        let office = office();
        let monday = at("2026-10-19T09:00:00+08:00");
        assert_eq!(show(office.add(monday, 3 * HOUR)), "Mon 2026-10-19 12:00");
        assert_eq!(
            show(office.add(monday, 3 * HOUR + 1)),
            "Mon 2026-10-19 13:30"
        );
    }

    #[test]
    fn a_business_day_is_the_normal_working_day() {
        let office = office();
        let two_days = Duration::parse("2d").unwrap();
        assert_eq!(office.open_time(two_days), 15 * HOUR);
        let week = Duration::parse("1w").unwrap();
        assert_eq!(office.open_time(week), 37 * HOUR + 30 * MINUTE);
        let hours = Duration::parse("36h").unwrap();
        assert_eq!(office.open_time(hours), 36 * HOUR);
    }

    #[test]
    fn holidays_close_whole_days_and_make_up_days_open_them() {
        let office = office();
        // Wednesday 30 September 17:00: the National Day week is closed,
        // Saturday 10 October is a make-up working day.
        let before = at("2026-09-30T17:00:00+08:00");
        assert_eq!(show(office.add(before, HOUR)), "Wed 2026-09-30 18:00");
        assert_eq!(show(office.add(before, 2 * HOUR)), "Thu 2026-10-08 10:00");
        let friday_evening = at("2026-10-09T17:00:00+08:00");
        assert_eq!(
            show(office.add(friday_evening, 2 * HOUR)),
            "Sat 2026-10-10 10:00"
        );
        // Sunday 27 September is a make-up day too; Sunday 4 October not.
        let sunday = date_of(at("2026-09-27T12:00:00+08:00"), office.zone());
        assert!(office.is_open_day(sunday));
        assert!(!office.is_open_day(sunday.checked_add(jiff::Span::new().days(7)).unwrap()));
    }

    #[test]
    fn pauses_subtract_only_the_open_time_they_held() {
        let office = office();
        let monday = at("2026-10-19T09:00:00+08:00");
        let due = office.add(monday, 10 * HOUR);
        assert_eq!(show(due), "Tue 2026-10-20 11:30");
        // Paused from Monday 17:00 to Tuesday 10:00: 1 h of Monday and 1 h
        // of Tuesday did not count; the night was never counted.
        let paused = at("2026-10-19T17:00:00+08:00");
        let resumed = at("2026-10-20T10:00:00+08:00");
        let moved = office.resumed(due, paused, resumed);
        assert_eq!(show(moved), "Tue 2026-10-20 15:00");
        assert_eq!(
            office.worked(monday, moved, &[(paused, resumed)]),
            10 * HOUR
        );
        // A pause entirely outside open hours moves nothing.
        let night = (
            at("2026-10-19T19:00:00+08:00"),
            at("2026-10-20T08:00:00+08:00"),
        );
        assert_eq!(office.resumed(due, night.0, night.1), due);
    }

    #[test]
    fn between_is_signed_and_additive() {
        let office = office();
        let a = at("2026-10-16T10:00:00+08:00");
        let b = at("2026-10-19T10:30:00+08:00");
        let c = at("2026-10-21T16:00:00+08:00");
        assert_eq!(office.between(a, b), -office.between(b, a));
        assert_eq!(
            office.between(a, b) + office.between(b, c),
            office.between(a, c)
        );
    }
}
