//! The working copy of one engine step.
//!
//! Every public engine function clones the instance into a [`Step`], lets the
//! rules change it and collect history, effects and SLA changes, and turns it
//! into an [`Outcome`] at the end. A rejection simply drops the step, so a
//! rejected request changes nothing.

use serde_json::{Map, Value as Json};

use super::history::{CatchUpNote, HistoryData, HistoryEntry};
use super::outcome::Outcome;
use super::types::{Effect, Instance, Millis, PendingTimer, SlaCycle, TransitionRecord};
use crate::model::{Definition, Name, Scope};

/// One step in progress. Cloned as a savepoint where a failure must be
/// absorbed rather than returned (a timer whose event is refused).
#[derive(Debug, Clone)]
pub(super) struct Step<'d> {
    pub definition: &'d Definition,
    pub instance: Instance,
    pub now: Millis,
    pub history: Vec<HistoryEntry>,
    pub transition: Option<TransitionRecord>,
    pub effects: Vec<Effect>,
    sla_changes: Vec<SlaCycle>,
    /// The timers before the step: `finish` derives the timer changes from
    /// the difference, so they always agree with `instance.timers`.
    original_timers: Vec<PendingTimer>,
}

impl<'d> Step<'d> {
    pub fn new(definition: &'d Definition, instance: Instance, now: Millis) -> Self {
        let original_timers = instance.timers.clone();
        Self {
            definition,
            instance,
            now,
            history: Vec::new(),
            transition: None,
            effects: Vec::new(),
            sla_changes: Vec::new(),
            original_timers,
        }
    }

    /// Appends a history line stamped with the step's instant.
    pub fn record(&mut self, line: Line<'_>, data: HistoryData) {
        self.history.push(HistoryEntry {
            at: self.now,
            event: line.event.cloned(),
            from: line.from.cloned(),
            to: line.to.cloned(),
            actor: line.actor.clone(),
            data,
        });
    }

    /// Notes on `timer` line `index` the slot a late firing stood for.
    pub fn note_catch_up(&mut self, index: usize, note: CatchUpNote) {
        if let Some(
            HistoryData::TimerFired { catch_up, .. } | HistoryData::TimerIgnored { catch_up, .. },
        ) = self.history.get_mut(index).map(|line| &mut line.data)
        {
            *catch_up = Some(note);
        }
    }

    /// The expression scope over the current data, with `event` data.
    pub fn scope<'a>(&'a self, event: &'a Map<String, Json>) -> Scope<'a> {
        Scope {
            data: &self.instance.data,
            event,
            key: &self.instance.key,
            state: &self.instance.state,
        }
    }

    /// Inserts or replaces the pending timer of the same name.
    pub fn set_timer(&mut self, timer: PendingTimer) {
        match self
            .instance
            .timers
            .iter_mut()
            .find(|t| t.name == timer.name)
        {
            Some(existing) => *existing = timer,
            None => self.instance.timers.push(timer),
        }
    }

    pub fn cancel_timer(&mut self, name: &str) {
        self.instance.timers.retain(|timer| timer.name != name);
    }

    pub fn has_timer(&self, name: &str) -> bool {
        self.instance.timers.iter().any(|timer| timer.name == name)
    }

    /// Notes a created or changed SLA cycle for the store (last write wins).
    pub fn sla_changed(&mut self, cycle: SlaCycle) {
        let same = |c: &SlaCycle| c.sla == cycle.sla && c.cycle == cycle.cycle;
        match self.sla_changes.iter_mut().find(|c| same(c)) {
            Some(existing) => *existing = cycle,
            None => self.sla_changes.push(cycle),
        }
    }

    pub fn finish(mut self) -> Outcome {
        self.instance.updated_at = self.now;
        let timers_set = self
            .instance
            .timers
            .iter()
            .filter(|timer| !self.original_timers.contains(timer))
            .cloned()
            .collect();
        let timers_cancelled = self
            .original_timers
            .iter()
            .filter(|old| !self.has_timer(&old.name))
            .map(|old| old.name.clone())
            .collect();
        Outcome {
            instance: self.instance,
            history: self.history,
            transition: self.transition,
            timers_set,
            timers_cancelled,
            sla_changes: self.sla_changes,
            effects: self.effects,
        }
    }
}

/// The descriptive part of a history line: shared names, so recording one
/// copies no text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    pub event: Option<&'a Name>,
    pub from: Option<&'a Name>,
    pub to: Option<&'a Name>,
    pub actor: &'a Name,
}
