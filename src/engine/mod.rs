//! The pure core: applying an event to an instance is a function of
//! (definition, instance, event, now) that returns an [`Outcome`] or a
//! [`Rejection`]. No IO, no clock, no database, no async.
//!
//! Each function works on its own copy of the instance and returns the
//! whole result of the step: the new instance, its history lines, timer and
//! SLA changes and the effects for the outbox. A rejection changes nothing.
//! `revision` is left alone: the store bumps it when it commits. [`apply`],
//! the hot path, takes the instance by value: the caller holds the only
//! copy it needs, so the step changes it in place instead of copying it
//! (its data most of all) first.
//!
//! Names (states, events, clocks, timers, actors) are [`Name`]s shared with
//! the [`Definition`] and the input, so a step copies no text to record
//! them.

mod actions;
mod actor;
mod authorize;
mod data;
mod event;
mod history;
mod housekeeping;
mod migrate;
mod moves;
mod outcome;
mod sla;
mod step;
mod timers;
mod types;

use crate::model::{Definition, Name};
pub use actor::{AccountName, Actor, NameError};
use actor::{SLA_ACTOR, TIMER_ACTOR};
pub use authorize::{Refusal, Why, authorize_create, authorize_event};
use event::Source;
pub use history::{AdminChange, CatchUpNote, HistoryData, HistoryEntry, HistoryKind, SlaDecision};
pub use housekeeping::{drop_timer, record_retry};
pub use migrate::migrate;
pub use moves::EVENTLESS_BOUND;
pub use outcome::Outcome;
use step::{Line, Step};
pub use types::*;

/// Starts an instance: checks the data, records `created`, starts instance
/// timers, enters the start state and takes any eventless transitions.
pub fn create(
    definition: &Definition,
    input: CreateInput,
    now: Millis,
) -> Result<Outcome, Rejection> {
    let data = data::check_create(definition, &input.data)?;
    let instance = Instance {
        id: input.id,
        workflow: Name::from(&definition.id),
        version: definition.version,
        definition_hash: Name::from(&definition.source.hash),
        key: input.key,
        state: definition.start.clone(),
        status: Status::Active,
        data,
        created_at: now,
        updated_at: now,
        entered_at: now,
        slas: Vec::new(),
        timers: Vec::new(),
        revision: 0,
        sla_cycle_counts: Default::default(),
    };
    let mut step = Step::new(definition, instance, now);
    let line = Line {
        event: None,
        from: None,
        to: Some(&definition.start),
        actor: &input.actor,
    };
    step.record(line, HistoryData::Created(step.instance.data.clone()));
    timers::start_instance_timers(&mut step)?;
    moves::enter(&mut step, &definition.start, &input.actor)?;
    moves::settle(&mut step)?;
    Ok(step.finish())
}

/// Applies an event posted by a service or a person to `instance`, which
/// the step takes over (clone it to keep the one before the step).
pub fn apply(
    definition: &Definition,
    instance: Instance,
    event: &EventInput,
    now: Millis,
) -> Result<Outcome, Rejection> {
    let mut step = Step::new(definition, instance, now);
    event::accept(&mut step, event, Source::Posted)?;
    Ok(step.finish())
}

