//! `raw::WorkflowFile` → `Definition`: resolve every name, parse every
//! duration, compile every expression, and report every problem at once.

use std::collections::BTreeSet;
use std::path::Path as FsPath;

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use super::definition::{
    Action, Definition, Event, Field, Role, Sla, SourceText, State, Timer, Transition, Within,
};
use super::diagnostic::{Diagnostic, Diagnostics, LineIndex, did_you_mean};
use super::expr::{Expr, VARIABLES};
use super::raw::{
    ActionSpec, FieldKind, FieldSpec, RoleSpec, TransitionSpec, TransitionsSpec, WithinSpec,
    WorkflowFile,
};
use super::source::{Seg, SourceMap};
use super::{Duration, rules, shape, validate};
use crate::calendar::Calendars;
use crate::path;

mod timing;

/// Loads one workflow from its text; `file` is only used in messages. It
/// may name only the built-in `always` calendar (see [`load_with`]).
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
    let lines = LineIndex::new(file, text);
    let raw: WorkflowFile = shape::read(text).map_err(|errors| {
        let found = errors
            .into_iter()
            .map(|error| lines.diagnostic(error.span, error.message, error.hint))
            .collect();
        Diagnostics(found).sorted()
    })?;
    let mut compiler = Compiler {
        raw: &raw,
        map: SourceMap::new(text),
        lines,
        diagnostics: Vec::new(),
        data_fields: BTreeSet::new(),
        calendars,
    };
    let definition = compiler.compile(text);
    for problem in rules::check(&raw) {
        let span = if problem.at_key {
            compiler.map.key_span(&problem.path)
        } else {
            compiler.map.span(&problem.path)
        };
        let diagnostic = compiler
            .lines
            .diagnostic(span, problem.message, problem.hint);
        compiler.diagnostics.push(diagnostic);
    }
    if compiler.diagnostics.is_empty() {
        compiler.diagnostics = validate::check(&definition, &compiler.map, &compiler.lines);
    }
    if compiler.diagnostics.is_empty() {
        Ok(definition)
    } else {
        Err(Diagnostics(compiler.diagnostics).sorted())
    }
}

/// Collects diagnostics while building the definition.
pub(crate) struct Compiler<'a> {
    raw: &'a WorkflowFile,
    map: SourceMap,
    lines: LineIndex<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Declared data fields plus the fields of events that merge.
    data_fields: BTreeSet<String>,
    /// The calendars timers and SLA clocks may name.
    calendars: &'a Calendars,
}

/// Which `event.<field>` names an expression may read.
#[derive(Clone, Copy)]
enum EventScope<'a> {
    None,
    Fields(&'a IndexMap<String, FieldSpec>),
}

impl<'a> Compiler<'a> {
    fn error(&mut self, path: &[Seg], message: impl Into<String>, hint: Option<String>) {
        let span = self.map.span(path);
        let diagnostic = self.lines.diagnostic(span, message.into(), hint);
        self.diagnostics.push(diagnostic);
    }

    fn key_error(&mut self, path: &[Seg], message: impl Into<String>, hint: Option<String>) {
        let span = self.map.key_span(path);
        let diagnostic = self.lines.diagnostic(span, message.into(), hint);
        self.diagnostics.push(diagnostic);
    }

