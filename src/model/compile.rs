//! `raw::WorkflowFile` → `Definition`: resolve every name, parse every
//! duration, compile and type every expression, and report every problem
//! at once.
//!
//! The phases run one after the other and *each always runs*, on what the
//! ones before found sound: shape (`shape`), names, durations and
//! expressions (here), rules over the file (`rules`), and the graph
//! (`graph`). Only a file that is not TOML at all stops after the first.

use std::collections::{HashMap, HashSet};
use std::path::Path as FsPath;

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use super::definition::{
    Action, Definition, Event, Field, NameMap, Role, Sla, SourceText, State, Timer, Transition,
    Within,
};
use super::diagnostic::{Diagnostic, Diagnostics, Hints, LineIndex, Severity, without_bom};
use super::expr::Expr;
use super::graph::{self, Clock, Eventless, GlobalEvent, Guard, Skeleton, StateNode, Target};
use super::raw::{
    ActionSpec, FieldKind, FieldSpec, RoleSpec, TransitionSpec, TransitionsSpec, WithinSpec,
    WorkflowFile,
};
use super::rules::{self, Problem};
use super::shape::{self, Broken};
use super::source::{Seg, SourceMap};
use super::typecheck::{self, Declared, Env, EventFields, Use};
use super::{Duration, Name};
use crate::calendar::Calendars;
use crate::path;

mod timing;

/// Everything one check of a workflow file found.
#[derive(Debug)]
pub struct Report {
    diagnostics: Diagnostics,
    /// The definition as far as it could be built; complete when no
    /// diagnostic is an error.
    definition: Option<Definition>,
    /// Every name resolved, every duration parsed and every expression
    /// compiled: the definition can run even if it breaks a rule.
    runnable: bool,
    work: u64,
}

impl Report {
    /// Errors and warnings, in file order.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }

    /// The workflow, when the file has no errors (warnings allowed).
    pub fn definition(&self) -> Option<&Definition> {
        self.definition.as_ref().filter(|_| !self.has_errors())
    }

    /// Elementary steps the checks took (graph visits, syntax nodes,
    /// candidates compared for hints): tests bound it by the file's size
    /// to keep validation linear, without timing anything.
    pub fn work(&self) -> u64 {
        self.work
    }

    /// The definition, or every problem (errors and warnings) when there is
    /// an error.
    pub fn into_result(self) -> Result<Definition, Diagnostics> {
        match self.definition {
            Some(definition) if !self.diagnostics.has_errors() => Ok(definition),
            _ => Err(self.diagnostics),
        }
    }

    /// The definition as far as it was read, errors or not: its id and
    /// names are sound, for checks between files.
    pub(crate) fn partial(&self) -> Option<&Definition> {
        self.definition.as_ref()
    }

    pub(crate) fn into_partial(self) -> Option<Definition> {
        self.definition
    }

    /// A file that could not be read at all.
    pub(crate) fn unreadable(diagnostics: Diagnostics) -> Self {
        Self {
            diagnostics,
            definition: None,
            runnable: false,
            work: 0,
        }
    }
}

/// Loads one workflow from its text; `file` is only used in messages. It
/// may name only the built-in `always` calendar (see [`load_with`]).
/// Warnings do not stop it.
pub fn load_str(file: &FsPath, text: &str) -> Result<Definition, Diagnostics> {
    load_with(file, text, &Calendars::default())
}

/// Loads one workflow from its text, resolving the calendars it names in
/// `calendars`; `file` is only used in messages.
pub fn load_with(
    file: &FsPath,
    text: &str,
    calendars: &Calendars,
) -> Result<Definition, Diagnostics> {
    check_with(file, text, Some(calendars)).into_result()
}