/// Fires the pending timer `timer`. A timer fires once: when the event it
/// posts is refused (not allowed here, no guard holds, the instance ended…)
/// the timer is still consumed and a `timer` line says why it was ignored.
pub fn fire_timer(
    definition: &Definition,
    instance: &Instance,
    timer: &str,
    now: Millis,
) -> Result<Outcome, Rejection> {
    let Some(fired) = instance.timers.iter().find(|t| t.name == timer).cloned() else {
        return Err(Rejection::NoSuchTimer {
            name: timer.to_owned(),
        });
    };
    let mut step = Step::new(definition, instance.clone(), now);
    let consumed = timers::consume(&mut step, &fired);
    match &fired.fires {
        Fires::Event(event) if !consumed.fire => {
            let reason = "catch_up = \"skip\": the slots missed while nothing ran are not fired";
            let line = step.history.len();
            housekeeping::record_ignored(&mut step, Some(event), &TIMER_ACTOR, reason, None);
            if let Some(note) = consumed.catch_up {
                step.note_catch_up(line, note);
            }
        }
        Fires::Event(event) => {
            let input = event::internal(event, &TIMER_ACTOR);
            let first_line = step.history.len();
            accept_or_ignore(&mut step, &input, Source::Timer, None);
            if let Some(note) = consumed.catch_up {
                step.note_catch_up(first_line, note);
            }
        }
        Fires::SlaDeadline(clock) => {
            if let Some(breach) = sla::deadline(&mut step, clock, &TIMER_ACTOR)? {
                let input = event::internal(&breach, &SLA_ACTOR);
                accept_or_ignore(&mut step, &input, Source::Posted, Some(clock));
            }
        }
    }
    let mut outcome = step.finish();
    housekeeping::settle_fired_timer(&mut outcome, &fired);
    Ok(outcome)
}

/// An administrator ends an active instance where it stands.
pub fn cancel(
    definition: &Definition,
    instance: &Instance,
    reason: &str,
    actor: &str,
    now: Millis,
) -> Result<Outcome, Rejection> {
    require_active(instance)?;
    let mut step = Step::new(definition, instance.clone(), now);
    moves::end(&mut step, Status::Cancelled);
    let state = &instance.state;
    let actor = Name::from(actor);
    let line = admin_line(state, state, &actor);
    let change = AdminChange::Cancel {
        reason: reason.to_owned(),
    };
    step.record(line, HistoryData::Admin(change));
    Ok(step.finish())
}

/// An administrator moves an instance to any state, with the same exit and
/// entry rules as a transition. Moving an ended instance to a non-terminal
/// state brings it back to life (its instance timers start again).
pub fn move_to(
    definition: &Definition,
    instance: &Instance,
    state: &str,
    reason: &str,
    actor: &str,
    now: Millis,
) -> Result<Outcome, Rejection> {
    let Some(target) = definition.state(state) else {
        return Err(Rejection::UnknownState {
            state: state.to_owned(),
        });
    };
    let mut step = Step::new(definition, instance.clone(), now);
    let change = AdminChange::Move {
        reason: reason.to_owned(),
    };
    let actor = Name::from(actor);
    step.record(
        admin_line(&instance.state, &target.name, &actor),
        HistoryData::Admin(change),
    );
    if !target.terminal && instance.status != Status::Active {
        step.instance.status = Status::Active;
        timers::start_instance_timers(&mut step)?;
    }
    moves::enter(&mut step, state, &actor)?;
    moves::settle(&mut step)?;
    Ok(step.finish())
}

/// Applies an event the engine posts itself; a refusal is recorded as a
/// `timer` line instead of failing the step, restoring the step as it was.
fn accept_or_ignore(step: &mut Step<'_>, input: &EventInput, source: Source, clock: Option<&Name>) {
    let savepoint = step.clone();
    if let Err(refusal) = event::accept(step, input, source) {
        *step = savepoint;
        let reason = refusal.to_string();
        housekeeping::record_ignored(step, Some(&input.name), &input.actor, &reason, clock);
    }
}

/// What an administrator may only do to a running instance (cancel it,
/// migrate it) is refused once it has ended.
fn require_active(instance: &Instance) -> Result<(), Rejection> {
    if instance.status == Status::Active {
        Ok(())
    } else {
        Err(Rejection::InstanceEnded {
            status: instance.status,
        })
    }
}

fn admin_line<'a>(from: &'a Name, to: &'a Name, actor: &'a Name) -> Line<'a> {
    Line {
        event: None,
        from: Some(from),
        to: Some(to),
        actor,
    }
}
