//! Assessment periods: half-open `[from, to)` instants, chosen as a month,
//! a year or two dates in the configured time zone.
//!
//! The CLI flags and the REST query parameters share [`PeriodSpec::parse`]
//! so that both accept and refuse the same things with the same words.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::engine::Millis;

/// What the user asked for, before a time zone turns it into instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodSpec {
    /// `--month 2026-10`: the calendar month.
    Month { year: i16, month: i8 },
    /// `--year 2026`: the calendar year, from the year's own facts.
    Year(i16),
    /// `--from 2026-10-01 --to 2026-11-01`: `to` is excluded, like every
    /// period end, so consecutive periods never count a fact twice.
    Dates { from: Date, to: Date },
}

/// Why a period cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("give exactly one of a month, a year, or both a from and a to date")]
    Choice,
    #[error("`{0}` is not a month: write YYYY-MM, e.g. 2026-10")]
    Month(String),
    #[error("`{0}` is not a year: write YYYY, e.g. 2026")]
    Year(String),
    #[error("`{0}` is not a date: write YYYY-MM-DD, e.g. 2026-10-01")]
    Date(String),
    #[error("the period is empty: `to` ({to}) must come after `from` ({from})")]
    Empty { from: Date, to: Date },
    #[error("the period cannot be placed in time zone {zone}: {reason}")]
    Zone { zone: String, reason: String },
}

