//! Which live instances need a person, and why. Facts come from the store;
//! the reasons are weighed against the definition version each instance runs.

use serde::Serialize;
use uuid::Uuid;

use crate::engine::Millis;
use crate::model::Definition;
use crate::store::LiveInstanceFacts;

use super::{Runtime, RuntimeError};

/// A live instance with at least one reason to look at it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StuckInstance {
    pub id: Uuid,
    pub workflow: String,
    pub key: String,
    pub state: String,
    pub reasons: Vec<StuckReason>,
}

/// Why an instance is stuck.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum StuckReason {
    /// Incidents nobody resolved yet.
    OpenIncidents { count: i64 },
    /// A timer that should have fired more than the grace period ago.
    TimerOverdue { due_at: Millis },
    /// In its state longer than the state's `stuck_after`.
    Idle { since: Millis, stuck_after: Millis },
    /// An SLA cycle running past its deadline.
    SlaOverdue {
        sla: String,
        cycle: u32,
        due_at: Millis,
    },
    /// The state is not terminal yet nothing can leave it (or the
    /// definition version has no such state).
    NoWayOut,
}

impl Runtime {
    /// Every live instance that is stuck now, in id order.
    pub async fn stuck(&self) -> Result<Vec<StuckInstance>, RuntimeError> {
        let now = self.clock.now();
        let mut stuck = Vec::new();
        for facts in self.store.live_facts().await? {
            let definition = self
                .stored_definition(&facts.workflow, &facts.definition_hash)
                .await?;
            let reasons = reasons(&definition, &facts, now, self.config.stuck_grace);
            if !reasons.is_empty() {
                stuck.push(StuckInstance {
                    id: facts.id,
                    workflow: facts.workflow,
                    key: facts.key,
                    state: facts.state,
                    reasons,
                });
            }
        }
        Ok(stuck)
    }
}

fn reasons(
    definition: &Definition,
    facts: &LiveInstanceFacts,
    now: Millis,
    grace: Millis,
) -> Vec<StuckReason> {
    let mut reasons = Vec::new();
    if facts.open_incidents > 0 {
        reasons.push(StuckReason::OpenIncidents {
            count: facts.open_incidents,
        });
    }
    if let Some(due_at) = facts
        .earliest_timer_due
        .filter(|due_at| *due_at + grace < now)
    {
        reasons.push(StuckReason::TimerOverdue { due_at });
    }
    let state = definition.state(&facts.state);
    let stuck_after = state.and_then(|state| state.stuck_after);
    if let Some(stuck_after) = stuck_after.map(|after| after.as_millis())
        && facts.entered_at + stuck_after < now
    {
        let since = facts.entered_at;
        reasons.push(StuckReason::Idle { since, stuck_after });
    }
    for cycle in &facts.slas {
        if cycle.stopped_at.is_none() && cycle.paused_at.is_none() && cycle.due_at < now {
            reasons.push(StuckReason::SlaOverdue {
                sla: cycle.sla.to_string(),
                cycle: cycle.cycle,
                due_at: cycle.due_at,
            });
        }
    }
    let no_way_out = match state {
        None => true,
        Some(state) => {
            !state.terminal
                && state.always.is_empty()
                && definition.allowed_events(&state.name).is_empty()
        }
    };
    if no_way_out {
        reasons.push(StuckReason::NoWayOut);
    }
    reasons
}
