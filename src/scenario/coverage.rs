//! What the scenarios exercised: states entered, transitions taken (state ×
//! event × position in the list, eventless ones too) and guard branches
//! (each `when` seen true and seen false).
//!
//! Coverage is read from the instances' history, so the pure engine keeps
//! its API and the numbers describe what the runtime really committed. A
//! history line names the event and the states before and after, not the
//! transition; the transition is the one of the state's list for that event
//! whose target and actions match the lines that follow. First match wins,
//! so when transition *k* was taken every guard before it was false and its
//! own (if any) true. After every change the engine checks the eventless
//! transitions of the state it settled in: each of their guards was false.
//! Two transitions with the same target and the same actions cannot be told
//! apart from the history; neither is counted, so coverage never claims more
//! than was shown. SLA `within` cases are not counted as guards.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::engine::{AdminChange, Effect, HistoryData, HistoryKind};
use crate::model::definition::{Action, Transition};
use crate::model::{Catalog, Definition};
use crate::store::HistoryRecord;

/// Where a transition is declared: in a state's `on`/`always`, or on a
/// global event (taken from any state that does not override it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    State(String),
    AnyState,
}

/// What triggers a transition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trigger {
    Event(String),
    Eventless,
}

/// One transition of a definition: its origin, trigger and 0-based position
/// in the list for that trigger.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransitionId {
    pub origin: Origin,
    pub trigger: Trigger,
    pub index: usize,
}

/// The coverage of every workflow of a catalog, accumulated over runs.
#[derive(Debug, Clone)]
pub struct Coverage {
    workflows: BTreeMap<String, Observed>,
}

#[derive(Debug, Clone)]
struct Observed {
    definition: Arc<Definition>,
    states: BTreeSet<String>,
    transitions: BTreeSet<TransitionId>,
    guards: BTreeSet<(TransitionId, bool)>,
}

impl Coverage {
    /// Nothing covered yet, for every workflow of `catalog`.
    pub fn new(catalog: &Catalog) -> Self {
        let workflows = catalog
            .iter()
            .map(|definition| {
                let observed = Observed {
                    definition: Arc::clone(definition),
                    states: BTreeSet::new(),
                    transitions: BTreeSet::new(),
                    guards: BTreeSet::new(),
                };
                (definition.id.clone(), observed)
            })
            .collect();
        Self { workflows }
    }

    /// Counts what one instance's history shows. Histories of workflows not
    /// in the catalog are ignored.
    pub fn record_history(&mut self, workflow: &str, history: &[HistoryRecord]) {
        if let Some(observed) = self.workflows.get_mut(workflow) {
            observed.record(history);
        }
    }

    /// Counts an event refused because no guard held: every guard of its
    /// transitions in `state` was evaluated false.
    pub fn record_no_guard_held(&mut self, workflow: &str, state: &str, event: &str) {
        let Some(observed) = self.workflows.get_mut(workflow) else {
            return;
        };
        let Some((origin, transitions)) = event_transitions(&observed.definition, state, event)
        else {
            return;
        };
        let trigger = Trigger::Event(event.to_owned());
        for (index, transition) in transitions.iter().enumerate() {
            if transition.guard.is_some() {
                let id = TransitionId {
                    origin: origin.clone(),
                    trigger: trigger.clone(),
                    index,
                };
                observed.guards.insert((id, false));
            }
        }
    }

    /// The figures and gaps of each workflow, by id.
    pub fn report(&self) -> Vec<WorkflowCoverage> {
        self.workflows.values().map(Observed::report).collect()
    }
}

