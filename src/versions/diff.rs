//! What changed between two versions of a workflow, in the words a
//! process owner reads: states, events, transitions and their guards,
//! timers, SLA clocks and data fields, each added, removed or changed.

use std::fmt::Write as _;

use crate::model::definition::NameMap;

use crate::model::Definition;
use crate::model::definition::{Field, Role, Schedule, Sla, State, Timer, Transition};

/// One section of the report, e.g. "States", with its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub lines: Vec<String>,
}

/// Every difference between `old` and `new`, by section; sections with
/// nothing to say are left out, so an empty list means "the same".
pub fn diff(old: &Definition, new: &Definition) -> Vec<Section> {
    let sections = [
        Section {
            title: "States",
            lines: states(old, new),
        },
        Section {
            title: "Events",
            lines: events(old, new),
        },
        Section {
            title: "Transitions",
            lines: transitions(old, new),
        },
        Section {
            title: "Timers",
            lines: compare(&old.timers, &new.timers, "timer", timer_changes),
        },
        Section {
            title: "SLA clocks",
            lines: compare(&old.slas, &new.slas, "SLA clock", sla_changes),
        },
        Section {
            title: "Data fields",
            lines: compare(&old.data, &new.data, "field", field_changes),
        },
    ];
    sections
        .into_iter()
        .filter(|section| !section.lines.is_empty())
        .collect()
}

/// The report as text: a heading, then each section with its lines.
pub fn render(old: &Definition, new: &Definition, sections: &[Section]) -> String {
    let mut out = format!(
        "{}: version {} → version {}\n",
        new.id, old.version, new.version
    );
    if sections.is_empty() {
        out.push_str(
            "No differences in states, events, transitions, timers, SLA clocks or fields.\n",
        );
    }
    for section in sections {
        let _ = writeln!(out, "\n{}:", section.title);
        for line in &section.lines {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// The states of `old` that `new` no longer has.
pub fn removed_states<'d>(old: &'d Definition, new: &Definition) -> Vec<&'d str> {
    old.states
        .keys()
        .filter(|name| !new.states.contains_key(*name))
        .map(String::as_str)
        .collect()
}

/// Added, removed, then changed items of one kind, in the new file's order.
fn compare<T>(
    old: &NameMap<T>,
    new: &NameMap<T>,
    noun: &str,
    changes: fn(&T, &T) -> Vec<String>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for name in new.keys().filter(|name| !old.contains_key(*name)) {
        lines.push(format!("added {noun} `{name}`"));
    }
    for name in old.keys().filter(|name| !new.contains_key(*name)) {
        lines.push(format!("removed {noun} `{name}`"));
    }
    for (name, after) in new {
        if let Some(before) = old.get(name) {
            for change in changes(before, after) {
                lines.push(format!("{noun} `{name}`: {change}"));
            }
        }
    }
    lines
}

fn states(old: &Definition, new: &Definition) -> Vec<String> {
    let mut lines = compare(&old.states, &new.states, "state", state_changes);
    if old.start != new.start {
        lines.insert(
            0,
            format!(
                "new instances start in `{}` instead of `{}`",
                new.start, old.start
            ),
        );
    }
    lines
}

fn state_changes(old: &State, new: &State) -> Vec<String> {
    let mut lines = Vec::new();
    if old.terminal != new.terminal {
        lines.push(if new.terminal {
            "now ends the instance".to_owned()
        } else {
            "no longer ends the instance".to_owned()
        });
    }
    if old.role != new.role {
        lines.push(format!(
            "responsible role {} (was {})",
            role(new.role.as_ref()),
            role(old.role.as_ref())
        ));
    }
    if old.stuck_after != new.stuck_after {
        lines.push(format!(
            "counts as stuck after {} (was {})",
            maybe(new.stuck_after),
            maybe(old.stuck_after)
        ));
    }
    if old.title != new.title {
        lines.push(format!("title is now {}", quoted(new.title.as_deref())));
    }
    if old.on_enter != new.on_enter {
        lines.push(format!(
            "entry actions changed ({} before, {} now)",
            old.on_enter.len(),
            new.on_enter.len()
        ));
    }
    lines
}

fn events(old: &Definition, new: &Definition) -> Vec<String> {
    compare(&old.events, &new.events, "event", |before, after| {
        let mut lines = compare(&before.fields, &after.fields, "field", field_changes);
        if before.by != after.by {
            lines.push(format!(
                "may be posted by {} (was {})",
                list(&after.by, "the state's role"),
                list(&before.by, "the state's role")
            ));
        }
        if before.global != after.global {
            lines.push(if after.global {
                "is now accepted in every state".to_owned()
            } else {
                "is no longer accepted in every state".to_owned()
            });
        }
        lines
    })
}

/// Per state and event (and the eventless `always` list): what is newly
/// accepted, no longer accepted, or goes elsewhere / under another guard.
fn transitions(old: &Definition, new: &Definition) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, after) in &new.states {
        let Some(before) = old.states.get(name) else {
            continue;
        };
        for (event, now) in &after.on {
            match before.on.get(event) {
                None => lines.push(format!(
                    "in `{name}`, `{event}` is now accepted: {}",
                    outcomes(now)
                )),
                Some(then) => changed_list(&mut lines, name, &format!("`{event}`"), then, now),
            }
        }
        for event in before
            .on
            .keys()
            .filter(|event| !after.on.contains_key(*event))
        {
            lines.push(format!("in `{name}`, `{event}` is no longer accepted"));
        }
        changed_list(
            &mut lines,
            name,
            "the automatic move",
            &before.always,
            &after.always,
        );
    }
    lines
}

