//! SLA clocks: when cycles start, pause, stop and are decided. The
//! open-time arithmetic of business calendars is `calendar`'s; this module
//! only says which calendar a cycle counts in.
//!
//! A cycle starts when the instance enters a start state and no cycle of the
//! clock is open; its deadline is `started_at + within`, pushed later by the
//! length of every pause once the pause ends. With a calendar (the chosen
//! `within` case's, else the clock's) only open time counts: the deadline is
//! the instant `within` of open time has passed, and a pause moves it by
//! the open time the pause held — paused time is never counted, and closed
//! time spent paused is not subtracted either. While a cycle is paused its
//! `due_at` stays where it was when the pause began; the pause moves it
//! when it ends. Its outcome is decided once:
//! `met` when it stops at or before the deadline (a stop while paused counts
//! time up to the pause), `missed` once the clock is *past* the deadline.
//! The deadline timer `sla:<clock>` is therefore due one millisecond after
//! `due_at`. A missed cycle stays open until it stops, then just closes.

use serde_json::Map;

use super::history::{HistoryData, SlaDecision};
use super::step::{Line, Step};
use super::types::{Fires, PendingTimer, Rejection, SlaCycle, SlaOutcome};
use crate::model::Name;
use crate::model::definition::{Sla, Within};

/// Cancels the deadline timer of `clock`, without spelling its name out
/// (this runs on most steps).
fn cancel_deadline(step: &mut Step<'_>, clock: &str) {
    step.instance
        .timers
        .retain(|timer| timer.name.strip_prefix("sla:") != Some(clock));
}

/// Stops, pauses or resumes the open cycles as the instance leaves `from`
/// for `target`. Outcomes are recorded for the role responsible in `from`:
/// the state whose work the clock measured.
pub(super) fn on_move(step: &mut Step<'_>, from: &Name, target: &str, actor: &Name) {
    let definition = step.definition;
    for sla in definition.slas.values() {
        let Some(index) = open_cycle(step, &sla.name) else {
            continue;
        };
        let paused = step.instance.slas[index].paused_at.is_some();
        let into_pause = sla.pause.iter().any(|state| state == target);
        if sla.stop.iter().any(|state| state == target) {
            stop(step, sla, index, from, actor);
        } else if paused && !into_pause {
            resume(step, sla, index);
        } else if !paused && into_pause {
            pause(step, index);
        }
    }
}

/// Starts a cycle of every clock that starts in `state` and has none open.
/// The instance must already be in `state`: `within` cases read it.
pub(super) fn start(step: &mut Step<'_>, state: &str) -> Result<(), Rejection> {
    let definition = step.definition;
    for sla in definition.slas.values() {
        if !sla.start.iter().any(|start| start == state) || open_cycle(step, &sla.name).is_some() {
            continue;
        }
        let Some(within) = allowed_time(step, sla)? else {
            continue;
        };
        let calendar = within.calendar.as_ref();
        let due_at = match &within.calendar {
            None => step.now.saturating_add(within.duration.as_millis()),
            Some(calendar) => calendar.add(step.now, calendar.open_time(within.duration)),
        };
        let counts = &mut step.instance.sla_cycle_counts;
        let count = match counts.get_mut(&sla.name) {
            Some(count) => {
                *count += 1;
                *count
            }
            None => {
                counts.insert(sla.name.clone(), 1);
                1
            }
        };
        let cycle = SlaCycle {
            sla: sla.name.clone(),
            cycle: count,
            started_at: step.now,
            due_at,
            paused_at: None,
            outcome: None,
            role: None,
            stopped_at: None,
            calendar: calendar.map(|calendar| Name::from(calendar.name())),
        };
        step.instance.slas.push(cycle.clone());
        step.sla_changed(cycle);
        let index = step.instance.slas.len() - 1;
        if sla.pause.iter().any(|pause| pause == state) {
            pause(step, index);
        } else {
            schedule_deadline(step, sla, index);
        }
    }
    Ok(())
}

/// Stops the open cycles of every clock that `event` stops, for the role
/// responsible in the state where the event was accepted.
pub(super) fn stop_on_event(step: &mut Step<'_>, event: &str, actor: &Name) {
    let definition = step.definition;
    for sla in definition.slas.values() {
        if sla.stop_events.iter().any(|stop| stop == event)
            && let Some(index) = open_cycle(step, &sla.name)
        {
            let state = step.instance.state.clone();
            stop(step, sla, index, &state, actor);
        }
    }
}

/// Decides a fired deadline. Returns the clock's `on_breach` event when the
/// cycle was missed just now. A deadline that is stale (the cycle stopped,
/// is paused or was already decided) does nothing; one that fired early is
/// put back.
pub(super) fn deadline(
    step: &mut Step<'_>,
    clock: &str,
    actor: &Name,
) -> Result<Option<Name>, Rejection> {
    let Some(sla) = step.definition.slas.get(clock) else {
        return Ok(None);
    };
    let Some(index) = open_cycle(step, clock) else {
        return Ok(None);
    };
    let cycle = &step.instance.slas[index];
    if cycle.paused_at.is_some() || cycle.outcome.is_some() {
        return Ok(None);
    }
    if step.now <= cycle.due_at {
        schedule_deadline(step, sla, index);
        return Ok(None);
    }
    let state = step.instance.state.clone();
    decide(step, sla, index, SlaOutcome::Missed, &state, actor);
    Ok(sla.on_breach.clone())
}