impl Observed {
    fn record(&mut self, history: &[HistoryRecord]) {
        let definition = Arc::clone(&self.definition);
        // The state the engine settles in after the change being read, while
        // the instance is active: its eventless guards get checked.
        let mut settling: Option<String> = None;
        for (position, record) in history.iter().enumerate() {
            let entry = &record.entry;
            let following = &history[position + 1..];
            let starts_a_change = match &entry.data {
                HistoryData::Created(_) | HistoryData::Admin(_) => true,
                HistoryData::Event(_) | HistoryData::TimerFired { .. } => entry.event.is_some(),
                HistoryData::TimerIgnored { .. } | HistoryData::Sla(_) | HistoryData::Action(_) => {
                    false
                }
            };
            let eventless = entry.kind() == HistoryKind::Event && entry.event.is_none();
            if starts_a_change && let Some(state) = settling.take() {
                self.no_eventless_held(&state);
            }
            let (Some(to), true) = (&entry.to, starts_a_change || eventless) else {
                continue;
            };
            self.states.insert(to.to_string());
            if let (Some(from), Some(event)) = (&entry.from, &entry.event)
                && matches!(entry.kind(), HistoryKind::Event | HistoryKind::Timer)
                && let Some((origin, transitions)) = event_transitions(&definition, from, event)
            {
                let trigger = Trigger::Event(event.to_string());
                self.taken(origin, trigger, transitions, from, to, following);
            }
            if eventless
                && let Some(from) = &entry.from
                && let Some(state) = definition.state(from)
            {
                let origin = Origin::State(from.to_string());
                self.taken(
                    origin,
                    Trigger::Eventless,
                    &state.always,
                    from,
                    to,
                    following,
                );
            }
            let cancelled = matches!(entry.data, HistoryData::Admin(AdminChange::Cancel { .. }));
            let active = !cancelled && definition.state(to).is_some_and(|state| !state.terminal);
            settling = active.then(|| to.to_string());
        }
        if let Some(state) = settling {
            self.no_eventless_held(&state);
        }
    }

    /// Notes the transition from `from` to `to` among `transitions`, told
    /// apart by the actions recorded right after it.
    fn taken(
        &mut self,
        origin: Origin,
        trigger: Trigger,
        transitions: &[Transition],
        from: &str,
        to: &str,
        following: &[HistoryRecord],
    ) {
        let recorded = recorded_actions(from, following);
        let on_enter = self
            .definition
            .state(from)
            .map(|state| state.on_enter.as_slice())
            .unwrap_or_default();
        let matching: Vec<usize> = transitions
            .iter()
            .enumerate()
            .filter(|(_, transition)| transition.to.as_deref().unwrap_or(from) == to)
            .filter(|(_, transition)| {
                let reenters = transition.to.as_deref() == Some(from);
                let mut expected: Vec<Signature> =
                    transition.actions.iter().map(declared).collect();
                if reenters {
                    expected.extend(on_enter.iter().map(declared));
                }
                expected == recorded
            })
            .map(|(index, _)| index)
            .collect();
        let [index] = matching[..] else {
            return;
        };
        for (before, transition) in transitions[..=index].iter().enumerate() {
            if transition.guard.is_some() {
                let id = TransitionId {
                    origin: origin.clone(),
                    trigger: trigger.clone(),
                    index: before,
                };
                self.guards.insert((id, before == index));
            }
        }
        self.transitions.insert(TransitionId {
            origin,
            trigger,
            index,
        });
    }

    /// The engine settled in `state`: every eventless guard there was false.
    fn no_eventless_held(&mut self, state: &str) {
        let Some(declared) = self.definition.state(state) else {
            return;
        };
        for (index, transition) in declared.always.iter().enumerate() {
            if transition.guard.is_some() {
                let id = TransitionId {
                    origin: Origin::State(state.to_owned()),
                    trigger: Trigger::Eventless,
                    index,
                };
                self.guards.insert((id, false));
            }
        }
    }

    fn report(&self) -> WorkflowCoverage {
        let definition = &self.definition;
        let transitions = all_transitions(definition);
        let guards: Vec<((TransitionId, bool), String)> = transitions
            .iter()
            .filter_map(|(id, transition)| {
                let guard = transition.guard.as_ref()?;
                let described = describe(id, transition);
                Some([true, false].map(|value| {
                    let line = format!("guard `{}` of {described} never {value}", guard.source());
                    ((id.clone(), value), line)
                }))
            })
            .flatten()
            .collect();
        let mut untested: Vec<String> = definition
            .states
            .keys()
            .filter(|state| !self.states.contains(*state))
            .map(|state| format!("state `{state}` never entered"))
            .collect();
        untested.extend(
            transitions
                .iter()
                .filter(|(id, _)| !self.transitions.contains(id))
                .map(|(id, transition)| {
                    format!("transition {} never taken", describe(id, transition))
                }),
        );
        untested.extend(
            guards
                .iter()
                .filter(|(branch, _)| !self.guards.contains(branch))
                .map(|(_, line)| line.clone()),
        );
        let covered_states = definition
            .states
            .keys()
            .filter(|state| self.states.contains(*state));
        WorkflowCoverage {
            workflow: definition.id.clone(),
            states: Ratio {
                covered: covered_states.count(),
                total: definition.states.len(),
            },
            transitions: Ratio {
                covered: transitions
                    .iter()
                    .filter(|(id, _)| self.transitions.contains(id))
                    .count(),
                total: transitions.len(),
            },
            guard_branches: Ratio {
                covered: guards
                    .iter()
                    .filter(|(branch, _)| self.guards.contains(branch))
                    .count(),
                total: guards.len(),
            },
            untested,
        }
    }
}

