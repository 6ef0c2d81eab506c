//! The names `assessment.toml` borrows from the workflow files (workflows,
//! SLA clocks, events and their fields, states), remembered with their
//! place in the file at load and checked against the loaded definitions at
//! assess time: a typo then fails with `assessment.toml:52:30: …` instead
//! of counting nothing and scoring "no data".

use crate::model::{Catalog, Definition, Diagnostic, Diagnostics, did_you_mean};

/// What kind of name of workflow `workflow` the config refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Name {
    Workflow,
    Clock(String),
    Event(String),
    State(String),
    /// A field the event carries (a `with_event` value, the holder field).
    EventField {
        event: String,
        field: String,
    },
}

/// One use of a name, with where it is written.
#[derive(Debug, Clone)]
pub(super) struct NameRef {
    /// The place in the file; the message is filled in if the name is wrong.
    pub(super) place: Diagnostic,
    pub(super) workflow: String,
    pub(super) name: Name,
}

/// Every name that `catalog` does not have, in file order. A name of an
/// unknown workflow (or a field of an unknown event) is reported once, at
/// the workflow (or event).
pub(super) fn check(names: &[NameRef], catalog: &Catalog) -> Result<(), Diagnostics> {
    let wrong: Vec<Diagnostic> = names
        .iter()
        .filter_map(|reference| problem(reference, catalog))
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(wrong).sorted())
    }
}

fn problem(reference: &NameRef, catalog: &Catalog) -> Option<Diagnostic> {
    let workflow = reference.workflow.as_str();
    let (message, hint) = match (&reference.name, catalog.get(workflow)) {
        (Name::Workflow, None) => (
            format!("no workflow `{workflow}` is loaded"),
            did_you_mean(workflow, catalog.iter().map(|d| d.id.as_str())),
        ),
        (_, None) | (Name::Workflow, Some(_)) => return None,
        (Name::Clock(clock), Some(definition)) => {
            let known = definition.slas.keys().map(String::as_str);
            if definition.slas.contains_key(clock) {
                return None;
            }
            (
                format!("workflow `{workflow}` has no SLA clock `{clock}`"),
                did_you_mean(clock, known),
            )
        }
        (Name::Event(event), Some(definition)) => {
            if has_event(definition, event) {
                return None;
            }
            (
                format!("workflow `{workflow}` has no event `{event}`"),
                did_you_mean(event, definition.events.keys().map(String::as_str)),
            )
        }
        (Name::State(state), Some(definition)) => {
            if definition.states.contains_key(state) {
                return None;
            }
            (
                format!("workflow `{workflow}` has no state `{state}`"),
                did_you_mean(state, definition.states.keys().map(String::as_str)),
            )
        }
        (Name::EventField { event, field }, Some(definition)) => {
            let fields = definition.events.get(event).map(|event| &event.fields)?;
            if fields.contains_key(field) {
                return None;
            }
            (
                format!("event `{event}` of workflow `{workflow}` has no field `{field}`"),
                did_you_mean(field, fields.keys().map(String::as_str)),
            )
        }
    };
    Some(Diagnostic {
        message,
        hint,
        ..reference.place.clone()
    })
}

/// Declared, or fired by a timer (a timer row records its event's name).
fn has_event(definition: &Definition, event: &str) -> bool {
    definition.events.contains_key(event)
        || definition.timers.values().any(|timer| timer.event == event)
}