fn changed_list(
    lines: &mut Vec<String>,
    state: &str,
    what: &str,
    then: &[Transition],
    now: &[Transition],
) {
    if then == now {
        return;
    }
    if then.len() != now.len() {
        lines.push(format!(
            "in `{state}`, {what} now {} (was {})",
            outcomes(now),
            outcomes(then)
        ));
        return;
    }
    for (before, after) in then.iter().zip(now) {
        if before.to != after.to {
            lines.push(format!(
                "in `{state}`, {what} now goes to {} instead of {}",
                target(after),
                target(before)
            ));
        }
        if before.guard != after.guard {
            lines.push(format!(
                "in `{state}`, the guard of {what} → {} changed from {} to {}",
                target(after),
                guard(before),
                guard(after)
            ));
        }
        if before.set != after.set || before.actions != after.actions {
            lines.push(format!(
                "in `{state}`, what {what} → {} sets or does changed",
                target(after)
            ));
        }
    }
}

fn timer_changes(old: &Timer, new: &Timer) -> Vec<String> {
    let mut lines = Vec::new();
    if old.schedule != new.schedule {
        lines.push(format!(
            "now fires {} (was {})",
            schedule(&new.schedule),
            schedule(&old.schedule)
        ));
    }
    if old.event != new.event {
        lines.push(format!("now posts `{}` (was `{}`)", new.event, old.event));
    }
    if old.states != new.states {
        lines.push(format!(
            "now runs {} (was {})",
            timer_states(&new.states),
            timer_states(&old.states)
        ));
    }
    lines
}

fn sla_changes(old: &Sla, new: &Sla) -> Vec<String> {
    let mut lines = Vec::new();
    let lists = [
        ("starts in", &old.start, &new.start),
        ("stops in", &old.stop, &new.stop),
        ("stops on the events", &old.stop_events, &new.stop_events),
        ("pauses in", &old.pause, &new.pause),
    ];
    for (verb, before, after) in lists {
        if before != after {
            lines.push(format!(
                "{verb} {} (was {})",
                list(after, "nothing"),
                list(before, "nothing")
            ));
        }
    }
    let within = |sla: &Sla| {
        sla.within
            .iter()
            .map(|case| match &case.when {
                Some(when) => format!("{} when `{}`", case.duration, when.source()),
                None => case.duration.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", otherwise ")
    };
    if old.within != new.within {
        lines.push(format!(
            "allows {} (was {}); running cycles keep their deadline",
            within(new),
            within(old)
        ));
    }
    if old.on_breach != new.on_breach {
        lines.push(format!(
            "on breach posts {} (was {})",
            event_name(new.on_breach.as_deref()),
            event_name(old.on_breach.as_deref())
        ));
    }
    if old.role != new.role {
        lines.push(format!(
            "counts for {} (was {})",
            role(new.role.as_ref()),
            role(old.role.as_ref())
        ));
    }
    lines
}

fn field_changes(old: &Field, new: &Field) -> Vec<String> {
    let mut lines = Vec::new();
    if old.kind != new.kind {
        lines.push(format!("is now {:?} (was {:?})", new.kind, old.kind).to_lowercase());
    }
    if old.required != new.required {
        lines.push(if new.required {
            "is now required".to_owned()
        } else {
            "is no longer required".to_owned()
        });
    }
    if old.values != new.values {
        lines.push(format!(
            "allows {} (was {})",
            list(&new.values, "any value"),
            list(&old.values, "any value")
        ));
    }
    if old.min != new.min || old.max != new.max {
        lines.push("its allowed range changed".to_owned());
    }
    if old.default != new.default {
        lines.push(format!(
            "defaults to {} (was {})",
            new.default
                .as_ref()
                .map_or_else(|| "nothing".to_owned(), ToString::to_string),
            old.default
                .as_ref()
                .map_or_else(|| "nothing".to_owned(), ToString::to_string)
        ));
    }
    lines
}

fn outcomes(transitions: &[Transition]) -> String {
    if transitions.is_empty() {
        return "nothing".to_owned();
    }
    transitions
        .iter()
        .map(|transition| match &transition.guard {
            Some(guard) => format!("→ {} when `{}`", target(transition), guard.source()),
            None => format!("→ {}", target(transition)),
        })
        .collect::<Vec<_>>()
        .join(", else ")
}

fn target(transition: &Transition) -> String {
    match &transition.to {
        Some(to) => format!("`{to}`"),
        None => "(stays)".to_owned(),
    }
}

fn guard(transition: &Transition) -> String {
    match &transition.guard {
        Some(guard) => format!("`{}`", guard.source()),
        None => "always".to_owned(),
    }
}

fn schedule(schedule: &Schedule) -> String {
    match schedule {
        Schedule::After(delay) => format!("after {delay}"),
        Schedule::Every(period) => format!("every {period}"),
        Schedule::Cron(cron) => format!("at `{}`", cron.pattern()),
        Schedule::At(expr) => format!("at `{}`", expr.source()),
    }
}

fn timer_states(states: &[String]) -> String {
    if states.is_empty() {
        "for the whole instance".to_owned()
    } else {
        format!("in {}", list(states, ""))
    }
}

fn role(role: Option<&Role>) -> String {
    match role {
        Some(Role::Fixed(name)) => format!("`{name}`"),
        Some(Role::Field(field)) => format!("from field `{field}`"),
        None => "none".to_owned(),
    }
}

fn event_name(event: Option<&str>) -> String {
    event.map_or_else(|| "nothing".to_owned(), |event| format!("`{event}`"))
}

fn maybe(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "never".to_owned(), |value| value.to_string())
}

fn quoted(text: Option<&str>) -> String {
    text.map_or_else(|| "none".to_owned(), |text| format!("\"{text}\""))
}

fn list(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        return empty.to_owned();
    }
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