/// Closes every open cycle without an outcome: the instance ended (a
/// terminal state that is not a stop state, or an administrator's cancel),
/// so nobody met or missed anything. The store keeps the closed cycles via
/// `sla_changes`; no history line is written, as there is no outcome.
pub(super) fn close_all(step: &mut Step<'_>) {
    let open = std::mem::take(&mut step.instance.slas);
    for mut cycle in open {
        cancel_deadline(step, &cycle.sla);
        cycle.stopped_at = Some(step.now);
        step.sla_changed(cycle);
    }
}

fn open_cycle(step: &Step<'_>, clock: &str) -> Option<usize> {
    step.instance
        .slas
        .iter()
        .position(|cycle| cycle.sla == clock)
}

/// The first `within` case whose condition holds for the data now. The
/// loader guarantees a last case without `when`, so there always is one.
fn allowed_time<'d>(step: &Step<'d>, sla: &'d Sla) -> Result<Option<&'d Within>, Rejection> {
    let no_event = Map::new();
    let scope = step.scope(&no_event);
    for case in &sla.within {
        let holds = match &case.when {
            Some(condition) => condition.eval_bool(&scope)?,
            None => true,
        };
        if holds {
            return Ok(Some(case));
        }
    }
    Ok(None)
}

/// Stops cycle `index`: decides it if still undecided, then closes it.
fn stop(step: &mut Step<'_>, sla: &Sla, index: usize, role_state: &Name, actor: &Name) {
    let cycle = &step.instance.slas[index];
    if cycle.outcome.is_none() {
        let counted_until = cycle.paused_at.unwrap_or(step.now);
        let outcome = if counted_until <= cycle.due_at {
            SlaOutcome::Met
        } else {
            SlaOutcome::Missed
        };
        decide(step, sla, index, outcome, role_state, actor);
    }
    let mut cycle = step.instance.slas.remove(index);
    cycle.stopped_at = Some(step.now);
    cancel_deadline(step, &cycle.sla);
    step.sla_changed(cycle);
}

/// Records `outcome` for cycle `index`, with the role responsible now.
fn decide(
    step: &mut Step<'_>,
    sla: &Sla,
    index: usize,
    outcome: SlaOutcome,
    role_state: &Name,
    actor: &Name,
) {
    let role = responsible(step, sla, role_state);
    let cycle = &mut step.instance.slas[index];
    cycle.outcome = Some(outcome);
    cycle.role = role.clone();
    let cycle = cycle.clone();
    let data = HistoryData::Sla(SlaDecision {
        sla: cycle.sla.clone(),
        cycle: cycle.cycle,
        outcome,
        role,
        due_at: cycle.due_at,
    });
    let line = Line {
        event: None,
        from: Some(role_state),
        to: None,
        actor,
    };
    step.record(line, data);
    cancel_deadline(step, &cycle.sla);
    step.sla_changed(cycle);
}

fn pause(step: &mut Step<'_>, index: usize) {
    let cycle = &mut step.instance.slas[index];
    cycle.paused_at = Some(step.now);
    let cycle = cycle.clone();
    cancel_deadline(step, &cycle.sla);
    step.sla_changed(cycle);
}

/// Ends a pause: the deadline moves later by the time spent paused (on a
/// calendar: by the open time the pause held).
fn resume(step: &mut Step<'_>, sla: &Sla, index: usize) {
    let now = step.now;
    let cycle = &mut step.instance.slas[index];
    let calendar = cycle
        .calendar
        .as_deref()
        .and_then(|name| sla.calendar(name));
    if let Some(paused_at) = cycle.paused_at.take() {
        cycle.due_at = match calendar {
            None => cycle
                .due_at
                .saturating_add(now.saturating_sub(paused_at).max(0)),
            Some(calendar) => calendar.resumed(cycle.due_at, paused_at, now),
        };
    }
    let cycle = cycle.clone();
    step.sla_changed(cycle);
    schedule_deadline(step, sla, index);
}

/// (Re)schedules the deadline timer of an undecided cycle.
fn schedule_deadline(step: &mut Step<'_>, sla: &Sla, index: usize) {
    let cycle = &step.instance.slas[index];
    if cycle.outcome.is_some() {
        return;
    }
    let timer = PendingTimer {
        name: sla.deadline_timer.clone(),
        due_at: cycle.due_at.saturating_add(1),
        fires: Fires::SlaDeadline(cycle.sla.clone()),
    };
    step.set_timer(timer);
}

/// Who an outcome counts for: the clock's role, else the role of
/// `state`; a role read from a data field that is empty is no role.
fn responsible(step: &Step<'_>, sla: &Sla, state: &str) -> Option<Name> {
    let role = sla.role.as_ref().or_else(|| {
        step.definition
            .state(state)
            .and_then(|state| state.role.as_ref())
    })?;
    role.resolve(&step.instance.data)
}

/// After a migration to `step.definition` standing in `state`: an open
/// cycle whose clock still exists keeps its start, pause and deadline (its
/// pause starts or ends now where `state` pauses the clock differently);
/// one whose clock is gone closes with no outcome.
pub(super) fn migrate(step: &mut Step<'_>, state: &str) {
    let definition = step.definition;
    let mut index = 0;
    while index < step.instance.slas.len() {
        let clock = step.instance.slas[index].sla.clone();
        let Some(sla) = definition.slas.get(clock.as_str()) else {
            let mut cycle = step.instance.slas.remove(index);
            cycle.stopped_at = Some(step.now);
            cancel_deadline(step, &clock);
            step.sla_changed(cycle);
            continue;
        };
        let paused = step.instance.slas[index].paused_at.is_some();
        let into_pause = sla.pause.iter().any(|pause| pause == state);
        if paused && !into_pause {
            resume(step, sla, index);
        } else if !paused && into_pause {
            pause(step, index);
        }
        index += 1;
    }
}