/// Loads a version the store kept, which was valid when it was stored:
/// rules added to the validator since (types, timer periods, loops) must
/// not strand the instances that run it, so only what running needs is
/// required (shape, names, durations, expressions that compile).
pub fn load_stored(
    file: &FsPath,
    text: &str,
    calendars: &Calendars,
) -> Result<Definition, Diagnostics> {
    let report = check_with(file, text, Some(calendars));
    match report.definition {
        Some(definition) if report.runnable => Ok(definition),
        _ => Err(report.diagnostics),
    }
}

/// Checks one workflow file completely: every error and warning. It may
/// name only the built-in `always` calendar.
pub fn check_str(file: &FsPath, text: &str) -> Report {
    check_with(file, text, Some(&Calendars::default()))
}

/// Checks one workflow file with the calendars of its folder; `None` when
/// those did not load (their file's problems are reported on their own):
/// then any calendar name is taken as known, to report nothing twice.
pub fn check_with(file: &FsPath, text: &str, calendars: Option<&Calendars>) -> Report {
    let fallback = Calendars::default();
    let (calendars, calendars_known) = match calendars {
        Some(calendars) => (calendars, true),
        None => (&fallback, false),
    };
    let text = without_bom(text);
    let lines = LineIndex::new(file, text);
    let read = match shape::read(text) {
        Ok(read) => read,
        Err(errors) => {
            let found = errors
                .into_iter()
                .map(|error| lines.diagnostic(error.span, error.message, error.hint))
                .collect();
            return Report {
                diagnostics: Diagnostics(found).sorted(),
                definition: None,
                runnable: false,
                work: text.len() as u64,
            };
        }
    };
    let raw = &read.file;
    let mut compiler = Compiler::new(raw, &read.broken, SourceMap::new(text), lines, calendars);
    compiler.calendars_known = calendars_known;
    compiler.runnable = read.errors.is_empty();
    for error in read.errors {
        let diagnostic = compiler
            .lines
            .diagnostic(error.span, error.message, error.hint);
        compiler.diagnostics.push(diagnostic);
    }
    let definition = compiler.compile(text);
    compiler.file_name(file);
    let skeleton = compiler.skeleton();
    let (graph_problems, graph_work) = graph::check(&skeleton);
    let problems = rules::check(raw, &read.broken)
        .into_iter()
        .chain(graph_problems);
    for problem in problems {
        compiler.problem(problem);
    }
    let work = text.len() as u64 + graph_work + compiler.visited + compiler.hints.compared();
    Report {
        diagnostics: Diagnostics(compiler.diagnostics).sorted(),
        definition: Some(definition),
        runnable: compiler.runnable,
        work,
    }
}

/// Collects diagnostics while building the definition.
pub(crate) struct Compiler<'a> {
    raw: &'a WorkflowFile,
    broken: &'a Broken,
    map: SourceMap,
    lines: LineIndex<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Declared data fields plus the fields of events that merge.
    data: HashMap<String, Declared>,
    /// The fields of each readable event.
    event_fields: HashMap<String, HashMap<String, Declared>>,
    /// What each state's eventless guards are known to be.
    eventless: HashMap<String, Vec<Guard>>,
    hints: Hints,
    /// Syntax nodes the type checker visited.
    visited: u64,
    /// No error so far leaves the definition unable to run.
    runnable: bool,
    /// The calendars timers and SLA clocks may name.
    calendars: &'a Calendars,
    /// False when the folder's calendars did not load: then every calendar
    /// name is accepted.
    calendars_known: bool,
}

