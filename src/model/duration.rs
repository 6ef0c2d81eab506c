//! Durations as process owners write them: `"90s"`, `"10m"`, `"7d"`, `"1h 30m"`.

use std::fmt;
use std::str::FromStr;

use jiff::{Span, SpanRelativeTo};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A positive length of time, in milliseconds.
///
/// Parsed with jiff's friendly format. A day is 24 hours and a week 7 days:
/// deadlines are wall-clock time. The weeks and days as written are kept
/// besides, because on a business calendar a day is the calendar's open
/// hours of a normal working day, not 24 hours (`calendar::Calendar::
/// open_time`); two durations are equal when their lengths are. Months and
/// years are rejected because their length depends on the date.
#[derive(Debug, Clone, Copy)]
pub struct Duration {
    millis: i64,
    weeks: i64,
    days: i64,
}

/// A duration as written, split into what a business calendar reads
/// differently: whole weeks, whole days, and the rest (hours and less).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationParts {
    pub weeks: i64,
    pub days: i64,
    /// Hours, minutes, seconds and milliseconds, in milliseconds.
    pub clock_millis: i64,
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration; write e.g. \"90s\", \"10m\", \"4h\", \"7d\" or \"1h 30m\"")]
    Syntax(String),
    #[error("`{0}` uses months or years, whose length varies; use days or weeks")]
    Calendar(String),
    #[error("`{0}` must be longer than zero")]
    NotPositive(String),
}

impl Duration {
    /// Builds a duration from milliseconds (no weeks or days written);
    /// `None` unless positive.
    pub fn from_millis(millis: i64) -> Option<Self> {
        (millis > 0).then_some(Self {
            millis,
            weeks: 0,
            days: 0,
        })
    }

    /// The length in milliseconds (always > 0).
    pub fn as_millis(self) -> i64 {
        self.millis
    }

    /// The weeks, days and the rest as written.
    pub fn parts(self) -> DurationParts {
        const DAY: i64 = 86_400_000;
        DurationParts {
            weeks: self.weeks,
            days: self.days,
            clock_millis: self.millis - (self.weeks * 7 + self.days) * DAY,
        }
    }

    /// Parses the friendly format.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let span: Span = text
            .trim()
            .parse()
            .map_err(|_| DurationError::Syntax(text.to_owned()))?;
        if span.get_years() != 0 || span.get_months() != 0 {
            return Err(DurationError::Calendar(text.to_owned()));
        }
        let signed = span
            .to_duration(SpanRelativeTo::days_are_24_hours())
            .map_err(|_| DurationError::Syntax(text.to_owned()))?;
        let millis = i64::try_from(signed.as_millis())
            .map_err(|_| DurationError::Syntax(text.to_owned()))?;
        let duration =
            Self::from_millis(millis).ok_or_else(|| DurationError::NotPositive(text.to_owned()))?;
        Ok(Self {
            weeks: i64::from(span.get_weeks()),
            days: i64::from(span.get_days()),
            ..duration
        })
    }
}

impl PartialEq for Duration {
    fn eq(&self, other: &Self) -> bool {
        self.millis == other.millis
    }
}

impl Eq for Duration {}

impl PartialOrd for Duration {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Duration {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.millis.cmp(&other.millis)
    }
}

impl std::hash::Hash for Duration {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.millis.hash(state);
    }
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Duration {
    /// Prints the largest units first, e.g. `1d 2h`, `90s` stays `1m 30s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(i64, &str); 5] = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1_000, "s"),
            (1, "ms"),
        ];
        let mut rest = self.millis;
        let mut first = true;
        for (size, unit) in UNITS {
            if rest >= size {
                if !first {
                    f.write_str(" ")?;
                }
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
                first = false;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_units_process_owners_write() {
        let cases = [
            ("90s", 90_000),
            ("10m", 600_000),
            ("4h", 14_400_000),
            ("7d", 604_800_000),
            ("1w", 604_800_000),
            ("1h 30m", 5_400_000),
            ("1h30m", 5_400_000),
            ("500ms", 500),
        ];
        for (text, millis) in cases {
            assert_eq!(Duration::parse(text).unwrap().as_millis(), millis, "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_fixed_positive_length() {
        assert!(matches!(
            Duration::parse("soon"),
            Err(DurationError::Syntax(_))
        ));
        assert!(matches!(
            Duration::parse("1 month"),
            Err(DurationError::Calendar(_))
        ));
        assert!(matches!(
            Duration::parse("0s"),
            Err(DurationError::NotPositive(_))
        ));
        assert!(matches!(
            Duration::parse("-5m"),
            Err(DurationError::NotPositive(_))
        ));
    }

    #[test]
    fn keeps_the_weeks_and_days_as_written() {
        let parts = |text: &str| Duration::parse(text).unwrap().parts();
        let whole = |weeks, days, clock_millis| DurationParts {
            weeks,
            days,
            clock_millis,
        };
        assert_eq!(parts("2d"), whole(0, 2, 0));
        assert_eq!(parts("1w 1d 4h"), whole(1, 1, 14_400_000));
        assert_eq!(parts("36h"), whole(0, 0, 129_600_000));
        assert_eq!(Duration::parse("36h"), Duration::parse("1d 12h"));
        assert_eq!(
            Duration::from_millis(90_000).unwrap().parts(),
            whole(0, 0, 90_000)
        );
    }

    #[test]
    fn displays_largest_units_first_and_round_trips() {
        let duration = Duration::parse("1d 2h 3s").unwrap();
        assert_eq!(duration.to_string(), "1d 2h 3s");
        assert_eq!(Duration::parse(&duration.to_string()).unwrap(), duration);
    }
}
