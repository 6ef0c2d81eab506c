//! SLA cycles (the `sla_cycles` table): every cycle of every clock, open or
//! closed, the queryable truth for reports. The open ones are also kept
//! inside the instance row (`instances.slas`) so an instance loads in one
//! query.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StoreError;
use super::db::{Db, Sql};
use crate::engine::{Millis, SlaCycle, SlaOutcome};

pub(super) const TABLE: &str = "sla_cycles";

/// An SLA outcome as stored: `"met"` or `"missed"`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum StoredOutcome {
    Met,
    Missed,
}

impl StoredOutcome {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            StoredOutcome::Met => "met",
            StoredOutcome::Missed => "missed",
        }
    }
}

impl From<SlaOutcome> for StoredOutcome {
    fn from(outcome: SlaOutcome) -> Self {
        match outcome {
            SlaOutcome::Met => StoredOutcome::Met,
            SlaOutcome::Missed => StoredOutcome::Missed,
        }
    }
}

impl From<StoredOutcome> for SlaOutcome {
    fn from(outcome: StoredOutcome) -> Self {
        match outcome {
            StoredOutcome::Met => SlaOutcome::Met,
            StoredOutcome::Missed => SlaOutcome::Missed,
        }
    }
}

/// An open SLA cycle inside the instance row (`instances.slas`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredSlaCycle {
    sla: String,
    cycle: u32,
    started_at: Millis,
    due_at: Millis,
    paused_at: Option<Millis>,
    outcome: Option<StoredOutcome>,
    role: Option<String>,
    stopped_at: Option<Millis>,
    /// The business calendar the cycle counts in; absent: wall-clock time
    /// (and every row written before calendars existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calendar: Option<String>,
}

impl From<&SlaCycle> for StoredSlaCycle {
    fn from(cycle: &SlaCycle) -> Self {
        Self {
            sla: cycle.sla.to_string(),
            cycle: cycle.cycle,
            started_at: cycle.started_at,
            due_at: cycle.due_at,
            paused_at: cycle.paused_at,
            outcome: cycle.outcome.map(Into::into),
            role: cycle.role.as_deref().map(str::to_owned),
            stopped_at: cycle.stopped_at,
            calendar: cycle.calendar.as_deref().map(str::to_owned),
        }
    }
}

impl From<StoredSlaCycle> for SlaCycle {
    fn from(cycle: StoredSlaCycle) -> Self {
        Self {
            sla: cycle.sla.into(),
            cycle: cycle.cycle,
            started_at: cycle.started_at,
            due_at: cycle.due_at,
            paused_at: cycle.paused_at,
            outcome: cycle.outcome.map(Into::into),
            role: cycle.role.map(Into::into),
            stopped_at: cycle.stopped_at,
            calendar: cycle.calendar.map(Into::into),
        }
    }
}

/// Inserts a cycle or replaces it (by instance, clock and cycle number).
pub(super) async fn upsert(
    db: &mut Db<'_>,
    instance_id: Uuid,
    cycle: &SlaCycle,
) -> Result<(), StoreError> {
    let outcome = cycle
        .outcome
        .map(|outcome| StoredOutcome::from(outcome).as_str());
    let sql = Sql::new(
        "INSERT INTO sla_cycles (instance_id, sla, cycle, started_at, due_at, paused_at, \
         outcome, role, stopped_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (instance_id, sla, cycle) DO UPDATE SET \
         started_at = excluded.started_at, due_at = excluded.due_at, \
         paused_at = excluded.paused_at, outcome = excluded.outcome, \
         role = excluded.role, stopped_at = excluded.stopped_at",
    )
    .bind(instance_id)
    .bind(cycle.sla.as_str())
    .bind(cycle.cycle)
    .bind(cycle.started_at)
    .bind(cycle.due_at)
    .bind(cycle.paused_at)
    .bind(outcome)
    .bind(cycle.role.as_deref())
    .bind(cycle.stopped_at);
    db.execute(sql).await?;
    Ok(())
}
