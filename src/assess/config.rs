//! `workflows/assessment.toml`: the indicators, their band tables and which
//! role adds up which, loaded and checked once so that a team lead can change
//! them without code and learn of a mistake with its line and column.

// `path!` builds the `Vec` that `SourceMap` keys on; passing it as a slice is
// the shared idiom of the loaders, not a wasted allocation worth avoiding.
#![allow(clippy::useless_vec)]

use std::path::Path as FsPath;

use indexmap::IndexMap;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::bands::{Band, BandTable, Lower, Upper};
use super::facts::{Anchor, Attribution, Count, OutcomeFilter};
use super::names::{self, Name, NameRef};
use super::ratio::Ratio;
use crate::model::source::{Seg, SourceMap};
use crate::model::{Catalog, Diagnostic, Diagnostics, LineIndex, did_you_mean};
use crate::path;

/// The selection used by every role without its own line in `[roles]`.
pub const DEFAULT_ROLE: &str = "default";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    roles: IndexMap<String, Vec<String>>,
    indicators: IndexMap<String, RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    title: String,
    title_en: String,
    workflow: String,
    max_points: i64,
    numerator: RawCount,
    denominator: RawCount,
    attribution: Attribution,
    bands: Vec<RawBand>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawCount {
    Sla(RawSla),
    Events(String),
    Instances(RawInstances),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    clock: String,
    outcome: OutcomeFilter,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstances {
    #[serde(default)]
    reached: Option<String>,
    #[serde(default)]
    created: bool,
    #[serde(default)]
    had_event: Option<String>,
    #[serde(default)]
    with_event: IndexMap<String, Map<String, Json>>,
    #[serde(default)]
    without_events: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    #[serde(default)]
    at_least: Option<String>,
    #[serde(default)]
    above: Option<String>,
    #[serde(default)]
    below: Option<String>,
    #[serde(default)]
    at_most: Option<String>,
    points: i64,
}

/// One indicator, checked: its counts make sense for its attribution and
/// its bands cover every rate once.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) title_en: String,
    pub(super) workflow: String,
    pub(super) max_points: i64,
    pub(super) numerator: Count,
    pub(super) denominator: Count,
    pub(super) attribution: Attribution,
    pub(super) bands: BandTable,
}

impl Indicator {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The seed's Chinese name, e.g. 一次解決率.
    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn title_en(&self) -> &str {
        &self.title_en
    }

    /// The workflow whose history it counts.
    pub fn workflow(&self) -> &str {
        &self.workflow
    }

    /// The points in the indicator's name: positive for a score (10 for
    /// 一次解決率), negative for a deduction (−3 for 掛單率). Every band's
    /// points lie between 0 and this.
    pub fn max_points(&self) -> i64 {
        self.max_points
    }

    pub fn bands(&self) -> &BandTable {
        &self.bands
    }
}

/// The loaded `assessment.toml`.
#[derive(Debug, Clone)]
pub struct AssessmentConfig {
    pub(super) time_zone: TimeZone,
    pub(super) zone_name: String,
    pub(super) indicators: Vec<Indicator>,
    /// Named roles and their indicators (indexes into `indicators`), in file
    /// order, `default` excluded.
    pub(super) roles: IndexMap<String, Vec<usize>>,
    pub(super) default: Option<Vec<usize>>,
    /// The workflow names the file uses, for [`AssessmentConfig::check_names`].
    names: Vec<NameRef>,
}

impl AssessmentConfig {
    /// The zone whose midnights start days, months and years.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    /// The workflows whose history the calculator needs: what the store
    /// query should select.
    pub fn workflows(&self) -> Vec<&str> {
        let mut workflows: Vec<&str> = self
            .indicators
            .iter()
            .map(|i| i.workflow.as_str())
            .collect();
        workflows.sort_unstable();
        workflows.dedup();
        workflows
    }

    /// Checks that every workflow, SLA clock, event, event field and state
    /// the file names exists in `catalog` (the loaded workflow files), so a
    /// typo is an error at its line rather than a silent "no data".
    pub fn check_names(&self, catalog: &Catalog) -> Result<(), Diagnostics> {
        names::check(&self.names, catalog)
    }

    /// The indicators `role` adds up: its own line, else `default`.
    pub(super) fn selection(&self, role: &str) -> Option<&[usize]> {
        self.roles
            .get(role)
            .or(self.default.as_ref())
            .map(Vec::as_slice)
    }
}

