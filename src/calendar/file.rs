//! `workflows/calendars.toml`: the format, and loading it into
//! [`Calendars`] with every problem reported as `file:line:column`.
//!
//! ```toml
//! [calendars.office]
//! zone = "Asia/Shanghai"
//! hours = { mon = ["09:00-12:00", "13:30-18:00"], tue = "mon", wed = "mon", thu = "mon", fri = "mon" }
//! holidays = ["2026-10-01..2026-10-07", "2027-01-01"]
//! workdays = ["2026-09-27", "2026-10-10"]   # make-up working days (調休)
//! ```
//!
//! The zone of the built-in `always` calendar (and of cron timers that name
//! neither a zone nor a calendar) is the `time_zone` of `assessment.toml`
//! in the same folder — the one zone setting the product has — else UTC.

use std::path::Path;

use indexmap::IndexMap;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ALWAYS, Calendar, Calendars, DateRanges, Hours, OpenRange, weekday_index};
use crate::model::source::{Seg, SourceMap};
use crate::model::{Diagnostic, Diagnostics, LineIndex, did_you_mean};
use crate::path;

/// The file name, in the workflows folder.
pub const CALENDARS_FILE: &str = "calendars.toml";

/// The file that names the default zone (its `time_zone`).
const ASSESSMENT_FILE: &str = "assessment.toml";

/// The weekday keys of `hours`, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `workflows/calendars.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarsFile {
    /// Business calendars by name; workflows name them in `calendar = "…"`.
    /// `always` (24/7 in the default zone) is built in.
    #[serde(default)]
    pub calendars: IndexMap<String, CalendarSpec>,
}

/// One business calendar.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// A human title, e.g. `辦公時間`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The IANA time zone of the hours and dates, e.g. `Asia/Shanghai`.
    pub zone: String,
    /// Open hours: `"always"` (24/7, the default), or per weekday (`mon` …
    /// `sun`) a list of `"HH:MM-HH:MM"` ranges or the name of another day
    /// with the same hours. Days not listed are closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<HoursSpec>,
    /// Closed dates, `"YYYY-MM-DD"` or an inclusive range
    /// `"YYYY-MM-DD..YYYY-MM-DD"`, in the calendar's zone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Make-up working days (調休): closed days (weekends) opened with the
    /// hours of a normal working day. Dates or inclusive ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workdays: Vec<String>,
}

/// Open hours: `"always"`, or per weekday.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "`hours` must be \"always\" or a table of weekdays, e.g. { mon = [\"09:00-18:00\"], tue = \"mon\" }"
)]
pub enum HoursSpec {
    /// `"always"`: open around the clock.
    Always(String),
    /// Weekday (`mon` … `sun`) → its hours.
    Weekly(IndexMap<String, DaySpec>),
}

/// The hours of one weekday.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a day's hours are a list of \"HH:MM-HH:MM\" ranges or the name of another day, e.g. \"mon\""
)]
pub enum DaySpec {
    /// The same hours as another day, e.g. `"mon"`.
    Same(String),
    /// Open ranges, e.g. `["09:00-12:00", "13:30-18:00"]`; `[]` is closed.
    Ranges(Vec<String>),
}

/// The calendars of a workflows folder: its `calendars.toml` when there is
/// one, with the default zone from its `assessment.toml`.
pub fn load_folder(folder: &Path) -> Result<Calendars, Diagnostics> {
    let default_zone = default_zone(&folder.join(ASSESSMENT_FILE))?;
    let file = folder.join(CALENDARS_FILE);
    if !file.is_file() {
        return Ok(match default_zone {
            Some((name, zone)) => Calendars::with_default_zone(&name, zone),
            None => Calendars::default(),
        });
    }
    let text = Diagnostics::read(&file)?;
    let default = default_zone
        .as_ref()
        .map(|(name, zone)| (name.as_str(), zone.clone()));
    load_str(&file, &text, default)
}

