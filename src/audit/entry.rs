//! Audit entries: a draft the caller fills in, sealed by the store into an
//! entry with its number, time and hash.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::AuditAction;
use super::chain;
use crate::engine::Millis;

/// A change to record. The store gives it its `seq`, `at` and `hash` in
/// the transaction that makes the change ([`AuditDraft::seal`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditDraft {
    /// The account name (or the name tried, for a failed sign-in), or a
    /// system actor (`timer`, `sla`, `engine`, `workflow:<id>`).
    pub actor: String,
    pub action: AuditAction,
    /// What was changed, as `<kind>:<id>`: see [`target`].
    pub target: String,
    /// What the change was, as a JSON object (never secrets).
    pub detail: Map<String, Json>,
    /// The client's address, when the change came over HTTP.
    pub remote_addr: Option<String>,
}

impl AuditDraft {
    pub fn new(action: AuditAction, actor: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            action,
            target: target.into(),
            detail: Map::new(),
            remote_addr: None,
        }
    }

    /// The same draft with `detail` (a JSON object; anything else is kept
    /// under `"value"`).
    pub fn with_detail(mut self, detail: Json) -> Self {
        self.detail = match detail {
            Json::Object(map) => map,
            Json::Null => Map::new(),
            other => Map::from_iter([("value".to_owned(), other)]),
        };
        self
    }

    pub fn with_remote_addr(mut self, remote_addr: Option<String>) -> Self {
        self.remote_addr = remote_addr;
        self
    }

    /// The entry numbered `seq` at `at`, chained to the entry before it
    /// (whose hash is `previous`, [`chain::GENESIS`] for the first).
    pub fn seal(self, seq: i64, at: Millis, previous: &str) -> AuditEntry {
        let mut entry = AuditEntry {
            seq,
            at,
            actor: self.actor,
            action: self.action.as_str().to_owned(),
            target: self.target,
            detail: Json::Object(self.detail),
            remote_addr: self.remote_addr,
            hash: String::new(),
        };
        entry.hash = chain::hash(previous, &entry);
        entry
    }
}

/// One entry of the log, as stored. `action` stays text so that an entry
/// tampered into an unknown action is still read and reported, not refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3… without gaps, in commit order.
    pub seq: i64,
    pub at: Millis,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: Json,
    pub remote_addr: Option<String>,
    /// Lower-case hex SHA-256 chaining this entry to the one before.
    pub hash: String,
}

/// How targets are written: `<kind>:<id>`, so `target=instance:<id>` finds
/// everything that happened to one instance.
pub mod target {
    use uuid::Uuid;

    pub fn instance(id: Uuid) -> String {
        format!("instance:{id}")
    }

    pub fn account(name: &str) -> String {
        format!("account:{name}")
    }

    pub fn token(id: Uuid) -> String {
        format!("token:{id}")
    }

    pub fn session(id: Uuid) -> String {
        format!("session:{id}")
    }

    /// The loaded workflow files (reload).
    pub const WORKFLOWS: &str = "workflows";
    /// The manual clock.
    pub const CLOCK: &str = "clock";
}
