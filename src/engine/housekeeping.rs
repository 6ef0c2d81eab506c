//! Steps no event causes, which the runtime asks for when something around
//! the instance changed: a timer that can no longer fire is dropped, an
//! administrator's retry is recorded. They are engine steps like any other,
//! so that every committed change comes with its history line.

use super::actor::TIMER_ACTOR;
use super::history::{AdminChange, HistoryData};
use super::outcome::Outcome;
use super::step::{Line, Step};
use super::types::{Fires, Instance, Millis, PendingTimer};
use crate::model::{Definition, Name};

/// Drops the pending timer `timer`, which cannot fire (`reason` says why),
/// recording a `timer` line that says it was ignored. A timer the instance
/// no longer has leaves the instance as it is and records nothing.
pub fn drop_timer(
    definition: &Definition,
    instance: &Instance,
    timer: &str,
    reason: &str,
    now: Millis,
) -> Outcome {
    let mut step = Step::new(definition, instance.clone(), now);
    if let Some(dropped) = instance.timers.iter().find(|t| t.name == timer) {
        step.cancel_timer(timer);
        let (event, clock) = match &dropped.fires {
            Fires::Event(event) => (Some(event), None),
            Fires::SlaDeadline(clock) => (None, Some(clock)),
        };
        record_ignored(&mut step, event, &TIMER_ACTOR, reason, clock);
    }
    step.finish()
}

/// Records that an administrator retried what failed on the instance:
/// `incidents_resolved` incidents resolved and `deliveries_requeued` dead
/// webhook deliveries queued again. The instance itself stays as it is.
pub fn record_retry(
    definition: &Definition,
    instance: &Instance,
    incidents_resolved: u64,
    deliveries_requeued: u64,
    actor: &str,
    now: Millis,
) -> Outcome {
    let mut step = Step::new(definition, instance.clone(), now);
    let state = &instance.state;
    let actor = Name::from(actor);
    let line = Line {
        event: None,
        from: Some(state),
        to: Some(state),
        actor: &actor,
    };
    let change = AdminChange::Retry {
        incidents_resolved,
        deliveries_requeued,
    };
    step.record(line, HistoryData::Admin(change));
    step.finish()
}

/// A `timer` line saying that `event` (or the deadline of SLA `clock`) was
/// ignored, in the state the instance is in.
pub(super) fn record_ignored(
    step: &mut Step<'_>,
    event: Option<&Name>,
    actor: &Name,
    reason: &str,
    clock: Option<&Name>,
) {
    let state = step.instance.state.clone();
    let line = Line {
        event,
        from: Some(&state),
        to: Some(&state),
        actor,
    };
    let data = HistoryData::TimerIgnored {
        reason: reason.to_owned(),
        sla: clock.cloned(),
        catch_up: None,
    };
    step.record(line, data);
}

/// Makes the outcome of firing `fired` say what becomes of its row: re-set
/// (a recurring or restarted timer, written again so that its lease goes)
/// or cancelled.
pub(super) fn settle_fired_timer(outcome: &mut Outcome, fired: &PendingTimer) {
    let pending = outcome
        .instance
        .timers
        .iter()
        .find(|timer| timer.name == fired.name);
    match pending {
        Some(pending) => {
            if !outcome.timers_set.iter().any(|set| set.name == fired.name) {
                outcome.timers_set.push(pending.clone());
            }
        }
        None => {
            if !outcome.timers_cancelled.contains(&fired.name) {
                outcome.timers_cancelled.push(fired.name.clone());
            }
        }
    }
}
