//! Wall-clock times in a zone → instants, with one rule for daylight
//! saving everywhere (open hours and cron slots alike): a time that does
//! not exist (the spring-forward gap) means the first instant after the
//! gap, and a time that occurs twice (the fall-back fold) means its first
//! occurrence.

use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use super::Millis;

/// The instant of `minutes` after midnight of `date` in `zone` (24 × 60 is
/// the next midnight). Dates beyond jiff's range saturate to its ends.
pub(super) fn instant(date: Date, minutes: u16, zone: &TimeZone) -> Millis {
    let (date, minutes) = if minutes >= 24 * 60 {
        match date.tomorrow() {
            Ok(next) => (next, minutes - 24 * 60),
            Err(_) => return Timestamp::MAX.as_millisecond(),
        }
    } else {
        (date, minutes)
    };
    let time = Time::midnight()
        .checked_add(SignedDuration::from_mins(i64::from(minutes)))
        .unwrap_or(Time::midnight());
    resolve(date.to_datetime(time), zone).as_millisecond()
}

/// A civil datetime in `zone` as an instant, gap and fold as above.
pub(super) fn resolve(datetime: jiff::civil::DateTime, zone: &TimeZone) -> Timestamp {
    let ambiguous = zone.to_ambiguous_timestamp(datetime);
    let saturated = if datetime.date().year() < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    };
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } | AmbiguousOffset::Fold { before: offset, .. } => {
            offset.to_timestamp(datetime).unwrap_or(saturated)
        }
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, the wall time lands before the
            // transition; the transition itself is the first instant after
            // the gap.
            let Ok(early) = after.to_timestamp(datetime) else {
                return saturated;
            };
            zone.following(early)
                .next()
                .map_or(saturated, |transition| transition.timestamp())
        }
    }
}

/// The local date of `at` in `zone`.
pub(super) fn date_of(at: Millis, zone: &TimeZone) -> Date {
    let timestamp = Timestamp::from_millisecond(at).unwrap_or(if at < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    zone.to_datetime(timestamp).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(text: &str) -> Millis {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_is_the_first_instant_after_it() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
        let half_past_two = instant(date(2026, 3, 8), 2 * 60 + 30, &new_york);
        assert_eq!(half_past_two, at("2026-03-08T07:00:00Z"));
        let three = instant(date(2026, 3, 8), 3 * 60, &new_york);
        assert_eq!(three, at("2026-03-08T07:00:00Z"));
    }

    #[test]
    fn a_time_in_the_fall_back_fold_is_its_first_occurrence() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        // 2026-11-01: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
        let half_past_one = instant(date(2026, 11, 1), 90, &new_york);
        assert_eq!(half_past_one, at("2026-11-01T05:30:00Z"));
    }

    #[test]
    fn twenty_four_hundred_is_the_next_midnight() {
        let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
        let end = instant(date(2026, 10, 9), 24 * 60, &shanghai);
        assert_eq!(end, at("2026-10-09T16:00:00Z"));
        assert_eq!(date_of(end, &shanghai), date(2026, 10, 10));
        assert_eq!(date_of(end - 1, &shanghai), date(2026, 10, 9));
    }
}
