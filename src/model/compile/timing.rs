//! The time keys of timers and SLA clocks: which schedule a timer has
//! (`after`, `every`, `cron`, `at`), its `zone`, `calendar` and
//! `catch_up`, and the calendars SLA clocks name.

use std::sync::Arc;

use jiff::tz::TimeZone;

use super::{Compiler, EventScope};
use crate::calendar::{Calendar, CatchUp, CronSchedule};
use crate::model::definition::Schedule;
use crate::model::did_you_mean;
use crate::model::raw::TimerSpec;
use crate::model::source::Seg;
use crate::path;

/// A timer's compiled time keys.
pub(super) struct Timing {
    pub schedule: Schedule,
    pub calendar: Option<Arc<Calendar>>,
    pub catch_up: CatchUp,
}

impl Compiler<'_> {
    /// Compiles the schedule keys of timer `name`; `None` after reporting
    /// a problem.
    pub(super) fn timing(&mut self, name: &str, spec: &TimerSpec) -> Option<Timing> {
        let at = path!["timers", name];
        let key = |key: &str| [at.clone(), path![key]].concat();
        let kinds: Vec<&str> = [
            ("after", spec.after.is_some()),
            ("every", spec.every.is_some()),
            ("cron", spec.cron.is_some()),
            ("at", spec.at.is_some()),
        ]
        .into_iter()
        .filter_map(|(kind, given)| given.then_some(kind))
        .collect();
        let [kind] = kinds[..] else {
            self.key_error(
                &at,
                format!("timer `{name}` needs exactly one of `after`, `every`, `cron` and `at`"),
                None,
            );
            return None;
        };
        let misplaced = [
            (
                "zone",
                spec.zone.is_some() && kind != "cron",
                "only a `cron` timer has a zone; the others count time from an instant",
            ),
            (
                "calendar",
                spec.calendar.is_some() && kind == "at",
                "an `at` timer fires at an instant, which no calendar moves",
            ),
            (
                "catch_up",
                spec.catch_up.is_some() && !matches!(kind, "every" | "cron"),
                "only recurring timers (`every`, `cron`) can miss slots",
            ),
        ];
        for (other, wrong, why) in misplaced {
            if wrong {
                self.error(
                    &key(other),
                    format!("`{other}` does not go with `{kind}`: {why}"),
                    None,
                );
            }
        }
        if spec.zone.is_some() && spec.calendar.is_some() {
            self.error(
                &key("zone"),
                format!("timer `{name}` has both `zone` and `calendar`"),
                Some("a calendar has its own zone: keep one of the two".into()),
            );
        }
        let calendar = match &spec.calendar {
            Some(calendar) => Some(self.calendar(&key("calendar"), calendar)?),
            None => None,
        };
        let schedule = match kind {
            "after" => Schedule::After(self.duration(&key("after"), spec.after.as_deref()?)?),
            "every" => Schedule::Every(self.duration(&key("every"), spec.every.as_deref()?)?),
            "cron" => Schedule::Cron(Box::new(self.cron(&key, spec, calendar.clone())?)),
            _ => Schedule::At(self.expr(&key("at"), spec.at.as_deref()?, EventScope::None)?),
        };
        Some(Timing {
            schedule,
            calendar,
            catch_up: spec.catch_up.unwrap_or_default(),
        })
    }

    fn cron(
        &mut self,
        key: &dyn Fn(&str) -> Vec<Seg>,
        spec: &TimerSpec,
        calendar: Option<Arc<Calendar>>,
    ) -> Option<CronSchedule> {
        let (zone_name, zone) = match &spec.zone {
            Some(name) => (name.clone(), self.zone(&key("zone"), name)?),
            None => {
                let (name, zone) = self.calendars.default_zone();
                (name.to_owned(), zone.clone())
            }
        };
        let pattern = spec.cron.as_deref()?;
        CronSchedule::new(pattern, &zone_name, zone, calendar)
            .map_err(|error| {
                self.error(
                    &key("cron"),
                    error.to_string(),
                    Some("e.g. \"0 9 * * *\" (09:00 daily) or \"0 9 * * mon\" (Mondays)".into()),
                );
            })
            .ok()
    }

    fn zone(&mut self, at: &[Seg], name: &str) -> Option<TimeZone> {
        TimeZone::get(name)
            .map_err(|_| {
                self.error(
                    at,
                    format!("unknown time zone `{name}`"),
                    Some("use an IANA name such as \"Asia/Shanghai\" or \"UTC\"".into()),
                );
            })
            .ok()
    }

    /// The calendar called `name`, from `calendars.toml` or built in.
    pub(super) fn calendar(&mut self, at: &[Seg], name: &str) -> Option<Arc<Calendar>> {
        if let Some(calendar) = self.calendars.get(name) {
            return Some(Arc::clone(calendar));
        }
        let hint = did_you_mean(name, self.calendars.names()).or_else(|| {
            Some("calendars are declared in calendars.toml beside the workflows".into())
        });
        self.error(at, format!("unknown calendar `{name}`"), hint);
        None
    }
}