/// The time zone `assessment.toml` in `workflows` names, UTC when there is
/// no such file: the weekly security report's weeks use it too.
pub fn time_zone_in(workflows: &FsPath) -> Result<TimeZone, Diagnostics> {
    let path = workflows.join("assessment.toml");
    if path.is_file() {
        Ok(load_file(&path)?.time_zone().clone())
    } else {
        Ok(TimeZone::UTC)
    }
}

/// Reads and checks `path` (normally `<workflows>/assessment.toml`).
pub fn load_file(path: &FsPath) -> Result<AssessmentConfig, Diagnostics> {
    load_str(path, &Diagnostics::read(path)?)
}

/// Checks `text`; `file` only names it in messages.
pub fn load_str(file: &FsPath, text: &str) -> Result<AssessmentConfig, Diagnostics> {
    let lines = LineIndex::new(file, text);
    let raw: RawConfig = toml::from_str(text).map_err(|error| lines.toml_error(&error))?;
    let mut loader = Loader {
        map: SourceMap::new(text),
        lines,
        diagnostics: Vec::new(),
        names: Vec::new(),
    };
    let config = loader.config(&raw);
    match config {
        Some(config) if loader.diagnostics.is_empty() => Ok(config),
        _ => Err(Diagnostics(loader.diagnostics).sorted()),
    }
}

struct Loader<'a> {
    map: SourceMap,
    lines: LineIndex<'a>,
    diagnostics: Vec<Diagnostic>,
    names: Vec<NameRef>,
}

