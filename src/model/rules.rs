//! Rules a workflow file must follow beyond "every name resolves": checks
//! over the raw file that need no graph (`validate` does the graph ones).
//!
//! Each rule is a small function returning [`Problem`]s located by path,
//! so the loader can turn them into `file:line:column` diagnostics and the
//! rules stay testable without spans.

use std::collections::HashSet;

use indexmap::IndexMap;

use super::raw::{
    EventSpec, FieldKind, FieldSpec, StateSpec, TransitionSpec, TransitionsSpec, WithinSpec,
    WorkflowFile,
};
use super::shape::Broken;
use super::source::{Path, Seg};
use crate::path;

/// One broken rule, located by its path in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub path: Path,
    /// Point at the key (a name) rather than the value.
    pub at_key: bool,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub(crate) fn at(path: Path, message: String, hint: Option<String>) -> Self {
        Self {
            path,
            at_key: false,
            message,
            hint,
        }
    }

    pub(crate) fn at_key(path: Path, message: String, hint: Option<String>) -> Self {
        Self {
            path,
            at_key: true,
            message,
            hint,
        }
    }
}

/// Every rule over `raw`. Names that do not resolve are skipped here: the
/// compiler reports them; so are entries `broken` says could not be read.
pub(crate) fn check(raw: &WorkflowFile, broken: &Broken) -> Vec<Problem> {
    let mut problems = Vec::new();
    names(raw, &mut problems);
    start_state(raw, &mut problems);
    terminal_states(raw, &mut problems);
    unhandled_events(raw, broken, &mut problems);
    global_transitions(raw, &mut problems);
    after_end_events(raw, &mut problems);
    merged_field_types(raw, &mut problems);
    timer_states(raw, broken, &mut problems);
    sla_lists(raw, &mut problems);
    shadowed_transitions(raw, &mut problems);
    problems
}