    fn compile(&mut self, text: &str) -> Definition {
        let raw = self.raw;
        self.check_id(&raw.id);
        if raw.version == 0 {
            self.error(&path!["version"], "`version` must be 1 or more", None);
        }
        self.data_fields = raw.data.keys().cloned().collect();
        for event in raw.events.values().filter(|event| event.merge) {
            self.data_fields.extend(event.fields.keys().cloned());
        }
        let data = self.fields(&path!["data"], &raw.data);
        let events = raw
            .events
            .iter()
            .map(|(name, spec)| {
                let at = path!["events", name];
                let fields = self.fields(&[at.clone(), path!["fields"]].concat(), &spec.fields);
                let transitions = self.transition_list(
                    &[at, path!["transitions"]].concat(),
                    &spec.transitions,
                    EventScope::Fields(&spec.fields),
                );
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
        self.check_state(&path!["start"], &raw.start);
        Definition {
            id: raw.id.clone(),
            version: raw.version,
            title: raw.title.clone(),
            description: raw.description.clone(),
            key_title: raw.key.clone(),
            start: raw.start.clone(),
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

    fn fields(
        &mut self,
        at: &[Seg],
        specs: &IndexMap<String, FieldSpec>,
    ) -> IndexMap<String, Field> {
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
        let mut on = IndexMap::new();
        for (event, transitions) in &spec.on {
            let event_at = [at.clone(), path!["on", event]].concat();
            let Some(event_spec) = self.raw.events.get(event) else {
                let hint = did_you_mean(event, self.raw.events.keys().map(String::as_str));
                self.key_error(
                    &event_at,
                    format!("state `{name}` handles unknown event `{event}`"),
                    hint,
                );
                continue;
            };
            let scope = EventScope::Fields(&event_spec.fields);
            let compiled = match transitions {
                TransitionsSpec::Target(target) => {
                    self.check_state(&event_at, target);
                    vec![Transition {
                        guard: None,
                        to: Some(target.clone()),
                        set: Vec::new(),
                        actions: Vec::new(),
                    }]
                }
                TransitionsSpec::One(one) => vec![self.transition(&event_at, one, scope)],
                TransitionsSpec::Many(many) => self.transition_list(&event_at, many, scope),
            };
            on.insert(event.clone(), compiled);
        }
        let always = self.transition_list(
            &[at.clone(), path!["always"]].concat(),
            &spec.always,
            EventScope::None,
        );
        let on_enter = self.actions(
            &[at, path!["on_enter"]].concat(),
            &spec.on_enter,
            EventScope::None,
        );
        State {
            name: name.to_owned(),
            title: spec.title.clone(),
            role,
            terminal: spec.terminal,
            stuck_after,
            on,
            always,
            on_enter,
        }
    }

    fn transition_list(
        &mut self,
        at: &[Seg],
        specs: &[TransitionSpec],
        scope: EventScope<'_>,
    ) -> Vec<Transition> {
        specs
            .iter()
            .enumerate()
            .map(|(index, spec)| self.transition(&[at, &path![index]].concat(), spec, scope))
            .collect()
    }

    fn transition(
        &mut self,
        at: &[Seg],
        spec: &TransitionSpec,
        scope: EventScope<'_>,
    ) -> Transition {
        let guard = spec
            .when
            .as_deref()
            .and_then(|source| self.expr(&[at, &path!["when"]].concat(), source, scope));
        if let Some(target) = &spec.to {
            self.check_state(&[at, &path!["to"]].concat(), target);
        }
        let set = spec
            .set
            .iter()
            .filter_map(|(field, source)| {
                let field_at = [at, &path!["set", field]].concat();
                if !self.data_fields.contains(field) {
                    let hint = did_you_mean(field, self.data_fields.iter().map(String::as_str));
                    self.key_error(
                        &field_at,
                        format!("`set` names undeclared data field `{field}`"),
                        hint,
                    );
                }
                Some((field.clone(), self.expr(&field_at, source, scope)?))
            })
            .collect();
        let actions = self.actions(&[at, &path!["actions"]].concat(), &spec.actions, scope);
        Transition {
            guard,
            to: spec.to.clone(),
            set,
            actions,
        }
    }

    fn actions(&mut self, at: &[Seg], specs: &[ActionSpec], scope: EventScope<'_>) -> Vec<Action> {
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
                    let Some(key) =
                        self.expr(&[at.clone(), path!["key"]].concat(), &spawn.key, scope)
                    else {
                        continue;
                    };
                    Action::Spawn {
                        workflow: spawn.workflow.clone(),
                        key,
                        data: self.expr_map(&[at, path!["data"]].concat(), &spawn.data, scope),
                    }
                }
                ActionSpec::Send(send) => {
                    let at = [at, path!["send"]].concat();
                    let Some(key) =
                        self.expr(&[at.clone(), path!["key"]].concat(), &send.key, scope)
                    else {
                        continue;
                    };
                    Action::Send {
                        workflow: send.workflow.clone(),
                        key,
                        event: send.event.clone(),
                        data: self.expr_map(&[at, path!["data"]].concat(), &send.data, scope),
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
        scope: EventScope<'_>,
    ) -> Vec<(String, Expr)> {
        specs
            .iter()
            .filter_map(|(name, source)| {
                let expr = self.expr(&[at, &path![name]].concat(), source, scope)?;
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
            name: name.to_owned(),
            schedule: timing.schedule,
            event: spec.event.clone(),
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
                for (index, case) in cases.iter().enumerate() {
                    let case_at = [within_at.clone(), path![index]].concat();
                    let when = match &case.when {
                        Some(source) => Some(self.expr(
                            &[case_at.clone(), path!["when"]].concat(),
                            source,
                            EventScope::None,
                        )?),
                        None => None,
                    };
                    let duration = self.duration(
                        &[case_at.clone(), path!["duration"]].concat(),
                        &case.duration,
                    )?;
                    let calendar = match &case.calendar {
                        Some(calendar) => {
                            Some(self.calendar(&[case_at, path!["calendar"]].concat(), calendar)?)
                        }
                        None => clock_calendar.clone(),
                    };
                    compiled.push(Within {
                        when,
                        duration,
                        calendar,
                    });
                }
                if compiled.last().is_none_or(|last| last.when.is_some()) {
                    self.error(
                        &within_at,
                        format!("the durations of SLA `{name}` need a last case without `when`"),
                        Some("add { duration = \"48h\" } as the fallback".into()),
                    );
                    return None;
                }
                compiled
            }
        };
        Some(Sla {
            name: name.to_owned(),
            title: spec.title.clone(),
            start: spec.start.clone(),
            stop: spec.stop.clone(),
            stop_events: spec.stop_events.clone(),
            pause: spec.pause.clone(),
            within,
            role,
            on_breach: spec.on_breach.clone(),
        })
    }

    fn role(&mut self, at: &[Seg], spec: &RoleSpec) -> Role {
        match spec {
            RoleSpec::Fixed(name) => Role::Fixed(name.clone()),
            RoleSpec::Field(field) => {
                if !self.data_fields.contains(&field.field) {
                    let hint =
                        did_you_mean(&field.field, self.data_fields.iter().map(String::as_str));
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
            let hint = did_you_mean(name, self.raw.states.keys().map(String::as_str));
            self.error(at, format!("unknown state `{name}`"), hint);
        }
    }

    fn check_event(&mut self, at: &[Seg], name: &str) {
        if !self.raw.events.contains_key(name) {
            let hint = did_you_mean(name, self.raw.events.keys().map(String::as_str));
            self.error(at, format!("unknown event `{name}`"), hint);
        }
    }

    /// Compiles `source` and checks every name it reads.
    fn expr(&mut self, at: &[Seg], source: &str, scope: EventScope<'_>) -> Option<Expr> {
        let expr = match Expr::compile(source) {
            Ok(expr) => expr,
            Err(error) => {
                self.error(at, error.to_string(), None);
                return None;
            }
        };
        let references = expr.references();
        for variable in &references.variables {
            if !VARIABLES.contains(&variable.as_str()) {
                let hint = did_you_mean(variable, VARIABLES);
                self.error(
                    at,
                    format!("expression `{source}` reads unknown variable `{variable}` (use data, event, key or state)"),
                    hint,
                );
            }
        }
        for field in &references.data_fields {
            if !self.data_fields.contains(field) {
                let hint = did_you_mean(field, self.data_fields.iter().map(String::as_str));
                self.error(
                    at,
                    format!("expression `{source}` reads undeclared data field `{field}`"),
                    hint,
                );
            }
        }
        let event_fields: Vec<&str> = match scope {
            EventScope::None => Vec::new(),
            EventScope::Fields(fields) => fields.keys().map(String::as_str).collect(),
        };
        for field in &references.event_fields {
            if matches!(scope, EventScope::None) {
                self.error(
                    at,
                    format!("expression `{source}` reads `event.{field}`, but no event is at hand here"),
                    Some("eventless transitions, entry actions and SLA durations see only data, key and state".into()),
                );
            } else if !event_fields.contains(&field.as_str()) {
                let hint = did_you_mean(field, event_fields.iter().copied());
                self.error(at, format!("expression `{source}` reads `event.{field}`, which this event does not carry"), hint);
            }
        }
        Some(expr)
    }
}