/// Every transition of `definition`, in declaration order.
fn all_transitions(definition: &Definition) -> Vec<(TransitionId, &Transition)> {
    let mut all = Vec::new();
    for (name, state) in &definition.states {
        for (event, transitions) in &state.on {
            for (index, transition) in transitions.iter().enumerate() {
                let id = TransitionId {
                    origin: Origin::State(name.clone()),
                    trigger: Trigger::Event(event.clone()),
                    index,
                };
                all.push((id, transition));
            }
        }
        for (index, transition) in state.always.iter().enumerate() {
            let id = TransitionId {
                origin: Origin::State(name.clone()),
                trigger: Trigger::Eventless,
                index,
            };
            all.push((id, transition));
        }
    }
    for event in definition.events.values().filter(|event| event.global) {
        for (index, transition) in event.transitions.iter().enumerate() {
            let id = TransitionId {
                origin: Origin::AnyState,
                trigger: Trigger::Event(event.name.clone()),
                index,
            };
            all.push((id, transition));
        }
    }
    all
}

/// The transitions `event` may take in `state`, and where they are declared;
/// `None` when it takes none (not accepted, or a global event that only records).
fn event_transitions<'d>(
    definition: &'d Definition,
    state: &str,
    event: &str,
) -> Option<(Origin, &'d [Transition])> {
    let own = definition.state(state)?.on.get(event);
    let (origin, transitions) = match own {
        Some(transitions) => (Origin::State(state.to_owned()), transitions.as_slice()),
        None => (Origin::AnyState, definition.transitions(state, event)?),
    };
    (!transitions.is_empty()).then_some((origin, transitions))
}

/// How a transition reads in the report: `` `handling` --resolve #2--> `confirmation` ``.
fn describe(id: &TransitionId, transition: &Transition) -> String {
    let from = match &id.origin {
        Origin::State(state) => format!("`{state}`"),
        Origin::AnyState => "(any state)".to_owned(),
    };
    let trigger = match &id.trigger {
        Trigger::Event(event) => event.clone(),
        Trigger::Eventless => "(eventless)".to_owned(),
    };
    let to = match &transition.to {
        Some(to) => format!("`{to}`"),
        None => "(stays)".to_owned(),
    };
    format!("{from} --{trigger} #{}--> {to}", id.index + 1)
}

/// An action reduced to what both its declaration and its history line
/// show: kind and webhook or workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signature {
    Notify(String),
    Spawn(String),
    Send(String, String),
}

fn declared(action: &Action) -> Signature {
    match action {
        Action::Notify { webhook, .. } => Signature::Notify(webhook.clone()),
        Action::Spawn { workflow, .. } => Signature::Spawn(workflow.clone()),
        Action::Send {
            workflow, event, ..
        } => Signature::Send(workflow.clone(), event.clone()),
    }
}

/// The actions recorded in `from` right after a transition line, up to the
/// next change (entry actions of another state are recorded in that state).
fn recorded_actions(from: &str, following: &[HistoryRecord]) -> Vec<Signature> {
    following
        .iter()
        .map(|record| &record.entry)
        .take_while(|entry| matches!(entry.kind(), HistoryKind::Action | HistoryKind::Sla))
        .filter(|entry| entry.from.as_deref() == Some(from))
        .filter_map(|entry| match &entry.data {
            HistoryData::Action(effect) => Some(effect.clone()),
            _ => None,
        })
        .map(|effect| match effect {
            Effect::Notify { webhook, .. } => Signature::Notify(webhook),
            Effect::Spawn { workflow, .. } => Signature::Spawn(workflow),
            Effect::Send {
                workflow, event, ..
            } => Signature::Send(workflow, event),
        })
        .collect()
}

