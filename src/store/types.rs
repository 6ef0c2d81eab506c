//! What the store hands back besides engine types: history rows with their
//! sequence number, listing filters and pages, claimed timers, outbox
//! messages, incidents and the raw facts the stuck check needs.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::engine::{HistoryEntry, Instance, Millis, SlaCycle, Status};

/// One history line as stored: the engine's entry plus its number, which
/// starts at 1 per instance and has no gaps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub entry: HistoryEntry,
}

/// Which instances a listing returns. Every filter is optional; `limit` is
/// clamped to 1..=500.
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub workflow: Option<String>,
    pub state: Option<String>,
    pub key: Option<String>,
    pub status: Option<Status>,
    pub limit: u32,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<Cursor>,
}

/// A position in an instance listing. Opaque to callers: they only hand back
/// what a page gave them. Listings run newest first (ids are UUID v7), so the
/// cursor is the last id shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(Uuid);

impl Cursor {
    pub(crate) fn after(id: Uuid) -> Self {
        Self(id)
    }

    pub(crate) fn last_id(&self) -> Uuid {
        self.0
    }

    /// The text form given to clients.
    pub fn encode(&self) -> String {
        self.0.simple().to_string()
    }

    /// Parses a client's cursor; `None` when it is not one we issued.
    pub fn decode(text: &str) -> Option<Self> {
        (text.len() == 32)
            .then(|| Uuid::try_parse(text).ok())
            .flatten()
            .map(Self)
    }
}

/// One page of a listing; `next_cursor` is `None` on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub instances: Vec<Instance>,
    pub next_cursor: Option<Cursor>,
}

/// A timer this runner has leased and should fire now. `due_at` identifies
/// the exact timer: a timer re-set since the claim has another `due_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTimer {
    pub instance_id: Uuid,
    pub name: String,
    pub due_at: Millis,
}

/// A webhook delivery waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub webhook: String,
    pub payload: Json,
    /// Deliveries tried so far (before this one).
    pub attempts: i64,
}

/// A webhook delivery as stored, for inspection: pending while neither
/// `delivered_at` nor `dead_at` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub webhook: String,
    pub payload: Json,
    pub created_at: Millis,
    /// Deliveries tried so far.
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub delivered_at: Option<Millis>,
    /// Set when the attempts ran out; cleared by an administrator's retry.
    pub dead_at: Option<Millis>,
    pub last_error: Option<String>,
}

/// Something that went wrong on an instance and needs a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub kind: String,
    pub message: String,
    pub created_at: Millis,
    pub resolved_at: Option<Millis>,
}

/// The facts about a live instance that the stuck check weighs against its
/// definition.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveInstanceFacts {
    pub id: Uuid,
    pub workflow: String,
    pub key: String,
    pub definition_hash: String,
    pub state: String,
    pub entered_at: Millis,
    pub slas: Vec<SlaCycle>,
    pub open_incidents: i64,
    /// The earliest due time among its timers, if any.
    pub earliest_timer_due: Option<Millis>,
}

/// An idempotency record: the hash of the first request and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub response: Json,
}
