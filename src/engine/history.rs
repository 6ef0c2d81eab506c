//! History lines: what each engine step records, typed per kind so that
//! readers (scenarios, the assessment, the API) match on fields instead of
//! looking keys up in JSON. The store keeps its own stored form of these
//! and converts at its edge; the API renders its own view.

use serde_json::{Map, Value as Json};

use super::types::{Effect, Millis, SlaOutcome};
use crate::calendar::CatchUp;
use crate::model::Name;

/// What kind of thing a history entry records: the `kind` the API shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryKind {
    Created,
    Event,
    Timer,
    Sla,
    Action,
    Admin,
}

impl HistoryKind {
    pub const ALL: [HistoryKind; 6] = [
        HistoryKind::Created,
        HistoryKind::Event,
        HistoryKind::Timer,
        HistoryKind::Sla,
        HistoryKind::Action,
        HistoryKind::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::Created => "created",
            HistoryKind::Event => "event",
            HistoryKind::Timer => "timer",
            HistoryKind::Sla => "sla",
            HistoryKind::Action => "action",
            HistoryKind::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One line of an instance's history. The store numbers them (`seq`).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub at: Millis,
    /// The event, for lines of kind `event` and `timer` (none for an
    /// eventless transition or a dropped SLA deadline).
    pub event: Option<Name>,
    pub from: Option<Name>,
    pub to: Option<Name>,
    pub actor: Name,
    /// What the line records; its variant decides the line's kind.
    pub data: HistoryData,
}

impl HistoryEntry {
    pub fn kind(&self) -> HistoryKind {
        self.data.kind()
    }
}

/// What a history line records, one variant per kind of happening.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryData {
    /// `created`: the instance's data as it started.
    Created(Map<String, Json>),
    /// `event`: an event was accepted (or an eventless transition taken,
    /// with empty data), with the event's data.
    Event(Map<String, Json>),
    /// `timer`: a timer fired and its event was accepted.
    TimerFired {
        data: Map<String, Json>,
        /// Set when the firing was late (slots were missed).
        catch_up: Option<CatchUpNote>,
    },
    /// `timer`: a timer fired (or was dropped) and what it would have done
    /// was refused, or skipped by its `catch_up` policy.
    TimerIgnored {
        reason: String,
        /// The SLA clock, for a deadline or an `on_breach` event.
        sla: Option<Name>,
        catch_up: Option<CatchUpNote>,
    },
    /// `sla`: an SLA cycle's outcome was decided.
    Sla(SlaDecision),
    /// `action`: an action was decided (its effect goes to the outbox or
    /// the cascade).
    Action(Effect),
    /// `admin`: an administrator changed the instance.
    Admin(AdminChange),
}

impl HistoryData {
    pub fn kind(&self) -> HistoryKind {
        match self {
            HistoryData::Created(_) => HistoryKind::Created,
            HistoryData::Event(_) => HistoryKind::Event,
            HistoryData::TimerFired { .. } | HistoryData::TimerIgnored { .. } => HistoryKind::Timer,
            HistoryData::Sla(_) => HistoryKind::Sla,
            HistoryData::Action(_) => HistoryKind::Action,
            HistoryData::Admin(_) => HistoryKind::Admin,
        }
    }

    /// The data of the event a `created`, `event` or fired `timer` line
    /// carries.
    pub fn event_data(&self) -> Option<&Map<String, Json>> {
        match self {
            HistoryData::Created(data)
            | HistoryData::Event(data)
            | HistoryData::TimerFired { data, .. } => Some(data),
            _ => None,
        }
    }

    /// Why a `timer` line's firing was ignored.
    pub fn ignored(&self) -> Option<&str> {
        match self {
            HistoryData::TimerIgnored { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The catch-up note of a late firing.
    pub fn catch_up(&self) -> Option<&CatchUpNote> {
        match self {
            HistoryData::TimerFired { catch_up, .. }
            | HistoryData::TimerIgnored { catch_up, .. } => catch_up.as_ref(),
            _ => None,
        }
    }

    /// The decision an `sla` line records.
    pub fn sla(&self) -> Option<&SlaDecision> {
        match self {
            HistoryData::Sla(decision) => Some(decision),
            _ => None,
        }
    }
}

/// The outcome of one SLA cycle, decided once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaDecision {
    /// The clock's name.
    pub sla: Name,
    pub cycle: u32,
    pub outcome: SlaOutcome,
    /// The role the outcome counts for; `None` when no role applies.
    pub role: Option<Name>,
    pub due_at: Millis,
}

/// What a late firing of a recurring timer stood for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUpNote {
    pub timer: Name,
    /// The first slot that was missed: the one this firing stands for.
    pub slot: Millis,
    pub policy: CatchUp,
    /// The slot the timer waits for next; `None` when it does not recur.
    pub next: Option<Millis>,
}

/// An administrator's change to an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminChange {
    /// Ended where it stood.
    Cancel { reason: String },
    /// Moved to another state (`from`/`to` on the line).
    Move { reason: String },
    /// What failed was retried: incidents resolved, dead deliveries queued
    /// again.
    Retry {
        incidents_resolved: u64,
        deliveries_requeued: u64,
    },
    /// Moved to another version of its workflow by a migration plan
    /// (`from`/`to` states on the line); `filled`: the data fields the
    /// plan computed.
    Migrate {
        from_version: u32,
        to_version: u32,
        filled: Vec<String>,
    },
}
