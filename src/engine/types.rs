//! The values the engine takes and returns. Plain data: the store persists
//! them, the API serializes views of them, the engine computes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::model::fields::FieldError;
use crate::model::{ExprError, Name};

/// A point in time: milliseconds since the Unix epoch, UTC. The engine never
/// reads a clock; every function takes `now`.
pub type Millis = i64;

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    /// Reached a terminal state.
    Completed,
    /// Cancelled by an administrator.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Status::Active),
            "completed" => Some(Status::Completed),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }
}

/// A running (or ended) instance of one workflow version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: Uuid,
    pub workflow: Name,
    /// The `version` of the definition it runs.
    pub version: u32,
    /// The content hash of that definition: the store's key for it.
    pub definition_hash: Name,
    /// The business key (ticket number, order id…).
    pub key: Name,
    pub state: Name,
    pub status: Status,
    pub data: Map<String, Json>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// When the current state was entered (for `stuck_after`).
    pub entered_at: Millis,
    /// SLA cycles that have not stopped yet (a missed one stays until it stops).
    pub slas: Vec<SlaCycle>,
    /// Timers waiting to fire.
    pub timers: Vec<PendingTimer>,
    /// Bumped by every committed change: optimistic concurrency in the store.
    pub revision: i64,
    /// The highest cycle number each SLA clock has used on this instance, so
    /// a new cycle gets the next number after its predecessors closed (and
    /// left `slas`). A store that keeps cycles in their own table can rebuild
    /// it as `MAX(cycle)` per clock.
    #[serde(default)]
    pub sla_cycle_counts: BTreeMap<Name, u32>,
}

/// One cycle of an SLA clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCycle {
    pub sla: Name,
    /// 1 for the first cycle of this clock on this instance, then 2, 3…
    pub cycle: u32,
    pub started_at: Millis,
    /// The deadline, moved later by every pause once it ends. While paused
    /// it stays where it was when the pause began.
    pub due_at: Millis,
    /// Set while the instance is in one of the clock's pause states.
    pub paused_at: Option<Millis>,
    /// Decided once: `Met` when stopped by `due_at`, `Missed` once past it.
    pub outcome: Option<SlaOutcome>,
    /// The role the outcome was recorded for.
    pub role: Option<Name>,
    pub stopped_at: Option<Millis>,
    /// The business calendar whose open time the cycle counts, chosen with
    /// its `within` case when it started; `None`: wall-clock time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Name>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaOutcome {
    Met,
    Missed,
}

impl SlaOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaOutcome::Met => "met",
            SlaOutcome::Missed => "missed",
        }
    }
}

/// A timer waiting to fire. `name` is unique within the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTimer {
    /// The timer's name from the definition, or `sla:<clock>` for a deadline.
    pub name: Name,
    pub due_at: Millis,
    pub fires: Fires,
}

/// What a timer does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Fires {
    /// Posts this event to the instance.
    Event(Name),
    /// Decides `missed` for the running cycle of this SLA clock.
    SlaDeadline(Name),
}

/// An event as the engine sees it, already authenticated.
#[derive(Debug, Clone, PartialEq)]
pub struct EventInput {
    pub name: Name,
    pub data: Map<String, Json>,
    /// Who posted it (token name, `timer`, `workflow:<id>`…), for history.
    pub actor: Name,
}

/// A request to start an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateInput {
    pub id: Uuid,
    pub key: Name,
    pub data: Map<String, Json>,
    pub actor: Name,
}

/// The state change an event caused, as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRecord {
    pub event: Name,
    pub from: Name,
    pub to: Name,
    pub at: Millis,
}

/// Work for the world outside the instance, committed with the change that
/// caused it. Not serialized: the store and the API each own their form
/// of it (`store/history_data.rs`, `api/wire.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// POST `payload` to the webhook configured as `webhook` (via the outbox).
    Notify { webhook: String, payload: Json },
    /// Start an instance of `workflow` with `key` and `data`.
    Spawn {
        workflow: String,
        key: String,
        data: Map<String, Json>,
    },
    /// Post `event` to the live instance of `workflow` with `key`; when
    /// there is none and `start` is set, start one first.
    Send {
        workflow: String,
        key: String,
        event: String,
        data: Map<String, Json>,
        start: bool,
    },
}

/// Why the engine refused an event; nothing changes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("event `{event}` is not allowed in state `{state}`")]
    EventNotAllowed {
        event: String,
        state: String,
        allowed: Vec<String>,
    },
    #[error("the instance has ended ({})", status.as_str())]
    InstanceEnded { status: Status },
    #[error("data is invalid")]
    DataInvalid { errors: Vec<FieldError> },
    #[error("no transition of `{event}` applies in state `{state}`: every guard is false")]
    NoGuardHolds { event: String, state: String },
    #[error(transparent)]
    Expression(#[from] ExprError),
    #[error("eventless transitions from `{state}` did not settle after {bound} steps")]
    EventlessLoop { state: String, bound: usize },
    #[error("no pending timer `{name}`")]
    NoSuchTimer { name: String },
    /// An administrator asked to move an instance to a state its definition
    /// does not have.
    #[error("the workflow has no state `{state}`")]
    UnknownState { state: String },
}