/// Names are used in CEL (`data.<field>`), URLs and timer ids, so they are
/// identifiers. This also keeps timer names apart from the engine's SLA
/// deadline timers, which are named `sla:<name>`.
fn names(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    let mut check = |section: &str, name: &str, at: Path| {
        if !is_identifier(name) {
            let hint = (section == "timer" && name.starts_with("sla:"))
                .then(|| "the `sla:` prefix is reserved for SLA deadlines".to_owned());
            problems.push(Problem::at_key(
                at,
                format!("{section} name `{name}` must hold only letters, digits and `_`, and not start with a digit"),
                hint,
            ));
        }
    };
    for name in raw.data.keys() {
        check("data field", name, path!["data", name]);
    }
    for name in raw.states.keys() {
        check("state", name, path!["states", name]);
    }
    for (name, event) in &raw.events {
        check("event", name, path!["events", name]);
        for field in event.fields.keys() {
            check("event field", field, path!["events", name, "fields", field]);
        }
    }
    for name in raw.timers.keys() {
        check("timer", name, path!["timers", name]);
    }
    for name in raw.slas.keys() {
        check("SLA", name, path!["slas", name]);
    }
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn start_state(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    if raw
        .states
        .get(&raw.start)
        .is_some_and(|state| state.terminal)
    {
        problems.push(Problem::at(
            path!["start"],
            format!(
                "the start state `{}` is terminal, so every instance would end as it starts",
                raw.start
            ),
            None,
        ));
    }
}

/// An ended instance takes no transitions; global events still record.
fn terminal_states(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    for (name, state) in raw.states.iter().filter(|(_, state)| state.terminal) {
        if let Some(event) = state.on.keys().next() {
            problems.push(Problem::at_key(
                path!["states", name, "on", event],
                format!("terminal state `{name}` handles `{event}`, but an ended instance takes no transitions"),
                Some("remove `terminal = true`, or make the event global with after_end = true to record it on ended instances".into()),
            ));
        }
        if !state.always.is_empty() {
            problems.push(Problem::at_key(
                path!["states", name, "always"],
                format!("terminal state `{name}` has eventless transitions, but an ended instance takes no transitions"),
                None,
            ));
        }
    }
}

/// An event that no state handles and that is not global is rejected
/// wherever it arrives: whoever posts it (a service, a timer, an SLA
/// breach, another workflow's `send`) would always fail.
fn unhandled_events(raw: &WorkflowFile, broken: &Broken, problems: &mut Vec<Problem>) {
    if !broken.states.is_empty() {
        return; // an unreadable state may be the one that handles it
    }
    let handled: HashSet<&str> = raw
        .states
        .values()
        .flat_map(|state| state.on.keys().map(String::as_str))
        .collect();
    for (name, event) in &raw.events {
        if !event.global && !handled.contains(name.as_str()) && !broken.events.contains(name) {
            problems.push(Problem::at_key(
                path!["events", name],
                format!("event `{name}` is handled in no state and is not global, so it can never be accepted"),
                Some(format!("handle it in a state's `on` (e.g. on.{name} = {{}} to record it), or set global = true")),
            ));
        }
    }
}

fn global_transitions(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    for (name, event) in &raw.events {
        if !event.global && !event.transitions.is_empty() {
            problems.push(Problem::at_key(
                path!["events", name, "transitions"],
                format!("event `{name}` has `transitions` but is not global; only global events take them"),
                Some("set global = true, or move the transitions into the states' `on`".into()),
            ));
        }
    }
}

/// `after_end` lets an ended instance record an event; it means nothing on
/// an event that only states handle, and an ended instance cannot move.
fn after_end_events(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    for (name, event) in raw.events.iter().filter(|(_, event)| event.after_end) {
        if !event.global {
            problems.push(Problem::at(
                path!["events", name, "after_end"],
                format!("event `{name}` has `after_end` but is not global; only global events reach ended instances"),
                Some("set global = true, or remove after_end".into()),
            ));
        } else if event
            .transitions
            .iter()
            .any(|transition| transition.to.is_some())
        {
            problems.push(Problem::at(
                path!["events", name, "after_end"],
                format!("event `{name}` has `after_end`, but its transitions change the state, which an ended instance never does"),
                Some("remove after_end, or take `to` out of its transitions".into()),
            ));
        }
    }
}

/// Event fields that merge into the data must keep the data's types, or a
/// merge would store e.g. a string in an integer field.
fn merged_field_types(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    let mut merged: IndexMap<&str, (&str, &FieldSpec)> = IndexMap::new();
    for (event_name, event) in raw.events.iter().filter(|(_, event)| event.merge) {
        for (field_name, field) in &event.fields {
            let at = path!["events", event_name, "fields", field_name, "type"];
            if let Some(declared) = raw.data.get(field_name) {
                if !merges_into(field, declared) {
                    problems.push(Problem::at(
                        at,
                        format!(
                            "event `{event_name}` merges `{field_name}` as {}, but data field `{field_name}` is {}",
                            describe(field),
                            describe(declared)
                        ),
                        Some("use the data field's type, or set merge = false on the event".into()),
                    ));
                }
            } else if let Some((other, first)) = merged.get(field_name.as_str()) {
                if first.kind != field.kind {
                    problems.push(Problem::at(
                        at,
                        format!(
                            "event `{event_name}` merges `{field_name}` as {}, but event `{other}` merges it as {}",
                            describe(field),
                            describe(first)
                        ),
                        Some(format!("declare [data.{field_name}] with one type")),
                    ));
                }
            } else {
                merged.insert(field_name, (event_name, field));
            }
        }
    }
}

/// Whether a value valid for `event` is valid for `data` too.
fn merges_into(event: &FieldSpec, data: &FieldSpec) -> bool {
    match (event.kind, data.kind) {
        (FieldKind::Enum, FieldKind::Enum) => {
            event.values.iter().all(|value| data.values.contains(value))
        }
        (from, to) if from == to => true,
        (FieldKind::Integer, FieldKind::Number) | (FieldKind::Enum, FieldKind::String) => true,
        _ => false,
    }
}

fn describe(field: &FieldSpec) -> String {
    match field.kind {
        FieldKind::Enum => format!("enum [{}]", field.values.join(", ")),
        kind => format!("{kind:?}").to_lowercase(),
    }
}

/// A state timer posts its event while the instance is in one of its
/// states. A timer spanning several states may be meant to act in only
/// some of them (a refused firing is consumed), but one whose event none
/// of its states accepts can never do anything.
fn timer_states(raw: &WorkflowFile, broken: &Broken, problems: &mut Vec<Problem>) {
    for (name, timer) in &raw.timers {
        let Some(event) = raw.events.get(&timer.event) else {
            continue;
        };
        let unreadable = broken.events.contains(&timer.event)
            || timer
                .states
                .iter()
                .any(|state| broken.states.contains(state));
        if unreadable {
            continue;
        }
        let states: Vec<&StateSpec> = timer
            .states
            .iter()
            .filter_map(|state| raw.states.get(state))
            .collect();
        if states.len() < timer.states.len() {
            continue; // an unknown state, reported by the compiler
        }
        if !states.is_empty()
            && !states
                .iter()
                .any(|state| accepts(state, &timer.event, event))
        {
            let hint = match timer.states.as_slice() {
                [only] => format!(
                    "add on.{} to state `{only}`, or make the event global",
                    timer.event
                ),
                _ => format!(
                    "add on.{} to one of them, or make the event global",
                    timer.event
                ),
            };
            problems.push(Problem::at(
                path!["timers", name, "states"],
                format!(
                    "timer `{name}` fires `{}`, which none of its states ({}) handles",
                    timer.event,
                    timer.states.join(", ")
                ),
                Some(hint),
            ));
        }
    }
}

fn accepts(state: &StateSpec, name: &str, event: &EventSpec) -> bool {
    state.on.contains_key(name) || event.global
}

fn sla_lists(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    for (name, sla) in &raw.slas {
        if sla.start.is_empty() {
            problems.push(Problem::at(
                path!["slas", name, "start"],
                format!("SLA `{name}` has no start state, so it never runs"),
                None,
            ));
        }
        if sla.stop.is_empty() && sla.stop_events.is_empty() {
            problems.push(Problem::at_key(
                path!["slas", name],
                format!(
                    "SLA `{name}` has neither `stop` states nor `stop_events`, so it never stops"
                ),
                Some("add stop = [\"<state>\"] or stop_events = [\"<event>\"]".into()),
            ));
        }
    }
}

/// First match wins: whatever follows a transition without `when` is
/// never tried, which is almost always an ordering mistake.
fn shadowed_transitions(raw: &WorkflowFile, problems: &mut Vec<Problem>) {
    for (name, state) in &raw.states {
        for (event, transitions) in &state.on {
            if let TransitionsSpec::Many(list) = transitions {
                shadowed(&path!["states", name, "on", event], list, problems);
            }
        }
        shadowed(&path!["states", name, "always"], &state.always, problems);
    }
    for (name, event) in &raw.events {
        shadowed(
            &path!["events", name, "transitions"],
            &event.transitions,
            problems,
        );
    }
    for (name, sla) in &raw.slas {
        if let WithinSpec::Cases(cases) = &sla.within
            && let Some(fallback) = cases.iter().position(|case| case.when.is_none())
            && fallback + 1 < cases.len()
        {
            problems.push(Problem::at(
                path!["slas", name, "within", fallback + 1],
                "this case is never used: the one before it has no `when`".into(),
                Some("put the case without `when` last".into()),
            ));
        }
    }
}

fn shadowed(at: &[Seg], list: &[TransitionSpec], problems: &mut Vec<Problem>) {
    if let Some(fallback) = list.iter().position(|t| t.when.is_none())
        && fallback + 1 < list.len()
    {
        problems.push(Problem::at(
            [at, &path![fallback + 1]].concat(),
            "this transition is never tried: the one before it has no `when`".into(),
            Some("put the transition without `when` last".into()),
        ));
    }
}