/// Loads calendars from `text`; `file` is only used in messages.
/// `default_zone` is the zone of `always` (UTC when `None`).
pub fn load_str(
    file: &Path,
    text: &str,
    default_zone: Option<(&str, TimeZone)>,
) -> Result<Calendars, Diagnostics> {
    let lines = LineIndex::new(file, text);
    let raw: CalendarsFile = toml::from_str(text).map_err(|error| lines.toml_error(&error))?;
    let mut loader = Loader {
        map: SourceMap::new(text),
        lines,
        problems: Vec::new(),
    };
    let mut calendars = match default_zone {
        Some((name, zone)) => Calendars::with_default_zone(name, zone),
        None => Calendars::default(),
    };
    for (name, spec) in &raw.calendars {
        if let Some(calendar) = loader.calendar(name, spec) {
            calendars.insert(calendar);
        }
    }
    if loader.problems.is_empty() {
        Ok(calendars)
    } else {
        Err(Diagnostics(loader.problems).sorted())
    }
}

/// The `time_zone` of `assessment.toml`, when the file exists and is TOML.
/// A file that is not TOML is the assessment loader's to report; a zone
/// that does not exist is reported here, since workflows would use it.
fn default_zone(file: &Path) -> Result<Option<(String, TimeZone)>, Diagnostics> {
    #[derive(Deserialize)]
    struct ZoneOnly {
        time_zone: Option<String>,
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    let Ok(ZoneOnly {
        time_zone: Some(name),
    }) = toml::from_str::<ZoneOnly>(&text)
    else {
        return Ok(None);
    };
    match TimeZone::get(&name) {
        Ok(zone) => Ok(Some((name, zone))),
        Err(_) => {
            let map = SourceMap::new(&text);
            let lines = LineIndex::new(file, &text);
            Err(Diagnostics(vec![lines.diagnostic(
                map.span(&path!["time_zone"]),
                format!("unknown time zone `{name}`"),
                Some("use an IANA name such as \"Asia/Shanghai\" or \"UTC\"".into()),
            )]))
        }
    }
}

/// Collects problems while building calendars.
struct Loader<'a> {
    map: SourceMap,
    lines: LineIndex<'a>,
    problems: Vec<Diagnostic>,
}

