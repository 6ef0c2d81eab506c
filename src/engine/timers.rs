//! Declared timers: when they start, when they stop, when they fire next.
//!
//! A state timer runs while the instance stays within its `states`: moving
//! between two of them keeps it running, leaving them cancels it, and an
//! explicit re-entry of a state restarts it. An instance timer (no `states`)
//! runs from creation until the instance ends. SLA deadline timers are
//! `engine::sla`'s business.

use super::step::Step;
use super::types::{Fires, PendingTimer};
use crate::model::definition::{Schedule, Timer};

/// Starts every instance timer that is not running, relative to now.
pub(super) fn start_instance_timers(step: &mut Step<'_>) {
    let definition = step.definition;
    for timer in definition.timers.values() {
        if timer.states.is_empty() && !step.has_timer(&timer.name) {
            start(step, timer);
        }
    }
}

/// Adjusts state timers for a move from `from` to `target`.
pub(super) fn on_move(step: &mut Step<'_>, from: &str, target: &str) {
    let definition = step.definition;
    let reentry = from == target;
    for timer in definition.timers.values() {
        if timer.states.is_empty() {
            continue;
        }
        let inside = timer.states.iter().any(|state| state == target);
        let running = step.has_timer(&timer.name);
        if inside && (reentry || !running) {
            start(step, timer);
        } else if running && !inside {
            step.cancel_timer(&timer.name);
        }
    }
}

/// Takes a fired timer out of the instance, or, for a recurring one, moves
/// it to its next period. The next due instant follows the previous one, not
/// the firing instant, so a runner that was down fires every missed period
/// one by one and the rhythm does not drift.
pub(super) fn consume(step: &mut Step<'_>, fired: &PendingTimer) {
    let every = step
        .definition
        .timers
        .get(&fired.name)
        .and_then(|timer| match timer.schedule {
            Schedule::Every(period) => Some(period),
            Schedule::After(_) => None,
        });
    match (every, &fired.fires) {
        (Some(period), Fires::Event(_)) => step.set_timer(PendingTimer {
            due_at: fired.due_at.saturating_add(period.as_millis()),
            ..fired.clone()
        }),
        _ => step.cancel_timer(&fired.name),
    }
}

fn start(step: &mut Step<'_>, timer: &Timer) {
    let delay = match timer.schedule {
        Schedule::After(delay) | Schedule::Every(delay) => delay,
    };
    step.set_timer(PendingTimer {
        name: timer.name.clone(),
        due_at: step.now.saturating_add(delay.as_millis()),
        fires: Fires::Event(timer.event.clone()),
    });
}