impl PeriodSpec {
    /// One of `month`, `year` or `from` + `to`, as given on the command line
    /// or in the query string.
    pub fn parse(
        month: Option<&str>,
        year: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, PeriodError> {
        match (month, year, from, to) {
            (Some(month), None, None, None) => parse_month(month),
            (None, Some(year), None, None) => parse_year(year).map(PeriodSpec::Year),
            (None, None, Some(from), Some(to)) => {
                let from = parse_date(from)?;
                let to = parse_date(to)?;
                if to <= from {
                    return Err(PeriodError::Empty { from, to });
                }
                Ok(PeriodSpec::Dates { from, to })
            }
            _ => Err(PeriodError::Choice),
        }
    }

    /// The instants of the period's ends at midnight in `zone`.
    pub fn resolve(&self, zone: &TimeZone) -> Result<Period, PeriodError> {
        let (from, to) = match *self {
            PeriodSpec::Month { year, month } => {
                let first = Date::new(year, month, 1)
                    .map_err(|_| self.zone_error(zone, "no such month"))?;
                (first, first.checked_add(1.month()))
            }
            PeriodSpec::Year(year) => {
                let first =
                    Date::new(year, 1, 1).map_err(|_| self.zone_error(zone, "no such year"))?;
                (first, first.checked_add(1.year()))
            }
            PeriodSpec::Dates { from, to } => (from, Ok(to)),
        };
        let to = to.map_err(|error| self.zone_error(zone, &error.to_string()))?;
        let instant = |date: Date| {
            date.to_zoned(zone.clone())
                .map(|zoned| zoned.timestamp().as_millisecond())
                .map_err(|error| self.zone_error(zone, &error.to_string()))
        };
        Ok(Period {
            from: instant(from)?,
            to: instant(to)?,
        })
    }

    fn zone_error(&self, zone: &TimeZone, reason: &str) -> PeriodError {
        PeriodError::Zone {
            zone: zone.iana_name().unwrap_or("(fixed offset)").to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// The instants `[from, to)`, in epoch milliseconds; `from < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: Millis,
    to: Millis,
}

impl Period {
    /// `None` unless `from < to`.
    pub fn new(from: Millis, to: Millis) -> Option<Self> {
        (from < to).then_some(Self { from, to })
    }

    pub fn from(self) -> Millis {
        self.from
    }

    pub fn to(self) -> Millis {
        self.to
    }

    /// Whether a fact recorded `at` belongs to the period.
    pub fn contains(self, at: Millis) -> bool {
        self.from <= at && at < self.to
    }
}

/// RFC 3339 in UTC with milliseconds, as every timestamp of the API.
pub fn rfc3339(at: Millis) -> String {
    match Timestamp::from_millisecond(at) {
        Ok(timestamp) => timestamp.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => at.to_string(),
    }
}

/// The local wall time of `at` in `zone`, for the table people read.
pub fn local(at: Millis, zone: &TimeZone) -> String {
    match Timestamp::from_millisecond(at) {
        Ok(timestamp) => timestamp
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

fn parse_month(text: &str) -> Result<PeriodSpec, PeriodError> {
    let bad = || PeriodError::Month(text.to_owned());
    let (year, month) = text.split_once('-').ok_or_else(bad)?;
    let year = parse_year(year).map_err(|_| bad())?;
    if month.len() != 2 {
        return Err(bad());
    }
    let month: i8 = month.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) {
        return Err(bad());
    }
    Ok(PeriodSpec::Month { year, month })
}

fn parse_year(text: &str) -> Result<i16, PeriodError> {
    let bad = || PeriodError::Year(text.to_owned());
    if text.len() != 4 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(bad());
    }
    text.parse().map_err(|_| bad())
}

fn parse_date(text: &str) -> Result<Date, PeriodError> {
    let bad = || PeriodError::Date(text.to_owned());
    if text.len() != 10 {
        return Err(bad());
    }
    text.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(spec: PeriodSpec, zone: &str) -> (String, String) {
        let zone = TimeZone::get(zone).unwrap();
        let period = spec.resolve(&zone).unwrap();
        (rfc3339(period.from()), rfc3339(period.to()))
    }

    #[test]
    fn months_and_years_are_midnights_in_the_zone() {
        let october = PeriodSpec::parse(Some("2026-10"), None, None, None).unwrap();
        assert_eq!(
            resolve(october, "UTC"),
            (
                "2026-10-01T00:00:00.000Z".into(),
                "2026-11-01T00:00:00.000Z".into()
            )
        );
        assert_eq!(
            resolve(october, "Asia/Shanghai"),
            (
                "2026-09-30T16:00:00.000Z".into(),
                "2026-10-31T16:00:00.000Z".into()
            )
        );
        let december = PeriodSpec::parse(Some("2026-12"), None, None, None).unwrap();
        assert_eq!(resolve(december, "UTC").1, "2027-01-01T00:00:00.000Z");
        let year = PeriodSpec::parse(None, Some("2026"), None, None).unwrap();
        assert_eq!(
            resolve(year, "UTC"),
            (
                "2026-01-01T00:00:00.000Z".into(),
                "2027-01-01T00:00:00.000Z".into()
            )
        );
        let dates = PeriodSpec::parse(None, None, Some("2026-10-05"), Some("2026-10-06")).unwrap();
        assert_eq!(resolve(dates, "UTC").1, "2026-10-06T00:00:00.000Z");
    }

    #[test]
    fn refuses_ambiguous_or_malformed_periods() {
        let cases = [
            (
                PeriodSpec::parse(None, None, None, None),
                PeriodError::Choice,
            ),
            (
                PeriodSpec::parse(Some("2026-10"), Some("2026"), None, None),
                PeriodError::Choice,
            ),
            (
                PeriodSpec::parse(None, None, Some("2026-10-01"), None),
                PeriodError::Choice,
            ),
            (
                PeriodSpec::parse(Some("2026-13"), None, None, None),
                PeriodError::Month("2026-13".into()),
            ),
            (
                PeriodSpec::parse(Some("2026-1"), None, None, None),
                PeriodError::Month("2026-1".into()),
            ),
            (
                PeriodSpec::parse(None, Some("26"), None, None),
                PeriodError::Year("26".into()),
            ),
            (
                PeriodSpec::parse(None, None, Some("2026-02-30"), Some("2026-03-01")),
                PeriodError::Date("2026-02-30".into()),
            ),
        ];
        for (result, expected) in cases {
            assert_eq!(result.unwrap_err(), expected);
        }
        let empty = PeriodSpec::parse(None, None, Some("2026-10-02"), Some("2026-10-02"));
        assert!(matches!(empty, Err(PeriodError::Empty { .. })));
    }

    #[test]
    fn contains_is_half_open() {
        let period = Period::new(10, 20).unwrap();
        assert!(period.contains(10) && period.contains(19));
        assert!(!period.contains(20) && !period.contains(9));
        assert!(Period::new(5, 5).is_none());
    }
}
