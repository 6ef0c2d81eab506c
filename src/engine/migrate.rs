//! Moving an instance to another version of its workflow, as a migration
//! plan maps it (`versions::plan`). Nothing is entered or left: the
//! instance stands in the mapped state from the same moment as before, so
//! no entry actions run and what still applies keeps its instants —
//! pending timers that exist on the mapped state keep their due time, SLA
//! cycles whose clock exists keep their start, pause and deadline.

use serde_json::{Map, Value as Json};

use super::history::{AdminChange, HistoryData};
use super::outcome::Outcome;
use super::step::{Line, Step};
use super::types::{Fires, Instance, Millis, Rejection, Status};
use super::{data, moves, sla, timers};
use crate::model::fields::FieldError;
use crate::model::{Definition, Name};

/// Moves `instance` (which runs `old`'s version) to `new`, standing in
/// `state`, with `filled` written into its data (a plan's `[data]`,
/// already evaluated over the old data).
///
/// Timers: a pending timer whose timer exists in `new` and runs in `state`
/// keeps its due time; the others are cancelled; timers of `state` (and
/// instance timers) that were not pending start now. SLA cycles: an open
/// cycle of a clock `new` still has keeps its start, pause and deadline
/// (if `state` pauses the clock and the cycle was running, the pause starts
/// now, and the other way round it ends now); a cycle whose clock is gone
/// closes with no outcome. One `admin` history line records the migration
/// with `{"migrated": {"from", "to"}}`.
pub fn migrate(
    new: &Definition,
    instance: &Instance,
    state: &str,
    filled: &Map<String, Json>,
    actor: &str,
    now: Millis,
) -> Result<Outcome, Rejection> {
    super::require_active(instance)?;
    let Some(target) = new.state(state) else {
        return Err(Rejection::UnknownState {
            state: state.to_owned(),
        });
    };
    let mut step = Step::new(new, instance.clone(), now);
    step.record(
        Line {
            event: None,
            from: Some(&instance.state),
            to: Some(&target.name),
            actor: &Name::from(actor),
        },
        HistoryData::Admin(AdminChange::Migrate {
            from_version: instance.version,
            to_version: new.version,
            filled: filled.keys().cloned().collect(),
        }),
    );
    step.instance.version = new.version;
    step.instance.definition_hash = Name::from(&new.source.hash);
    step.instance.state = target.name.clone();
    data::assign(&mut step, filled)?;
    missing_required(new, &step.instance.data)?;
    keep_timers(&mut step, state)?;
    sla::migrate(&mut step, state);
    if target.terminal {
        moves::end(&mut step, Status::Completed);
    }
    Ok(step.finish())
}

/// Every required data field of the new version must have a value.
fn missing_required(new: &Definition, data: &Map<String, Json>) -> Result<(), Rejection> {
    let errors: Vec<FieldError> = new
        .data
        .iter()
        .filter(|(name, field)| {
            field.required && data.get(*name).is_none_or(|value| value.is_null())
        })
        .map(|(name, _)| FieldError {
            path: format!("data.{name}"),
            message:
                "is required by the new version and has no value; fill it in the plan's [data]"
                    .to_owned(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Rejection::DataInvalid { errors })
    }
}

/// Keeps the declared timers that still run in `state` at their due time,
/// cancels the others, and starts the ones of `state` that were not pending.
fn keep_timers(step: &mut Step<'_>, state: &str) -> Result<(), Rejection> {
    let definition = step.definition;
    let runs_here = |name: &str| {
        definition
            .timers
            .get(name)
            .filter(|timer| timer.states.is_empty() || timer.states.iter().any(|s| s == state))
    };
    let pending = std::mem::take(&mut step.instance.timers);
    for mut timer in pending {
        match &timer.fires {
            // Deadlines follow their SLA cycle (`sla::migrate`).
            Fires::SlaDeadline(_) => step.instance.timers.push(timer),
            Fires::Event(_) => {
                if let Some(declared) = runs_here(&timer.name) {
                    timer.fires = Fires::Event(declared.event.clone());
                    step.instance.timers.push(timer);
                }
            }
        }
    }
    for timer in definition.timers.values() {
        if runs_here(&timer.name).is_some() && !step.has_timer(&timer.name) {
            timers::start(step, timer)?;
        }
    }
    Ok(())
}
