//! Accepting one event: is it allowed here, is its data valid, which
//! transition applies, and what that transition does.

use serde_json::Map;

use super::history::HistoryData;
use super::step::{Line, Step};
use super::types::{EventInput, Rejection, Status, TransitionRecord};
use super::{actions, data, moves, sla};
use crate::model::Name;
use crate::model::definition::Transition;

/// Who brought an event to the instance, which decides its history line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// Posted by a service, a person, another instance or an SLA breach:
    /// an `event` line.
    Posted,
    /// Posted by a timer firing: a `timer` line.
    Timer,
}

/// Applies `event` to the step's instance, recording it as a line of the
/// kind its `source` says.
///
/// An ended instance accepts only a global event marked `after_end`: it
/// records history and data but moves nothing.
pub(super) fn accept(
    step: &mut Step<'_>,
    event: &EventInput,
    source: Source,
) -> Result<(), Rejection> {
    let definition = step.definition;
    let status = step.instance.status;
    let active = status == Status::Active;
    let declared = definition.events.get(event.name.as_str());
    let from = step.instance.state.clone();
    let ended = Rejection::InstanceEnded { status };
    if !active && !definition.accepts_after_end(&event.name) {
        return Err(ended);
    }
    let Some(transitions) = definition.transitions(&from, &event.name) else {
        return Err(if active {
            Rejection::EventNotAllowed {
                event: event.name.to_string(),
                state: from.to_string(),
                allowed: allowed(step),
            }
        } else {
            ended
        });
    };
    let event_data = data::check_event(declared.map(|declared| &declared.fields), &event.data)?;
    if declared.is_some_and(|declared| declared.merge) {
        data::assign(step, &event_data)?;
    }
    let stay = Transition {
        guard: None,
        to: None,
        set: Vec::new(),
        actions: Vec::new(),
    };
    let chosen = if transitions.is_empty() {
        // A global event without transitions only records.
        &stay
    } else {
        moves::choose(transitions, &step.scope(&event_data))?.ok_or_else(|| {
            Rejection::NoGuardHolds {
                event: event.name.to_string(),
                state: from.to_string(),
            }
        })?
    };
    if !active && chosen.to.is_some() {
        return Err(ended);
    }
    data::apply_set(step, chosen, &event_data)?;
    let to = chosen.to.clone().unwrap_or_else(|| from.clone());
    let line = Line {
        event: Some(&event.name),
        from: Some(&from),
        to: Some(&to),
        actor: &event.actor,
    };
    // The line takes the event data once the actions have read it.
    let event_line = step.history.len();
    step.record(line, HistoryData::Event(Map::new()));
    actions::run(step, &chosen.actions, &event_data, &event.actor)?;
    step.history[event_line].data = match source {
        Source::Posted => HistoryData::Event(event_data),
        Source::Timer => HistoryData::TimerFired {
            data: event_data,
            catch_up: None,
        },
    };
    if active {
        sla::stop_on_event(step, &event.name, &event.actor);
    }
    if let Some(target) = &chosen.to {
        moves::enter(step, target, &event.actor)?;
    }
    moves::settle(step)?;
    step.transition = Some(TransitionRecord {
        event: event.name.clone(),
        from,
        to: step.instance.state.clone(),
        at: step.now,
    });
    Ok(())
}

fn allowed(step: &Step<'_>) -> Vec<String> {
    step.definition
        .allowed_events(&step.instance.state)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// An empty event body, for events the engine posts itself.
pub(super) fn internal(name: &Name, actor: &Name) -> EventInput {
    EventInput {
        name: name.clone(),
        data: Map::new(),
        actor: actor.clone(),
    }
}
