//! Moving between states: what leaving one state and entering another does
//! (timers, SLA clocks, entry actions, the end of the instance), and the
//! eventless transitions that run after every change.

use serde_json::{Map, Value as Json};

use super::actor::ENGINE_ACTOR;
use super::history::HistoryData;
use super::step::{Line, Step};
use super::types::{Rejection, Status};
use super::{actions, data, sla, timers};
use crate::model::definition::Transition;
use crate::model::{ExprError, Name, Scope};

/// How many eventless transitions one step may take before the engine
/// decides the definition loops.
pub const EVENTLESS_BOUND: usize = 100;

/// Leaves the current state and enters `target`, even when it is the same
/// state: an explicit transition re-enters (entry actions run, state timers
/// restart). Reaching a terminal state ends the instance.
pub(super) fn enter(step: &mut Step<'_>, target: &str, actor: &Name) -> Result<(), Rejection> {
    let definition = step.definition;
    let Some(state) = definition.state(target) else {
        return Err(Rejection::UnknownState {
            state: target.to_owned(),
        });
    };
    let from = step.instance.state.clone();
    sla::on_move(step, &from, target, actor);
    step.instance.state = state.name.clone();
    step.instance.entered_at = step.now;
    // After the move: an `at` timer's expression reads the state entered.
    timers::on_move(step, &from, target)?;
    if state.terminal {
        end(step, Status::Completed);
    } else {
        sla::start(step, target)?;
    }
    actions::run(step, &state.on_enter, &Map::new(), actor)
}

/// Ends the instance: nothing is pending any more, and open SLA cycles close
/// without an outcome.
pub(super) fn end(step: &mut Step<'_>, status: Status) {
    step.instance.status = status;
    step.instance.timers.clear();
    sla::close_all(step);
}

/// Takes eventless transitions (`always` of the current state, first whose
/// guard holds) until none applies. Each is recorded as an `event` line with
/// no event and actor `engine`.
pub(super) fn settle(step: &mut Step<'_>) -> Result<(), Rejection> {
    let no_event = Map::new();
    for taken in 0..=EVENTLESS_BOUND {
        if step.instance.status != Status::Active {
            return Ok(());
        }
        let Some(state) = step.definition.state(&step.instance.state) else {
            return Ok(());
        };
        let Some(transition) = choose(&state.always, &step.scope(&no_event))? else {
            return Ok(());
        };
        if taken == EVENTLESS_BOUND {
            return Err(Rejection::EventlessLoop {
                state: step.instance.state.to_string(),
                bound: EVENTLESS_BOUND,
            });
        }
        take(step, transition, &no_event, &ENGINE_ACTOR)?;
    }
    Ok(())
}

/// The first transition whose guard holds (no guard always holds).
pub(super) fn choose<'t>(
    transitions: &'t [Transition],
    scope: &Scope<'_>,
) -> Result<Option<&'t Transition>, ExprError> {
    for transition in transitions {
        let holds = match &transition.guard {
            Some(guard) => guard.eval_bool(scope)?,
            None => true,
        };
        if holds {
            return Ok(Some(transition));
        }
    }
    Ok(None)
}

/// Takes one eventless transition: `set`, actions, then the move.
fn take(
    step: &mut Step<'_>,
    transition: &Transition,
    no_event: &Map<String, Json>,
    actor: &Name,
) -> Result<(), Rejection> {
    data::apply_set(step, transition, no_event)?;
    let from = step.instance.state.clone();
    let to = transition.to.clone().unwrap_or_else(|| from.clone());
    let line = Line {
        event: None,
        from: Some(&from),
        to: Some(&to),
        actor,
    };
    step.record(line, HistoryData::Event(Map::new()));
    actions::run(step, &transition.actions, no_event, actor)?;
    if let Some(target) = &transition.to {
        enter(step, target, actor)?;
    }
    Ok(())
}