impl Loader<'_> {
    fn error(&mut self, path: &[Seg], message: String, hint: Option<String>) {
        let span = self.map.span(path);
        self.problems
            .push(self.lines.diagnostic(span, message, hint));
    }

    fn key_error(&mut self, path: &[Seg], message: String, hint: Option<String>) {
        let span = self.map.key_span(path);
        self.problems
            .push(self.lines.diagnostic(span, message, hint));
    }

    fn calendar(&mut self, name: &str, spec: &CalendarSpec) -> Option<Calendar> {
        let at = path!["calendars", name];
        let before = self.problems.len();
        if name == ALWAYS {
            self.key_error(
                &at,
                format!(
                    "`{ALWAYS}` is built in (24/7 in the default zone) and cannot be redefined"
                ),
                Some("give the calendar another name".into()),
            );
        } else if !is_name(name) {
            self.key_error(
                &at,
                format!(
                    "calendar name `{name}` must start with a-z and hold only a-z, 0-9 and `_`"
                ),
                None,
            );
        }
        let zone = match TimeZone::get(&spec.zone) {
            Ok(zone) => Some(zone),
            Err(_) => {
                self.error(
                    &[at.clone(), path!["zone"]].concat(),
                    format!("unknown time zone `{}`", spec.zone),
                    Some("use an IANA name such as \"Asia/Shanghai\" or \"UTC\"".into()),
                );
                None
            }
        };
        let hours = self.hours(&at, spec.hours.as_ref());
        let holidays = self.dates(&[at.clone(), path!["holidays"]].concat(), &spec.holidays);
        let workdays = self.dates(&[at.clone(), path!["workdays"]].concat(), &spec.workdays);
        let calendar = Calendar {
            name: name.to_owned(),
            zone_name: spec.zone.clone(),
            zone: zone?,
            hours: hours?,
            holidays,
            workdays,
        };
        self.check_workdays(&at, spec, &calendar);
        (self.problems.len() == before).then_some(calendar)
    }

    fn hours(&mut self, at: &[Seg], spec: Option<&HoursSpec>) -> Option<Hours> {
        let at = [at, &path!["hours"]].concat();
        let days = match spec {
            None => return Some(Hours::Always),
            Some(HoursSpec::Always(word)) if word == "always" => return Some(Hours::Always),
            Some(HoursSpec::Always(word)) => {
                self.error(
                    &at,
                    format!("`hours` must be \"always\" or a table of weekdays, not `{word}`"),
                    Some("e.g. hours = { mon = [\"09:00-18:00\"], tue = \"mon\" }".into()),
                );
                return None;
            }
            Some(HoursSpec::Weekly(days)) => days,
        };
        let before = self.problems.len();
        let mut week: [Vec<OpenRange>; 7] = Default::default();
        for (day, spec) in days {
            let day_at = [at.clone(), path![day]].concat();
            let Some(index) = DAYS.iter().position(|known| known == day) else {
                self.key_error(
                    &day_at,
                    format!("`{day}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun"),
                    did_you_mean(day, DAYS),
                );
                continue;
            };
            week[index] = match spec {
                DaySpec::Ranges(ranges) => self.ranges(&day_at, ranges),
                DaySpec::Same(other) => self.same_as(&day_at, day, other, days),
            };
        }
        if self.problems.len() > before {
            return None;
        }
        if week.iter().all(Vec::is_empty) {
            self.error(
                &at,
                "the calendar is never open: no weekday has hours".into(),
                Some("give some days ranges, or write hours = \"always\"".into()),
            );
            return None;
        }
        let normal = normal_day(&week);
        Some(Hours::Weekly { days: week, normal })
    }

    /// The ranges of the day `other` that `day` refers to.
    fn same_as(
        &mut self,
        at: &[Seg],
        day: &str,
        other: &str,
        days: &IndexMap<String, DaySpec>,
    ) -> Vec<OpenRange> {
        match days.get(other) {
            // Problems in the other day's ranges are reported there.
            Some(DaySpec::Ranges(ranges)) if other != day => sorted_ranges(ranges).0,
            Some(DaySpec::Same(_)) => {
                self.error(
                    at,
                    format!("`{day}` refers to `{other}`, which refers to another day itself"),
                    Some("refer to a day that lists its ranges".into()),
                );
                Vec::new()
            }
            _ => {
                let hint = if DAYS.contains(&other) {
                    Some(format!("give `{other}` its ranges first"))
                } else {
                    did_you_mean(other, DAYS)
                        .or_else(|| Some("name one of mon, tue, wed, thu, fri, sat, sun".into()))
                };
                self.error(
                    at,
                    format!(
                        "`{day} = \"{other}\"` must name another weekday that lists its ranges"
                    ),
                    hint,
                );
                Vec::new()
            }
        }
    }

    /// Parses a day's ranges, reporting each bad one at its place.
    fn ranges(&mut self, at: &[Seg], texts: &[String]) -> Vec<OpenRange> {
        let (ranges, problems) = sorted_ranges(texts);
        for problem in problems {
            let at = [at, &path![problem.index]].concat();
            self.error(&at, problem.message, problem.hint);
        }
        ranges
    }

    /// Parses dates and inclusive ranges, sorted by their first date.
    fn dates(&mut self, at: &[Seg], texts: &[String]) -> DateRanges {
        let mut ranges = Vec::new();
        for (index, text) in texts.iter().enumerate() {
            match parse_dates(text) {
                Ok(range) => ranges.push(range),
                Err(message) => self.error(
                    &[at, &path![index]].concat(),
                    message,
                    Some("e.g. \"2027-01-01\" or \"2026-10-01..2026-10-07\"".into()),
                ),
            }
        }
        ranges.sort();
        DateRanges(ranges)
    }

    /// A make-up working day opens a closed, non-holiday day.
    fn check_workdays(&mut self, at: &[Seg], spec: &CalendarSpec, calendar: &Calendar) {
        for (index, text) in spec.workdays.iter().enumerate() {
            let Ok((first, last)) = parse_dates(text) else {
                continue;
            };
            let item = [at, &path!["workdays", index]].concat();
            let mut date = first;
            while date <= last {
                let problem = if matches!(calendar.hours, Hours::Always) {
                    Some(format!(
                        "`{text}`: an `always` calendar is open every day already"
                    ))
                } else if calendar.holidays.contains(date) {
                    Some(format!(
                        "{date} is both a holiday and a make-up working day"
                    ))
                } else if let Hours::Weekly { days, .. } = &calendar.hours
                    && !days[weekday_index(date.weekday())].is_empty()
                {
                    Some(format!(
                        "{date} is a {:?}, open already; a make-up working day opens a closed day",
                        date.weekday()
                    ))
                } else {
                    None
                };
                if let Some(message) = problem {
                    self.error(&item, message, None);
                    break;
                }
                let Ok(next) = date.tomorrow() else { break };
                date = next;
            }
        }
    }
}

