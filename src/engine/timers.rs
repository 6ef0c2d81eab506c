//! Declared timers: when they start, when they stop, when they fire next.
//!
//! A state timer runs while the instance stays within its `states`: moving
//! between two of them keeps it running, leaving them cancels it, and an
//! explicit re-entry of a state restarts it. An instance timer (no `states`)
//! runs from creation until the instance ends. SLA deadline timers are
//! `engine::sla`'s business.
//!
//! When a timer is due: `after` and `every` count from the instant the
//! timer started (in a calendar's open time when it has one), `cron` takes
//! the next slot of its pattern, `at` evaluates its expression. A
//! recurring timer's next slot follows the slot that fired, not the firing
//! instant, so its rhythm does not drift; one found more than a period late
//! follows its `catch_up` policy (`calendar::plan_firing`).

use serde_json::{Map, Value as Json};

use super::history::CatchUpNote;
use super::step::Step;
use super::types::{Fires, Millis, PendingTimer, Rejection};
use crate::calendar;
use crate::model::definition::{Schedule, Timer};
use crate::model::{Duration, Expr, ExprError};

/// Starts every instance timer that is not running, relative to now.
pub(super) fn start_instance_timers(step: &mut Step<'_>) -> Result<(), Rejection> {
    let definition = step.definition;
    for timer in definition.timers.values() {
        if timer.states.is_empty() && !step.has_timer(&timer.name) {
            start(step, timer)?;
        }
    }
    Ok(())
}

/// Adjusts state timers for a move from `from` to `target`.
pub(super) fn on_move(step: &mut Step<'_>, from: &str, target: &str) -> Result<(), Rejection> {
    let definition = step.definition;
    let reentry = from == target;
    for timer in definition.timers.values() {
        if timer.states.is_empty() {
            continue;
        }
        let inside = timer.states.iter().any(|state| state == target);
        let running = step.has_timer(&timer.name);
        if inside && (reentry || !running) {
            start(step, timer)?;
        } else if running && !inside {
            step.cancel_timer(&timer.name);
        }
    }
    Ok(())
}

/// What became of a fired timer.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Consumed {
    /// Post the timer's event (false: `catch_up = "skip"` dropped it).
    pub fire: bool,
    /// For a recurring timer fired more than a period late: what its
    /// history line says about the slot it stood for.
    pub catch_up: Option<CatchUpNote>,
}

/// Takes a fired timer out of the instance, or, for a recurring one, moves
/// it to its next slot as its `catch_up` policy says.
pub(super) fn consume(step: &mut Step<'_>, fired: &PendingTimer) -> Consumed {
    let on_time = Consumed {
        fire: true,
        catch_up: None,
    };
    let declared = step.definition.timers.get(fired.name.as_str());
    let (Some(timer), Fires::Event(_)) = (declared, &fired.fires) else {
        step.cancel_timer(&fired.name);
        return on_time;
    };
    let slot = fired.due_at;
    let now = step.now;
    let firing = match &timer.schedule {
        Schedule::Every(period) => calendar::plan_firing(timer.catch_up, slot, now, |t| {
            Some(every_after(timer, *period, slot, t))
        }),
        Schedule::Cron(schedule) => {
            calendar::plan_firing(timer.catch_up, slot, now, |t| schedule.after(t))
        }
        Schedule::After(_) | Schedule::At(_) => {
            step.cancel_timer(&fired.name);
            return on_time;
        }
    };
    match firing.next {
        Some(next) => step.set_timer(PendingTimer {
            due_at: next,
            ..fired.clone()
        }),
        None => step.cancel_timer(&fired.name),
    }
    // What the history line of a late firing says: which timer, which slot
    // it stood for (the first one missed), the policy, and the next slot.
    let catch_up = firing.late.then(|| CatchUpNote {
        timer: timer.name.clone(),
        slot,
        policy: timer.catch_up,
        next: firing.next,
    });
    Consumed {
        fire: firing.fire,
        catch_up,
    }
}

/// The first slot of an `every` timer whose slots include `slot` that is
/// strictly after `t` (for `t >= slot`).
fn every_after(timer: &Timer, period: Duration, slot: Millis, t: Millis) -> Millis {
    match &timer.calendar {
        None => {
            let period = period.as_millis();
            let periods = (t.saturating_sub(slot)).div_euclid(period) + 1;
            slot.saturating_add(periods.saturating_mul(period))
        }
        Some(calendar) => {
            let length = calendar.open_time(period).max(1);
            let periods = calendar.between(slot, t).max(0).div_euclid(length) + 1;
            calendar.add(slot, periods.saturating_mul(length))
        }
    }
}

/// Starts (or restarts) `timer` at the step's instant. A `cron` pattern
/// with no slot left, or an `at` expression giving `null`, starts nothing.
pub(super) fn start(step: &mut Step<'_>, timer: &Timer) -> Result<(), Rejection> {
    let now = step.now;
    let due_at = match &timer.schedule {
        Schedule::After(delay) | Schedule::Every(delay) => Some(match &timer.calendar {
            None => now.saturating_add(delay.as_millis()),
            Some(calendar) => calendar.add(now, calendar.open_time(*delay)),
        }),
        Schedule::Cron(schedule) => schedule.after(now),
        Schedule::At(expr) => instant(step, expr)?,
    };
    match due_at {
        Some(due_at) => step.set_timer(PendingTimer {
            name: timer.name.clone(),
            due_at,
            fires: Fires::Event(timer.event.clone()),
        }),
        None => step.cancel_timer(&timer.name),
    }
    Ok(())
}

/// The instant an `at` expression gives: an RFC 3339 string or a CEL
/// timestamp; `None` for `null`.
fn instant(step: &Step<'_>, expr: &Expr) -> Result<Option<Millis>, Rejection> {
    let no_event = Map::new();
    let value = expr.eval(&step.scope(&no_event))?;
    let wrong = |found: String| ExprError::WrongType {
        text: expr.source().to_owned(),
        found,
        expected: "an RFC 3339 instant (e.g. \"2026-10-08T09:00:00+08:00\") or a timestamp",
    };
    match &value {
        Json::Null => Ok(None),
        Json::String(text) => text
            .parse::<jiff::Timestamp>()
            .map(|at| Some(at.as_millisecond()))
            .map_err(|_| wrong(value.to_string()).into()),
        other => Err(wrong(other.to_string()).into()),
    }
}