impl<'a> Compiler<'a> {
    fn new(
        raw: &'a WorkflowFile,
        broken: &'a Broken,
        map: SourceMap,
        lines: LineIndex<'a>,
        calendars: &'a Calendars,
    ) -> Self {
        let mut data: HashMap<String, Declared> = raw
            .data
            .iter()
            .map(|(name, spec)| (name.clone(), declared(spec)))
            .collect();
        for name in &broken.data {
            data.insert(name.clone(), Declared::Unknown);
        }
        for event in raw.events.values().filter(|event| event.merge) {
            for (name, spec) in &event.fields {
                data.entry(name.clone()).or_insert_with(|| declared(spec));
            }
        }
        let event_fields = raw
            .events
            .iter()
            .filter(|(name, _)| !broken.events.contains(*name))
            .map(|(name, event)| {
                let fields = event
                    .fields
                    .iter()
                    .map(|(field, spec)| (field.clone(), declared(spec)))
                    .collect();
                (name.clone(), fields)
            })
            .collect();
        Self {
            raw,
            broken,
            map,
            lines,
            diagnostics: Vec::new(),
            data,
            event_fields,
            eventless: HashMap::new(),
            hints: Hints::default(),
            visited: 0,
            runnable: true,
            calendars,
            calendars_known: true,
        }
    }

    /// Whether every field an event may merge into the data is known.
    fn data_complete(&self) -> bool {
        self.broken.events.is_empty()
    }

    fn problem(&mut self, problem: Problem) {
        let span = if problem.at_key {
            self.map.key_span(&problem.path)
        } else {
            self.map.span(&problem.path)
        };
        let diagnostic = self.lines.diagnostic(span, problem.message, problem.hint);
        self.diagnostics.push(diagnostic);
    }

    fn warning(&mut self, path: &[Seg], message: String, hint: Option<String>) {
        let span = self.map.span(path);
        let diagnostic = self.lines.at(Severity::Warning, span.start, message, hint);
        self.diagnostics.push(diagnostic);
    }

    /// The id should be the file name, as the docs promise: other
    /// workflows name this one by its id, people look for it by file name.
    fn file_name(&mut self, file: &FsPath) {
        let stem = file.file_stem().and_then(|stem| stem.to_str());
        if let Some(stem) = stem
            && !self.broken.id
            && stem != self.raw.id
            && !self.raw.id.is_empty()
        {
            self.warning(
                &path!["id"],
                format!(
                    "the workflow id `{}` differs from the file name `{stem}`",
                    self.raw.id
                ),
                Some(format!(
                    "rename the file to {}.toml, or set id = \"{stem}\"",
                    self.raw.id
                )),
            );
        }
    }

    /// An error that leaves the definition unable to run (a name that does
    /// not resolve, a duration that does not parse).
    fn error(&mut self, path: &[Seg], message: impl Into<String>, hint: Option<String>) {
        self.runnable = false;
        self.rule_error(path, message, hint);
    }

    /// An error in a rule the file breaks, though it could run.
    fn rule_error(&mut self, path: &[Seg], message: impl Into<String>, hint: Option<String>) {
        let span = self.map.span(path);
        let diagnostic = self.lines.diagnostic(span, message.into(), hint);
        self.diagnostics.push(diagnostic);
    }

    fn key_error(&mut self, path: &[Seg], message: impl Into<String>, hint: Option<String>) {
        self.runnable = false;
        let span = self.map.key_span(path);
        let diagnostic = self.lines.diagnostic(span, message.into(), hint);
        self.diagnostics.push(diagnostic);
    }

    fn compile(&mut self, text: &str) -> Definition {
        let raw = self.raw;
        if !self.broken.id {
            self.check_id(&raw.id);
        }
        if raw.version == 0 {
            self.error(&path!["version"], "`version` must be 1 or more", None);
        }
        let data = self.fields(&path!["data"], &raw.data);
        let events = raw
            .events
            .iter()
            .map(|(name, spec)| {
                let at = path!["events", name];
                let fields = self.fields(&[at.clone(), path!["fields"]].concat(), &spec.fields);
                let transitions = self
                    .transition_list(
                        &[at, path!["transitions"]].concat(),
                        &spec.transitions,
                        Scope::Event(name),
                    )
                    .0;
                let event = Event {
                    name: name.clone(),
                    title: spec.title.clone(),
                    global: spec.global,
                    after_end: spec.after_end,
                    by: spec.by.clone(),
                    fields,
                    merge: spec.merge,
                    transitions,
                };
                (name.clone(), event)
            })
            .collect();
        let states = raw
            .states
            .iter()
            .map(|(name, spec)| (name.clone(), self.state(name, spec)))
            .collect();
        let timers = raw
            .timers
            .iter()
            .filter_map(|(name, spec)| Some((name.clone(), self.timer(name, spec)?)))
            .collect();
        let slas = raw
            .slas
            .iter()
            .filter_map(|(name, spec)| Some((name.clone(), self.sla(name, spec)?)))
            .collect();
        if !self.broken.start {
            self.check_state(&path!["start"], &raw.start);
        }
        Definition {
            id: raw.id.clone(),
            version: raw.version,
            title: raw.title.clone(),
            description: raw.description.clone(),
            key_title: raw.key.clone(),
            start: Name::from(&raw.start),
            data,
            states,
            events,
            timers,
            slas,
            source: SourceText {
                text: text.to_owned(),
                hash: format!("{:x}", Sha256::digest(text.as_bytes())),
            },
        }
    }