/// Calendar names are used in workflow files and API answers.
fn is_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The hours most weekdays share (ties: the earliest in the week), among
/// the days that are open: a normal working day.
fn normal_day(week: &[Vec<OpenRange>; 7]) -> Vec<OpenRange> {
    let open = week.iter().filter(|day| !day.is_empty());
    open.clone()
        .max_by_key(|day| {
            let first = week.iter().position(|other| other == *day).unwrap_or(0);
            (
                week.iter().filter(|other| other == day).count(),
                usize::MAX - first,
            )
        })
        .cloned()
        .unwrap_or_default()
}

/// A problem with the range at `index` of a day's list.
struct RangeProblem {
    index: usize,
    message: String,
    hint: Option<String>,
}

/// A day's ranges, sorted, and the problems: ranges that do not parse, and
/// ranges that overlap the one before them.
fn sorted_ranges(texts: &[String]) -> (Vec<OpenRange>, Vec<RangeProblem>) {
    let mut problems = Vec::new();
    let mut parsed: Vec<(usize, OpenRange)> = Vec::new();
    for (index, text) in texts.iter().enumerate() {
        match parse_range(text) {
            Ok(range) => parsed.push((index, range)),
            Err(message) => problems.push(RangeProblem {
                index,
                message,
                hint: Some("e.g. \"09:00-12:00\"; a day ends at \"24:00\"".into()),
            }),
        }
    }
    parsed.sort_by_key(|(_, range)| *range);
    for pair in parsed.windows(2) {
        let ((_, first), (index, second)) = (pair[0], pair[1]);
        if second.start < first.end {
            problems.push(RangeProblem {
                index,
                message: format!("open ranges `{first}` and `{second}` overlap"),
                hint: None,
            });
        }
    }
    (
        parsed.into_iter().map(|(_, range)| range).collect(),
        problems,
    )
}

/// `"HH:MM-HH:MM"`, the end after the start, at most `24:00`.
fn parse_range(text: &str) -> Result<OpenRange, String> {
    let refuse = || format!("`{text}` is not an open range \"HH:MM-HH:MM\"");
    let (start, end) = text.split_once('-').ok_or_else(refuse)?;
    let (start, end) = (
        parse_clock(start.trim()).ok_or_else(refuse)?,
        parse_clock(end.trim()).ok_or_else(refuse)?,
    );
    if start >= OpenRange::MINUTES_PER_DAY {
        return Err(refuse());
    }
    if end <= start {
        return Err(format!(
            "`{text}` ends before it starts; split a night across midnight: \"22:00-24:00\" and \"00:00-06:00\" the next day"
        ));
    }
    Ok(OpenRange { start, end })
}