impl Loader<'_> {
    fn error(&mut self, path: &[Seg], message: impl Into<String>, hint: Option<String>) {
        let span = self.map.span(path);
        let diagnostic = self.lines.diagnostic(span, message.into(), hint);
        self.diagnostics.push(diagnostic);
    }

    /// Remembers that the value at `path` names `name` of `workflow`.
    fn name(&mut self, path: &[Seg], workflow: &str, name: Name) {
        let span = self.map.span(path);
        self.remember(span, workflow, name);
    }

    /// Remembers that the key at the end of `path` names `name`.
    fn key_name(&mut self, path: &[Seg], workflow: &str, name: Name) {
        let span = self.map.key_span(path);
        self.remember(span, workflow, name);
    }

    fn remember(&mut self, span: std::ops::Range<usize>, workflow: &str, name: Name) {
        self.names.push(NameRef {
            place: self.lines.diagnostic(span, String::new(), None),
            workflow: workflow.to_owned(),
            name,
        });
    }

    fn config(&mut self, raw: &RawConfig) -> Option<AssessmentConfig> {
        let zone_name = raw.time_zone.clone().unwrap_or_else(|| "UTC".to_owned());
        let time_zone = match TimeZone::get(&zone_name) {
            Ok(zone) => Some(zone),
            Err(error) => {
                self.error(
                    &path!["time_zone"],
                    format!("unknown time zone `{zone_name}`: {error}"),
                    Some("an IANA name such as \"UTC\" or \"Asia/Shanghai\"".into()),
                );
                None
            }
        };
        let indicators: Vec<Option<Indicator>> = raw
            .indicators
            .iter()
            .map(|(id, spec)| self.indicator(id, spec))
            .collect();
        let ids: Vec<&str> = raw.indicators.keys().map(String::as_str).collect();
        let mut roles = IndexMap::new();
        let mut default = None;
        for (role, selection) in &raw.roles {
            let indexes = self.selection(role, selection, &ids);
            if role == DEFAULT_ROLE {
                default = Some(indexes);
            } else {
                roles.insert(role.clone(), indexes);
            }
        }
        Some(AssessmentConfig {
            time_zone: time_zone?,
            zone_name,
            indicators: indicators.into_iter().collect::<Option<_>>()?,
            roles,
            default,
            names: std::mem::take(&mut self.names),
        })
    }

    fn selection(&mut self, role: &str, selection: &[String], ids: &[&str]) -> Vec<usize> {
        let mut indexes = Vec::new();
        for (position, id) in selection.iter().enumerate() {
            let at = path!["roles", role, position];
            match ids.iter().position(|known| known == id) {
                Some(index) if indexes.contains(&index) => {
                    self.error(&at, format!("role `{role}` selects `{id}` twice"), None);
                }
                Some(index) => indexes.push(index),
                None => {
                    let hint = did_you_mean(id, ids.iter().copied());
                    self.error(
                        &at,
                        format!("role `{role}` selects unknown indicator `{id}`"),
                        hint,
                    );
                }
            }
        }
        indexes
    }

    fn indicator(&mut self, id: &str, spec: &RawIndicator) -> Option<Indicator> {
        let at = path!["indicators", id];
        let before = self.diagnostics.len();
        if !is_name(id) {
            self.error(
                &at,
                format!("indicator id `{id}` must start with a-z and hold only a-z, 0-9 and `_`"),
                None,
            );
        }
        if !is_name(&spec.workflow) {
            self.error(
                &path!["indicators", id, "workflow"],
                format!("`{}` is not a workflow id", spec.workflow),
                None,
            );
        }
        self.name(
            &path!["indicators", id, "workflow"],
            &spec.workflow,
            Name::Workflow,
        );
        let numerator = self.count(id, spec, "numerator", &spec.numerator);
        let denominator = self.count(id, spec, "denominator", &spec.denominator);
        self.attribution(id, spec);
        let bands = self.bands(id, spec);
        if self.diagnostics.len() > before {
            return None;
        }
        Some(Indicator {
            id: id.to_owned(),
            title: spec.title.clone(),
            title_en: spec.title_en.clone(),
            workflow: spec.workflow.clone(),
            max_points: spec.max_points,
            numerator: numerator?,
            denominator: denominator?,
            attribution: spec.attribution.clone(),
            bands: bands?,
        })
    }

    fn count(
        &mut self,
        id: &str,
        spec: &RawIndicator,
        side: &str,
        raw: &RawCount,
    ) -> Option<Count> {
        let at = &path!["indicators", id, side];
        self.count_names(at, &spec.workflow, raw);
        let blank = |name: &str| name.trim().is_empty();
        match raw {
            RawCount::Sla(sla) if blank(&sla.clock) => {
                self.error(at, "the SLA clock name is empty", None);
                None
            }
            RawCount::Sla(sla) => Some(Count::Sla {
                clock: sla.clock.clone(),
                outcome: sla.outcome,
            }),
            RawCount::Events(name) if blank(name) => {
                self.error(at, "the event name is empty", None);
                None
            }
            RawCount::Events(name) => Some(Count::Events(name.clone())),
            RawCount::Instances(query) => {
                let anchors = [
                    query.reached.clone().map(Anchor::Reached),
                    query.created.then_some(Anchor::Created),
                    query.had_event.clone().map(Anchor::HadEvent),
                ];
                let mut anchors = anchors.into_iter().flatten();
                let (Some(anchor), None) = (anchors.next(), anchors.next()) else {
                    self.error(
                        &[at.as_slice(), &path!["instances"]].concat(),
                        "an instance count needs exactly one of `reached = \"state\"`, `created = true` or `had_event = \"event\"`: what puts an instance in the period",
                        None,
                    );
                    return None;
                };
                Some(Count::Instances {
                    anchor,
                    with_events: query.with_event.clone().into_iter().collect(),
                    without_events: query.without_events.clone(),
                })
            }
        }
    }

    /// Remembers the workflow names a count uses.
    fn count_names(&mut self, at: &[Seg], workflow: &str, raw: &RawCount) {
        let here = |tail: Vec<Seg>| [at, &tail].concat();
        match raw {
            RawCount::Sla(sla) => {
                self.name(
                    &here(path!["sla", "clock"]),
                    workflow,
                    Name::Clock(sla.clock.clone()),
                );
            }
            RawCount::Events(event) => {
                self.name(&here(path!["events"]), workflow, Name::Event(event.clone()));
            }
            RawCount::Instances(query) => {
                if let Some(state) = &query.reached {
                    let place = here(path!["instances", "reached"]);
                    self.name(&place, workflow, Name::State(state.clone()));
                }
                if let Some(event) = &query.had_event {
                    let place = here(path!["instances", "had_event"]);
                    self.name(&place, workflow, Name::Event(event.clone()));
                }
                for (event, values) in &query.with_event {
                    let place = here(path!["instances", "with_event", event]);
                    self.key_name(&place, workflow, Name::Event(event.clone()));
                    for field in values.keys() {
                        let place = here(path!["instances", "with_event", event, field]);
                        let name = Name::EventField {
                            event: event.clone(),
                            field: field.clone(),
                        };
                        self.key_name(&place, workflow, name);
                    }
                }
                for (index, event) in query.without_events.iter().enumerate() {
                    let place = here(path!["instances", "without_events", index]);
                    self.name(&place, workflow, Name::Event(event.clone()));
                }
            }
        }
    }

    fn attribution(&mut self, id: &str, spec: &RawIndicator) {
        let at = path!["indicators", id, "attribution"];
        if let Attribution::Holder { events, field } = &spec.attribution {
            for (index, event) in events.iter().enumerate() {
                let place = [at.clone(), path!["holder", "events", index]].concat();
                self.name(&place, &spec.workflow, Name::Event(event.clone()));
                let place = [at.clone(), path!["holder", "field"]].concat();
                let name = Name::EventField {
                    event: event.clone(),
                    field: field.clone(),
                };
                self.name(&place, &spec.workflow, name);
            }
        }
        match &spec.attribution {
            Attribution::SlaRole => {
                let is_sla = |count: &RawCount| matches!(count, RawCount::Sla(_));
                if !is_sla(&spec.numerator) || !is_sla(&spec.denominator) {
                    self.error(
                        &at,
                        "attribution `sla_role` credits SLA outcomes: numerator and denominator must both be `sla` counts",
                        Some("use `holder` or `all` for events and instances".into()),
                    );
                }
            }
            Attribution::Holder { events, field }
                if events.is_empty() || field.trim().is_empty() =>
            {
                self.error(&at, "attribution `holder` needs the events that hand the instance over and the field naming the group", Some("holder = { events = [\"dispatch\", \"transfer\"], field = \"group\" }".into()));
            }
            Attribution::All | Attribution::Holder { .. } => {}
        }
    }

    fn bands(&mut self, id: &str, spec: &RawIndicator) -> Option<BandTable> {
        let table_at = path!["indicators", id, "bands"];
        let (low, high) = (spec.max_points.min(0), spec.max_points.max(0));
        let mut bands = Vec::new();
        for (index, raw) in spec.bands.iter().enumerate() {
            let at = [table_at.clone(), path![index]].concat();
            if !(low..=high).contains(&raw.points) {
                self.error(
                    &[at.clone(), path!["points"]].concat(),
                    format!(
                        "{} points lie outside 0 … {} (`max_points`)",
                        raw.points, spec.max_points
                    ),
                    None,
                );
            }
            if let Some(band) = self.band(&at, raw) {
                bands.push(band);
            }
        }
        if bands.len() != spec.bands.len() {
            return None;
        }
        match BandTable::new(bands) {
            Ok(table) => Some(table),
            Err(problems) => {
                for problem in problems {
                    let at = match problem.band {
                        Some(index) => [table_at.clone(), path![index]].concat(),
                        None => table_at.clone(),
                    };
                    self.error(&at, format!("indicator `{id}`: {}", problem.message), None);
                }
                None
            }
        }
    }

    fn band(&mut self, at: &[Seg], raw: &RawBand) -> Option<Band> {
        let lower = match (&raw.at_least, &raw.above) {
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "a band has one lower end: `at_least` or `above`, not both",
                    None,
                );
                return None;
            }
            (Some(text), None) => Lower::AtLeast(self.bound(at, "at_least", text)?),
            (None, Some(text)) => Lower::Above(self.bound(at, "above", text)?),
            (None, None) => Lower::AtLeast(Ratio::ZERO),
        };
        let upper = match (&raw.below, &raw.at_most) {
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "a band has one upper end: `below` or `at_most`, not both",
                    None,
                );
                return None;
            }
            (Some(text), None) => Upper::Below(self.bound(at, "below", text)?),
            (None, Some(text)) => Upper::AtMost(self.bound(at, "at_most", text)?),
            (None, None) => Upper::Unbounded,
        };
        Some(Band {
            lower,
            upper,
            points: raw.points,
        })
    }

    fn bound(&mut self, at: &[Seg], key: &str, text: &str) -> Option<Ratio> {
        Ratio::parse(text)
            .map_err(|error| self.error(&[at, &path![key]].concat(), error.to_string(), None))
            .ok()
    }
}

/// Ids of indicators and workflows: `a-z`, `0-9`, `_`, starting with a letter.
fn is_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
