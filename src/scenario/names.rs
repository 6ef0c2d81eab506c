//! Names a scenario uses that its workflows do not have, found before the
//! run: a typo then reads "no state `handlng` in `service_desk` (did you
//! mean `handling`?)" instead of a puzzling difference after some step.

use super::check::Mismatch;
use super::failure::{Failure, Stage};
use super::format::{Expect, ExpectedAction, Scenario, StepAction, Target};
use crate::model::{Catalog, Definition, did_you_mean};

/// The first place in `scenario` that names something its workflows lack.
pub fn first_unknown(catalog: &Catalog, scenario: &Scenario) -> Option<Failure> {
    let failure = |stage, place, action: String, mismatches| Failure {
        file: scenario.file.clone(),
        stage,
        place,
        action,
        mismatches,
    };
    let start = &scenario.start;
    let own = Target {
        workflow: scenario.workflow.clone(),
        key: start.key.clone(),
    };
    let found = unknown_in(catalog, &own, None, &start.expect);
    if !found.is_empty() {
        let action = format!("create `{}` `{}`", own.workflow, own.key);
        return Some(failure(Stage::Start, start.place, action, found));
    }
    for (index, step) in scenario.steps.iter().enumerate() {
        let event = match &step.action {
            // An undeclared event may be posted on purpose, to see it refused.
            StepAction::Event { name, .. } if step.expect.rejected.is_none() => Some(name.as_str()),
            _ => None,
        };
        let found = unknown_in(catalog, &step.target, event, &step.expect);
        if !found.is_empty() {
            let action = match &step.action {
                StepAction::Event { name, .. } => format!("event `{name}`"),
                StepAction::Advance(duration) => format!("advance {duration}"),
                StepAction::Jump(duration) => format!("jump {duration}"),
            };
            return Some(failure(Stage::Step(index + 1), step.place, action, found));
        }
    }
    None
}

fn unknown_in(
    catalog: &Catalog,
    target: &Target,
    event: Option<&str>,
    expect: &Expect,
) -> Vec<Mismatch> {
    let mut found = Vec::new();
    let Some(definition) = workflow(catalog, &target.workflow, &mut found) else {
        return found;
    };
    let events = || definition.events.keys().map(String::as_str);
    let states = || definition.states.keys().map(String::as_str);
    if let Some(event) = event {
        check(&mut found, "event", definition, event, events());
    }
    if let Some(state) = &expect.state {
        check(&mut found, "state", definition, state, states());
    }
    for name in expect.allowed.iter().flatten() {
        check(&mut found, "event", definition, name, events());
    }
    for name in expect.slas.keys().chain(expect.sla_due.keys()) {
        let clocks = definition.slas.keys().map(String::as_str);
        check(&mut found, "SLA clock", definition, name, clocks);
    }
    let caught_up = expect.caught_up.iter().flatten().map(|late| &late.timer);
    let timer_names = expect
        .timers
        .iter()
        .flatten()
        .chain(expect.timer_due.keys());
    for name in timer_names.chain(caught_up) {
        let timers = definition.timers.keys().map(String::as_str);
        check(&mut found, "timer", definition, name, timers);
    }
    for action in expect.actions.iter().flatten() {
        if let ExpectedAction::Spawn {
            workflow: other, ..
        }
        | ExpectedAction::Send {
            workflow: other, ..
        } = action
        {
            workflow(catalog, other, &mut found);
        }
    }
    for other in &expect.spawned {
        if let Some(spawned) = workflow(catalog, &other.workflow, &mut found)
            && let Some(state) = &other.state
        {
            let states = spawned.states.keys().map(String::as_str);
            check(&mut found, "state", spawned, state, states);
        }
    }
    found
}

fn workflow<'c>(
    catalog: &'c Catalog,
    name: &str,
    found: &mut Vec<Mismatch>,
) -> Option<&'c Definition> {
    let definition = catalog.get(name).map(AsRef::as_ref);
    if definition.is_none() {
        let known = catalog.iter().map(|definition| definition.id.as_str());
        found.push(unknown("workflow", "a workflow of the folder", name, known));
    }
    definition
}

fn check<'a>(
    found: &mut Vec<Mismatch>,
    kind: &str,
    definition: &Definition,
    name: &str,
    known: impl Iterator<Item = &'a str> + Clone,
) {
    if !known.clone().any(|candidate| candidate == name) {
        let article = if matches!(kind, "event" | "SLA clock") {
            "an"
        } else {
            "a"
        };
        let expected = format!("{article} {kind} of `{}`", definition.id);
        found.push(unknown(kind, &expected, name, known));
    }
}

fn unknown<'a>(
    kind: &str,
    expected: &str,
    name: &str,
    known: impl Iterator<Item = &'a str>,
) -> Mismatch {
    let actual = match did_you_mean(name, known) {
        Some(hint) => format!("`{name}` ({hint})"),
        None => format!("`{name}`"),
    };
    Mismatch::new(format!("unknown {kind}"), expected, actual)
}