/// `"HH:MM"` as minutes after midnight, `"24:00"` included.
fn parse_clock(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours.checked_mul(60)?.checked_add(minutes)?;
    (minutes < 60 && total <= OpenRange::MINUTES_PER_DAY).then_some(total)
}

/// `"YYYY-MM-DD"` or `"YYYY-MM-DD..YYYY-MM-DD"` (inclusive).
fn parse_dates(text: &str) -> Result<(Date, Date), String> {
    let date = |part: &str| -> Result<Date, String> {
        part.trim()
            .parse::<Date>()
            .map_err(|_| format!("`{}` is not a date \"YYYY-MM-DD\"", part.trim()))
    };
    match text.split_once("..") {
        None => {
            let day = date(text)?;
            Ok((day, day))
        }
        Some((first, last)) => {
            let (first, last) = (date(first)?, date(last)?);
            if last < first {
                return Err(format!("`{text}` ends before it starts"));
            }
            Ok((first, last))
        }
    }
}

/// The JSON Schema (draft-07) of `calendars.toml`, for editors.
pub fn json_schema() -> serde_json::Value {
    schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<CalendarsFile>()
        .to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match load_str(Path::new("calendars.toml"), text, None) {
            Ok(_) => Vec::new(),
            Err(Diagnostics(found)) => found
                .iter()
                .map(|d| {
                    let hint = d
                        .hint
                        .as_deref()
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_default();
                    format!("{}:{}: {}{hint}", d.line, d.column, d.message)
                })
                .collect(),
        }
    }

    #[test]
    fn loads_the_spec_example_with_references_holidays_and_make_up_days() {
        let text = r#"
[calendars.office]
zone = "Asia/Shanghai"
hours = { mon = ["13:30-18:00", "09:00-12:00"], tue = "mon", wed = "mon", thu = "mon", fri = "mon" }
holidays = ["2026-10-01..2026-10-07", "2027-01-01"]
workdays = ["2026-09-27", "2026-10-10"]

[calendars.support]
zone = "Asia/Shanghai"
"#;
        let calendars = load_str(Path::new("c.toml"), text, None).unwrap();
        let office = calendars.get("office").unwrap();
        let Hours::Weekly { days, normal } = &office.hours else {
            panic!("weekly hours expected");
        };
        let shown: Vec<String> = normal.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["09:00-12:00", "13:30-18:00"]);
        assert_eq!(days[4], *normal);
        assert!(days[5].is_empty() && days[6].is_empty());
        assert!(office.holidays.contains(jiff::civil::date(2026, 10, 4)));
        assert!(!office.holidays.contains(jiff::civil::date(2026, 10, 8)));
        assert_eq!(calendars.get("support").unwrap().hours, Hours::Always);
        assert_eq!(calendars.get(ALWAYS).unwrap().zone_name(), "UTC");
        let names: Vec<&str> = calendars.names().collect();
        assert_eq!(names, ["always", "office", "support"]);
    }

    #[test]
    fn every_mistake_points_at_its_line_and_column() {
        let text = r#"[calendars.office]
zone = "Asia/Shanghia"
hours = { mon = ["09:00-12:00", "11:00-13:00", "9-12"], tue = "mun", wed = "tue", sat = ["18:00-08:00"], fry = [] }
holidays = ["2026-10-07..2026-10-01", "2026-02-30"]
workdays = ["2026-10-05"]

[calendars.always]
zone = "UTC"

[calendars.Night]
zone = "UTC"
hours = { mon = [] }
"#;
        assert_eq!(
            problems(text),
            [
                "2:8: unknown time zone `Asia/Shanghia` (use an IANA name such as \"Asia/Shanghai\" or \"UTC\")",
                "3:33: open ranges `09:00-12:00` and `11:00-13:00` overlap",
                "3:48: `9-12` is not an open range \"HH:MM-HH:MM\" (e.g. \"09:00-12:00\"; a day ends at \"24:00\")",
                "3:63: `tue = \"mun\"` must name another weekday that lists its ranges (name one of mon, tue, wed, thu, fri, sat, sun)",
                "3:76: `wed` refers to `tue`, which refers to another day itself (refer to a day that lists its ranges)",
                "3:90: `18:00-08:00` ends before it starts; split a night across midnight: \"22:00-24:00\" and \"00:00-06:00\" the next day (e.g. \"09:00-12:00\"; a day ends at \"24:00\")",
                "3:106: `fry` is not a weekday; use mon, tue, wed, thu, fri, sat or sun (did you mean `fri`?)",
                "4:13: `2026-10-07..2026-10-01` ends before it starts (e.g. \"2027-01-01\" or \"2026-10-01..2026-10-07\")",
                "4:39: `2026-02-30` is not a date \"YYYY-MM-DD\" (e.g. \"2027-01-01\" or \"2026-10-01..2026-10-07\")",
                "7:12: `always` is built in (24/7 in the default zone) and cannot be redefined (give the calendar another name)",
                "10:12: calendar name `Night` must start with a-z and hold only a-z, 0-9 and `_`",
                "12:1: the calendar is never open: no weekday has hours (give some days ranges, or write hours = \"always\")",
            ]
        );
    }

    #[test]
    fn make_up_days_must_open_a_closed_day() {
        let text = r#"[calendars.office]
zone = "Asia/Shanghai"
hours = { mon = ["09:00-18:00"], tue = "mon", wed = "mon", thu = "mon", fri = "mon" }
holidays = ["2026-10-01..2026-10-07"]
workdays = ["2026-10-09", "2026-10-03", "2026-10-10"]

[calendars.around]
zone = "UTC"
workdays = ["2026-10-10"]
"#;
        assert_eq!(
            problems(text),
            [
                "5:13: 2026-10-09 is a Friday, open already; a make-up working day opens a closed day",
                "5:27: 2026-10-03 is both a holiday and a make-up working day",
                "9:13: `2026-10-10`: an `always` calendar is open every day already",
            ]
        );
    }

    #[test]
    fn shape_errors_name_the_key() {
        let found = problems("[calendars.office]\nzone = \"UTC\"\nhour = \"always\"\n");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("3:1: unknown field `hour`"),
            "{found:?}"
        );
        let found = problems("[calendars.office]\nzone = \"UTC\"\nhours = 5\n");
        assert!(
            found[0].contains("`hours` must be \"always\" or a table"),
            "{found:?}"
        );
    }

    #[test]
    fn the_default_zone_comes_from_the_assessment_file() {
        let folder = tempfile::tempdir().unwrap();
        let calendars = load_folder(folder.path()).unwrap();
        assert_eq!(calendars.default_zone().0, "UTC");
        std::fs::write(
            folder.path().join(ASSESSMENT_FILE),
            "# the zone\ntime_zone = \"Asia/Shanghai\"\n[roles]\n",
        )
        .unwrap();
        let calendars = load_folder(folder.path()).unwrap();
        assert_eq!(calendars.default_zone().0, "Asia/Shanghai");
        assert_eq!(calendars.get(ALWAYS).unwrap().zone_name(), "Asia/Shanghai");
        std::fs::write(
            folder.path().join(ASSESSMENT_FILE),
            "time_zone = \"Mars/Base\"\n",
        )
        .unwrap();
        let error = load_folder(folder.path()).unwrap_err().to_string();
        assert!(error.ends_with("assessment.toml:1:13: unknown time zone `Mars/Base` (hint: use an IANA name such as \"Asia/Shanghai\" or \"UTC\")"), "{error}");
        std::fs::write(folder.path().join(ASSESSMENT_FILE), "not toml at all").unwrap();
        assert_eq!(load_folder(folder.path()).unwrap().default_zone().0, "UTC");
    }
}