/// One workflow's coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowCoverage {
    pub workflow: String,
    pub states: Ratio,
    pub transitions: Ratio,
    /// Two per guard: seen true, seen false.
    pub guard_branches: Ratio,
    /// One line per state, transition or guard branch not exercised.
    pub untested: Vec<String>,
}

/// `covered` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub covered: usize,
    pub total: usize,
}

impl Ratio {
    /// Whole percent, rounded down so that 100 % means everything; nothing
    /// to cover counts as 100 %.
    pub fn percent(self) -> usize {
        (self.covered * 100).checked_div(self.total).unwrap_or(100)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({}%)", self.covered, self.total, self.percent())
    }
}

impl fmt::Display for WorkflowCoverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  {:<14} states {}  transitions {}  guard branches {}",
            self.workflow, self.states, self.transitions, self.guard_branches
        )?;
        for gap in &self.untested {
            writeln!(f, "    untested: {gap}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Map, Value as Json, json};
    use uuid::Uuid;

    use super::*;
    use crate::engine::{self, CreateInput, EventInput, Instance, Outcome};
    use crate::model::load_str;

    const WORKFLOW: &str = r#"
id = "t"
version = 1
title = "t"
start = "a"

[data.n]
type = "integer"
default = 0

[states.a]
on.go = [{ when = "event.x", to = "b" }, { to = "b" }]
on.bump = { set = { n = "data.n + 1" } }
always = [{ when = "data.n > 1", to = "c" }]

[states.b]
terminal = true

[states.c]
terminal = true

[events.go]
fields.x = { type = "boolean" }

[events.bump]
"#;

    /// Drives the pure engine and numbers its history as the store would.
    struct Driven {
        instance: Instance,
        history: Vec<HistoryRecord>,
    }

    impl Driven {
        fn new(definition: &Definition) -> Self {
            let input = CreateInput {
                id: Uuid::nil(),
                key: "k".into(),
                data: Map::new(),
                actor: "test".into(),
            };
            let outcome = engine::create(definition, input, 0).unwrap();
            let mut driven = Self {
                instance: outcome.instance.clone(),
                history: Vec::new(),
            };
            driven.keep(outcome);
            driven
        }

        fn post(&mut self, definition: &Definition, event: &str, data: Json) {
            let input = EventInput {
                name: event.into(),
                data: data.as_object().cloned().unwrap_or_default(),
                actor: "test".into(),
            };
            let outcome = engine::apply(definition, self.instance.clone(), &input, 1).unwrap();
            self.instance = outcome.instance.clone();
            self.keep(outcome);
        }

        fn keep(&mut self, outcome: Outcome) {
            for entry in outcome.history {
                let seq = self.history.len() as i64 + 1;
                self.history.push(HistoryRecord { seq, entry });
            }
        }
    }

    #[test]
    fn reads_transitions_and_guards_from_history() {
        let definition = load_str(Path::new("t.toml"), WORKFLOW).unwrap();
        let catalog = Catalog::from_definitions([definition.clone()]);
        let mut coverage = Coverage::new(&catalog);

        let mut counting = Driven::new(&definition);
        counting.post(&definition, "bump", json!({}));
        counting.post(&definition, "bump", json!({}));
        assert_eq!(counting.instance.state, "c");
        coverage.record_history("t", &counting.history);

        // Both `go` transitions lead to `b` with no actions: the history
        // cannot tell which one was taken, so neither counts.
        let mut going = Driven::new(&definition);
        going.post(&definition, "go", json!({ "x": true }));
        coverage.record_history("t", &going.history);
        coverage.record_no_guard_held("t", "a", "go");

        let [report] = &coverage.report()[..] else {
            panic!("one workflow");
        };
        assert_eq!(
            report.states,
            Ratio {
                covered: 3,
                total: 3
            }
        );
        assert_eq!(
            report.transitions,
            Ratio {
                covered: 2,
                total: 4
            }
        );
        // `data.n > 1` false (settled in `a` twice) and true; `event.x` false.
        assert_eq!(
            report.guard_branches,
            Ratio {
                covered: 3,
                total: 4
            }
        );
        assert_eq!(
            report.untested,
            [
                "transition `a` --go #1--> `b` never taken",
                "transition `a` --go #2--> `b` never taken",
                "guard `event.x` of `a` --go #1--> `b` never true",
            ]
        );
        assert_eq!(report.transitions.percent(), 50);
        assert!(report.to_string().contains("transitions 2/4 (50%)"));
    }
}
