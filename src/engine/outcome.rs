//! What one engine step decided, as one record the runtime commits whole.

use super::history::HistoryEntry;
use super::types::{Effect, Instance, PendingTimer, SlaCycle, TransitionRecord};
use crate::model::Name;

/// Everything one engine step decided. The runtime commits it in one
/// transaction, or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The instance after the step (state, data, status, open SLA cycles,
    /// pending timers, `updated_at`; `revision` unchanged: the store bumps it).
    pub instance: Instance,
    pub history: Vec<HistoryEntry>,
    /// The state change, when the step was an event or timer.
    pub transition: Option<TransitionRecord>,
    /// Timers to insert or replace (by name).
    pub timers_set: Vec<PendingTimer>,
    /// Timer names to delete.
    pub timers_cancelled: Vec<Name>,
    /// SLA cycles created or changed in this step (closed ones included),
    /// to upsert by (sla, cycle).
    pub sla_changes: Vec<SlaCycle>,
    pub effects: Vec<Effect>,
}