    fn check_id(&mut self, id: &str) {
        let valid = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            self.error(
                &path!["id"],
                format!("workflow id `{id}` must start with a-z and hold only a-z, 0-9 and `_`"),
                None,
            );
        }
    }

    fn fields(&mut self, at: &[Seg], specs: &IndexMap<String, FieldSpec>) -> NameMap<Field> {
        specs
            .iter()
            .map(|(name, spec)| {
                let field_at = [at, &path![name]].concat();
                (name.clone(), self.field(&field_at, name, spec))
            })
            .collect()
    }

    fn field(&mut self, at: &[Seg], name: &str, spec: &FieldSpec) -> Field {
        match spec.kind {
            FieldKind::Enum if spec.values.is_empty() => self.error(
                at,
                format!("enum field `{name}` needs `values`"),
                Some("e.g. values = [\"user\", \"customer\"]".into()),
            ),
            FieldKind::Enum => {}
            _ if !spec.values.is_empty() => self.error(
                &[at, &path!["values"]].concat(),
                format!("`values` is only for enum fields, and `{name}` is not one"),
                None,
            ),
            _ => {}
        }
        if let (Some(min), Some(max)) = (spec.min, spec.max)
            && min > max
        {
            self.error(
                &[at, &path!["min"]].concat(),
                format!("`min` {min} is above `max` {max}"),
                None,
            );
        }
        let field = Field {
            kind: spec.kind,
            title: spec.title.clone(),
            required: spec.required,
            default: spec.default.clone(),
            min: spec.min,
            max: spec.max,
            values: spec.values.clone(),
        };
        if let Some(default) = &field.default
            && let Err(problem) = super::fields::check_value(&field, default)
        {
            self.error(
                &[at, &path!["default"]].concat(),
                format!("default of `{name}` {problem}"),
                None,
            );
        }
        field
    }

    fn state(&mut self, name: &str, spec: &super::raw::StateSpec) -> State {
        let at = path!["states", name];
        let role = spec
            .role
            .as_ref()
            .map(|role| self.role(&[at.clone(), path!["role"]].concat(), role));
        let stuck_after = spec
            .stuck_after
            .as_deref()
            .and_then(|text| self.duration(&[at.clone(), path!["stuck_after"]].concat(), text));
        let mut on = NameMap::default();
        for (event, transitions) in &spec.on {
            let event_at = [at.clone(), path!["on", event]].concat();
            let scope = if self.raw.events.contains_key(event) {
                Scope::Event(event)
            } else {
                let hint = self
                    .hints
                    .did_you_mean(event, self.raw.events.keys().map(String::as_str));
                self.key_error(
                    &event_at,
                    format!("state `{name}` handles unknown event `{event}`"),
                    hint,
                );
                Scope::UnknownEvent
            };
            let compiled = match transitions {
                TransitionsSpec::Target(target) => {
                    self.check_state(&event_at, target);
                    vec![Transition {
                        guard: None,
                        to: Some(Name::from(target)),
                        set: Vec::new(),
                        actions: Vec::new(),
                    }]
                }
                TransitionsSpec::One(one) => vec![self.transition(&event_at, one, scope).0],
                TransitionsSpec::Many(many) => self.transition_list(&event_at, many, scope).0,
            };
            on.insert(event.clone(), compiled);
        }
        let (always, guards) = self.transition_list(
            &[at.clone(), path!["always"]].concat(),
            &spec.always,
            Scope::NoEvent,
        );
        self.eventless.insert(name.to_owned(), guards);
        let on_enter = self.actions(
            &[at, path!["on_enter"]].concat(),
            &spec.on_enter,
            Scope::NoEvent,
        );
        State {
            name: Name::from(name),
            title: spec.title.clone(),
            role,
            terminal: spec.terminal,
            stuck_after,
            on,
            always,
            on_enter,
        }
    }

    /// The transitions, and what each one's guard is known to be.
    fn transition_list(
        &mut self,
        at: &[Seg],
        specs: &[TransitionSpec],
        scope: Scope<'_>,
    ) -> (Vec<Transition>, Vec<Guard>) {
        specs
            .iter()
            .enumerate()
            .map(|(index, spec)| self.transition(&[at, &path![index]].concat(), spec, scope))
            .unzip()
    }

    fn transition(
        &mut self,
        at: &[Seg],
        spec: &TransitionSpec,
        scope: Scope<'_>,
    ) -> (Transition, Guard) {
        let (guard, known) = match spec.when.as_deref() {
            None => (None, Guard::Absent),
            Some(source) => self.condition(&[at, &path!["when"]].concat(), source, scope),
        };
        if let Some(target) = &spec.to {
            self.check_state(&[at, &path!["to"]].concat(), target);
        }
        let set = spec
            .set
            .iter()
            .filter_map(|(field, source)| {
                let field_at = [at, &path!["set", field]].concat();
                let declared = match self.data.get(field) {
                    Some(declared) => declared.clone(),
                    None => {
                        if self.data_complete() {
                            let hint = self
                                .hints
                                .did_you_mean(field, self.data.keys().map(String::as_str));
                            self.key_error(
                                &field_at,
                                format!("`set` names undeclared data field `{field}`"),
                                hint,
                            );
                        }
                        Declared::Unknown
                    }
                };
                let usage = Use::Set {
                    field,
                    declared: &declared,
                };
                Some((field.clone(), self.expr(&field_at, source, scope, usage)?.0))
            })
            .collect();
        let actions = self.actions(&[at, &path!["actions"]].concat(), &spec.actions, scope);
        let transition = Transition {
            guard,
            to: spec.to.as_ref().map(Name::from),
            set,
            actions,
        };
        (transition, known)
    }

    /// A `when`: compiled, typed as a condition, and classified. A guard
    /// that is always or never true is almost always a mistake.
    fn condition(&mut self, at: &[Seg], source: &str, scope: Scope<'_>) -> (Option<Expr>, Guard) {
        let Some((expr, constant)) = self.expr(at, source, scope, Use::Guard) else {
            return (None, Guard::Depends);
        };
        let known = match constant {
            Some(true) => {
                self.warning(
                    at,
                    "this condition is always true".into(),
                    Some("leave `when` out to say \"otherwise\"".into()),
                );
                Guard::AlwaysTrue
            }
            Some(false) => {
                self.warning(
                    at,
                    "this condition is never true, so what it guards never happens".into(),
                    None,
                );
                Guard::NeverTrue
            }
            None => Guard::Depends,
        };
        (Some(expr), known)
    }

    fn actions(&mut self, at: &[Seg], specs: &[ActionSpec], scope: Scope<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        for (index, spec) in specs.iter().enumerate() {
            let at = [at, &path![index]].concat();
            let action = match spec {
                ActionSpec::Notify(notify) => {
                    let at = [at, path!["notify"]].concat();
                    Action::Notify {
                        webhook: notify.webhook.clone(),
                        payload: self.expr_map(
                            &[at, path!["payload"]].concat(),
                            &notify.payload,
                            scope,
                        ),
                    }
                }
                ActionSpec::Spawn(spawn) => {
                    let at = [at, path!["spawn"]].concat();
                    let key = self.expr(
                        &[at.clone(), path!["key"]].concat(),
                        &spawn.key,
                        scope,
                        Use::Key,
                    );
                    let data = self.expr_map(&[at, path!["data"]].concat(), &spawn.data, scope);
                    let Some((key, _)) = key else {
                        continue;
                    };
                    Action::Spawn {
                        workflow: spawn.workflow.clone(),
                        key,
                        data,
                    }
                }
                ActionSpec::Send(send) => {
                    let at = [at, path!["send"]].concat();
                    let key = self.expr(
                        &[at.clone(), path!["key"]].concat(),
                        &send.key,
                        scope,
                        Use::Key,
                    );
                    let data = self.expr_map(&[at, path!["data"]].concat(), &send.data, scope);
                    let Some((key, _)) = key else {
                        continue;
                    };
                    Action::Send {
                        workflow: send.workflow.clone(),
                        key,
                        event: send.event.clone(),
                        data,
                        start: send.start,
                    }
                }
            };
            actions.push(action);
        }
        actions
    }

    fn expr_map(
        &mut self,
        at: &[Seg],
        specs: &IndexMap<String, String>,
        scope: Scope<'_>,
    ) -> Vec<(String, Expr)> {
        specs
            .iter()
            .filter_map(|(name, source)| {
                let at = [at, &path![name]].concat();
                let (expr, _) = self.expr(&at, source, scope, Use::Value)?;
                Some((name.clone(), expr))
            })
            .collect()
    }

    fn timer(&mut self, name: &str, spec: &super::raw::TimerSpec) -> Option<Timer> {
        let at = path!["timers", name];
        self.check_event(&[at.clone(), path!["event"]].concat(), &spec.event);
        for (index, state) in spec.states.iter().enumerate() {
            self.check_state(&[at.clone(), path!["states", index]].concat(), state);
        }
        let timing = self.timing(name, spec)?;
        Some(Timer {
            name: Name::from(name),
            schedule: timing.schedule,
            event: Name::from(&spec.event),
            states: spec.states.clone(),
            calendar: timing.calendar,
            catch_up: timing.catch_up,
        })
    }

    fn sla(&mut self, name: &str, spec: &super::raw::SlaSpec) -> Option<Sla> {
        let at = path!["slas", name];
        for (list, states) in [
            ("start", &spec.start),
            ("stop", &spec.stop),
            ("pause", &spec.pause),
        ] {
            for (index, state) in states.iter().enumerate() {
                self.check_state(&[at.clone(), path![list, index]].concat(), state);
            }
        }
        for (index, event) in spec.stop_events.iter().enumerate() {
            self.check_event(&[at.clone(), path!["stop_events", index]].concat(), event);
        }
        if let Some(event) = &spec.on_breach {
            self.check_event(&[at.clone(), path!["on_breach"]].concat(), event);
        }
        let role = spec
            .role
            .as_ref()
            .map(|role| self.role(&[at.clone(), path!["role"]].concat(), role));
        let within_at = [at.clone(), path!["within"]].concat();
        let clock_calendar = match &spec.calendar {
            Some(calendar) => {
                Some(self.calendar(&[at.clone(), path!["calendar"]].concat(), calendar)?)
            }
            None => None,
        };
        let within = match &spec.within {
            WithinSpec::Fixed(text) => vec![Within {
                when: None,
                duration: self.duration(&within_at, text)?,
                calendar: clock_calendar,
            }],
            WithinSpec::Cases(cases) => {
                let mut compiled = Vec::new();
                let mut complete = true;
                for (index, case) in cases.iter().enumerate() {
                    let case_at = [within_at.clone(), path![index]].concat();
                    let when = match &case.when {
                        Some(source) => {
                            let (when, _) = self.condition(
                                &[case_at.clone(), path!["when"]].concat(),
                                source,
                                Scope::NoEvent,
                            );
                            complete &= when.is_some();
                            when
                        }
                        None => None,
                    };
                    let duration = self.duration(
                        &[case_at.clone(), path!["duration"]].concat(),
                        &case.duration,
                    );
                    let calendar = match &case.calendar {
                        Some(calendar) => {
                            let at = [case_at, path!["calendar"]].concat();
                            let found = self.calendar(&at, calendar);
                            complete &= found.is_some();
                            found
                        }
                        None => clock_calendar.clone(),
                    };
                    complete &= duration.is_some();
                    if let Some(duration) = duration {
                        compiled.push(Within {
                            when,
                            duration,
                            calendar,
                        });
                    }
                }
                if cases.last().is_none_or(|last| last.when.is_some()) {
                    self.error(
                        &within_at,
                        format!("the durations of SLA `{name}` need a last case without `when`"),
                        Some("add { duration = \"48h\" } as the fallback".into()),
                    );
                    return None;
                }
                if !complete {
                    return None;
                }
                compiled
            }
        };
        Some(Sla {
            name: Name::from(name),
            deadline_timer: Name::from(format!("sla:{name}")),
            title: spec.title.clone(),
            start: spec.start.clone(),
            stop: spec.stop.clone(),
            stop_events: spec.stop_events.clone(),
            pause: spec.pause.clone(),
            within,
            role,
            on_breach: spec.on_breach.as_ref().map(Name::from),
        })
    }

    fn role(&mut self, at: &[Seg], spec: &RoleSpec) -> Role {
        match spec {
            RoleSpec::Fixed(name) => Role::Fixed(Name::from(name)),
            RoleSpec::Field(field) => {
                if !self.data.contains_key(&field.field) && self.data_complete() {
                    let hint = self
                        .hints
                        .did_you_mean(&field.field, self.data.keys().map(String::as_str));
                    self.error(
                        at,
                        format!("role reads undeclared data field `{}`", field.field),
                        hint,
                    );
                }
                Role::Field(field.field.clone())
            }
        }
    }

    fn duration(&mut self, at: &[Seg], text: &str) -> Option<Duration> {
        Duration::parse(text)
            .map_err(|error| self.error(at, error.to_string(), None))
            .ok()
    }

    fn check_state(&mut self, at: &[Seg], name: &str) {
        if !self.raw.states.contains_key(name) {
            let hint = self
                .hints
                .did_you_mean(name, self.raw.states.keys().map(String::as_str));
            self.error(at, format!("unknown state `{name}`"), hint);
        }
    }

    fn check_event(&mut self, at: &[Seg], name: &str) {
        if !self.raw.events.contains_key(name) {
            let hint = self
                .hints
                .did_you_mean(name, self.raw.events.keys().map(String::as_str));
            self.error(at, format!("unknown event `{name}`"), hint);
        }
    }

    /// Compiles and type-checks `source` for `usage`; every problem is
    /// reported at the token it is about. Also returns whether the value
    /// is known without data.
    fn expr(
        &mut self,
        at: &[Seg],
        source: &str,
        scope: Scope<'_>,
        usage: Use<'_>,
    ) -> Option<(Expr, Option<bool>)> {
        let event = match scope {
            Scope::NoEvent => EventFields::None,
            Scope::UnknownEvent => EventFields::Unknown,
            Scope::Event(name) => self
                .event_fields
                .get(name)
                .map_or(EventFields::Unknown, EventFields::Known),
        };
        let env = Env {
            data: &self.data,
            data_complete: self.data_complete(),
            event,
            hints: &self.hints,
        };
        let checked = typecheck::check(source, &env, usage);
        self.visited += checked.visited as u64;
        self.runnable &= checked.expr.is_some();
        for problem in checked.problems {
            let span = self.map.inside_string(at, source, problem.offset);
            let diagnostic =
                self.lines
                    .at(problem.severity, span.start, problem.message, problem.hint);
            self.diagnostics.push(diagnostic);
        }
        Some((checked.expr?, checked.constant))
    }

    /// What the graph checks run on: the states, transitions and clocks as
    /// far as the phases before found them sound.
    fn skeleton(&self) -> Skeleton {
        let raw = self.raw;
        let index: HashMap<&str, usize> = raw
            .states
            .keys()
            .enumerate()
            .map(|(at, name)| (name.as_str(), at))
            .collect();
        let target = |to: Option<&String>| match to {
            None => Target::Stay,
            Some(name) => index
                .get(name.as_str())
                .map_or(Target::Unknown, |at| Target::State(*at)),
        };
        let targets = |transitions: &[TransitionSpec]| -> Vec<Target> {
            transitions.iter().map(|t| target(t.to.as_ref())).collect()
        };
        let states = raw
            .states
            .iter()
            .map(|(name, spec)| {
                let on = spec
                    .on
                    .iter()
                    .map(|(event, transitions)| {
                        let leads = match transitions {
                            TransitionsSpec::Target(to) => vec![target(Some(to))],
                            TransitionsSpec::One(one) => vec![target(one.to.as_ref())],
                            TransitionsSpec::Many(many) => targets(many),
                        };
                        (event.clone(), leads)
                    })
                    .collect();
                let guards = self.eventless.get(name);
                let always = spec
                    .always
                    .iter()
                    .enumerate()
                    .map(|(position, transition)| Eventless {
                        guard: guards
                            .and_then(|guards| guards.get(position).copied())
                            .unwrap_or(Guard::Depends),
                        target: target(transition.to.as_ref()),
                    })
                    .collect();
                StateNode {
                    name: name.clone(),
                    terminal: spec.terminal,
                    broken: self.broken.states.contains(name),
                    on,
                    always,
                }
            })
            .collect();
        let globals = raw
            .events
            .iter()
            .filter_map(|(name, event)| {
                let leads = if self.broken.events.contains(name) {
                    vec![Target::Unknown]
                } else if event.global {
                    targets(&event.transitions)
                } else {
                    return None;
                };
                Some(GlobalEvent {
                    name: name.clone(),
                    targets: leads,
                })
            })
            .collect();
        let known_events: HashSet<&str> = raw
            .events
            .keys()
            .map(String::as_str)
            .filter(|event| !self.broken.events.contains(*event))
            .collect();
        let resolve = |names: &[String]| -> Option<Vec<usize>> {
            names
                .iter()
                .map(|name| index.get(name.as_str()).copied())
                .collect()
        };
        let clocks = raw
            .slas
            .iter()
            .filter_map(|(name, sla)| {
                let sound = sla
                    .stop_events
                    .iter()
                    .all(|event| known_events.contains(event.as_str()));
                Some(Clock {
                    name: name.clone(),
                    start: resolve(&sla.start)?,
                    stop: resolve(&sla.stop)?,
                    stop_events: sound.then(|| sla.stop_events.clone())?,
                })
                .filter(|clock| !clock.stop.is_empty() || !clock.stop_events.is_empty())
            })
            .collect();
        let start = (!self.broken.start)
            .then(|| index.get(raw.start.as_str()).copied())
            .flatten();
        Skeleton {
            states,
            start,
            globals,
            clocks,
        }
    }
}

/// How expressions see a declared field.
fn declared(spec: &FieldSpec) -> Declared {
    Declared::Field(spec.kind, spec.values.clone())
}

/// Which event, if any, an expression is evaluated with.
#[derive(Debug, Clone, Copy)]
enum Scope<'s> {
    /// Eventless transitions, entry actions, SLA durations.
    NoEvent,
    /// The transitions of this declared event.
    Event(&'s str),
    /// An `on.<event>` whose event is not declared (already reported).
    UnknownEvent,
}
