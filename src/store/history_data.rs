//! The `history.data` column: the stored form of each kind of history
//! line, owned here and converted to and from the engine's
//! [`HistoryData`] at this edge. The form is the JSON history lines have
//! always been written in, so rows written before these types existed read
//! back unchanged; renaming an engine field cannot change it.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

use super::StoreError;
use super::db::Arg;
use super::sla_cycles::StoredOutcome;
use crate::calendar::CatchUp;
use crate::engine::{
    AdminChange, CatchUpNote, Effect, HistoryData, HistoryKind, Millis, SlaDecision,
};

/// Encodes `data` for the `data` column.
pub(super) fn encode(data: &HistoryData) -> Result<Arg<'static>, StoreError> {
    stored(data).map(Arg::Json)
}

/// The stored form of `data` as JSON text (also kept in the assessment's
/// facts, `store::assessment`).
pub(super) fn stored(data: &HistoryData) -> Result<Box<RawValue>, StoreError> {
    match data {
        HistoryData::Created(data) | HistoryData::Event(data) => raw(data),
        HistoryData::TimerFired { .. } | HistoryData::TimerIgnored { .. } => {
            raw(&StoredTimerLine::from(data))
        }
        HistoryData::Sla(decision) => raw(&StoredSla::from(decision)),
        HistoryData::Action(effect) => raw(&StoredEffect::from(effect)),
        HistoryData::Admin(change) => raw(&StoredAdmin::from(change)),
    }
}

fn raw<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, StoreError> {
    serde_json::value::to_raw_value(value)
        .map_err(|error| StoreError::Corrupt(format!("cannot encode JSON: {error}")))
}

/// Decodes the `data` column of a line of `kind`.
pub(super) fn decode(kind: HistoryKind, data: Json) -> Result<HistoryData, StoreError> {
    decode_from(kind, data)
}

/// Decodes the stored JSON text of a line of `kind` straight into its
/// type, without the `Json` tree [`decode`] starts from: the assessment
/// decodes hundreds of thousands of these (`store::assessment`).
pub(super) fn decode_text(kind: HistoryKind, text: &str) -> Result<HistoryData, StoreError> {
    decode_from(kind, &mut serde_json::Deserializer::from_str(text))
}

fn decode_from<'de, D>(kind: HistoryKind, data: D) -> Result<HistoryData, StoreError>
where
    D: serde::Deserializer<'de, Error = serde_json::Error>,
{
    let corrupt = |error: serde_json::Error| {
        StoreError::Corrupt(format!("{} line data: {error}", kind.as_str()))
    };
    let decoded = match kind {
        HistoryKind::Created => HistoryData::Created(Map::deserialize(data).map_err(corrupt)?),
        HistoryKind::Event => HistoryData::Event(Map::deserialize(data).map_err(corrupt)?),
        HistoryKind::Timer => StoredTimerLine::deserialize(data)
            .map_err(corrupt)?
            .try_into()?,
        HistoryKind::Sla => HistoryData::Sla(StoredSla::deserialize(data).map_err(corrupt)?.into()),
        HistoryKind::Action => {
            HistoryData::Action(StoredEffect::deserialize(data).map_err(corrupt)?.into())
        }
        HistoryKind::Admin => {
            HistoryData::Admin(StoredAdmin::deserialize(data).map_err(corrupt)?.into())
        }
    };
    Ok(decoded)
}

/// A `timer` line: `{"ignored": reason, "sla"?, "catch_up"?}` when what it
/// would have done was refused, else the event's data with `catch_up` for
/// a late firing.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum StoredTimerLine {
    Ignored {
        ignored: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sla: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        catch_up: Option<StoredCatchUp>,
    },
    Fired {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        catch_up: Option<StoredCatchUp>,
        #[serde(flatten)]
        data: Map<String, Json>,
    },
}

impl From<&HistoryData> for StoredTimerLine {
    fn from(data: &HistoryData) -> Self {
        match data {
            HistoryData::TimerIgnored {
                reason,
                sla,
                catch_up,
            } => StoredTimerLine::Ignored {
                ignored: reason.clone(),
                sla: sla.as_deref().map(str::to_owned),
                catch_up: catch_up.as_ref().map(StoredCatchUp::from),
            },
            other => StoredTimerLine::Fired {
                catch_up: other.catch_up().map(StoredCatchUp::from),
                data: other.event_data().cloned().unwrap_or_default(),
            },
        }
    }
}

impl TryFrom<StoredTimerLine> for HistoryData {
    type Error = StoreError;

    fn try_from(line: StoredTimerLine) -> Result<Self, StoreError> {
        Ok(match line {
            StoredTimerLine::Ignored {
                ignored,
                sla,
                catch_up,
            } => HistoryData::TimerIgnored {
                reason: ignored,
                sla: sla.map(Into::into),
                catch_up: catch_up.map(TryInto::try_into).transpose()?,
            },
            StoredTimerLine::Fired { catch_up, data } => HistoryData::TimerFired {
                data,
                catch_up: catch_up.map(TryInto::try_into).transpose()?,
            },
        })
    }
}

/// The note of a late firing; instants as RFC 3339 text in UTC.
#[derive(Debug, Serialize, Deserialize)]
struct StoredCatchUp {
    timer: String,
    slot: String,
    policy: StoredPolicy,
    next: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoredPolicy {
    Once,
    All,
    Skip,
}

impl From<&CatchUpNote> for StoredCatchUp {
    fn from(note: &CatchUpNote) -> Self {
        Self {
            timer: note.timer.to_string(),
            slot: instant_text(note.slot),
            policy: match note.policy {
                CatchUp::Once => StoredPolicy::Once,
                CatchUp::All => StoredPolicy::All,
                CatchUp::Skip => StoredPolicy::Skip,
            },
            next: note.next.map(instant_text),
        }
    }
}

impl TryFrom<StoredCatchUp> for CatchUpNote {
    type Error = StoreError;

    fn try_from(note: StoredCatchUp) -> Result<Self, StoreError> {
        Ok(Self {
            timer: note.timer.into(),
            slot: parse_instant(&note.slot)?,
            policy: match note.policy {
                StoredPolicy::Once => CatchUp::Once,
                StoredPolicy::All => CatchUp::All,
                StoredPolicy::Skip => CatchUp::Skip,
            },
            next: note.next.as_deref().map(parse_instant).transpose()?,
        })
    }
}

fn instant_text(at: Millis) -> String {
    jiff::Timestamp::from_millisecond(at).map_or_else(|_| at.to_string(), |t| t.to_string())
}

fn parse_instant(text: &str) -> Result<Millis, StoreError> {
    text.parse::<jiff::Timestamp>()
        .map(|at| at.as_millisecond())
        .map_err(|_| StoreError::Corrupt(format!("catch-up instant `{text}`")))
}

/// An `sla` line.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSla {
    sla: String,
    cycle: u32,
    outcome: StoredOutcome,
    role: Option<String>,
    due_at: Millis,
}

impl From<&SlaDecision> for StoredSla {
    fn from(decision: &SlaDecision) -> Self {
        Self {
            sla: decision.sla.to_string(),
            cycle: decision.cycle,
            outcome: decision.outcome.into(),
            role: decision.role.as_deref().map(str::to_owned),
            due_at: decision.due_at,
        }
    }
}

impl From<StoredSla> for SlaDecision {
    fn from(stored: StoredSla) -> Self {
        Self {
            sla: stored.sla.into(),
            cycle: stored.cycle,
            outcome: stored.outcome.into(),
            role: stored.role.map(Into::into),
            due_at: stored.due_at,
        }
    }
}

/// An `action` line, tagged by `action`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum StoredEffect {
    Notify {
        webhook: String,
        payload: Json,
    },
    Spawn {
        workflow: String,
        key: String,
        data: Map<String, Json>,
    },
    Send {
        workflow: String,
        key: String,
        event: String,
        data: Map<String, Json>,
        start: bool,
    },
}

impl From<&Effect> for StoredEffect {
    fn from(effect: &Effect) -> Self {
        match effect.clone() {
            Effect::Notify { webhook, payload } => StoredEffect::Notify { webhook, payload },
            Effect::Spawn {
                workflow,
                key,
                data,
            } => StoredEffect::Spawn {
                workflow,
                key,
                data,
            },
            Effect::Send {
                workflow,
                key,
                event,
                data,
                start,
            } => StoredEffect::Send {
                workflow,
                key,
                event,
                data,
                start,
            },
        }
    }
}

impl From<StoredEffect> for Effect {
    fn from(stored: StoredEffect) -> Self {
        match stored {
            StoredEffect::Notify { webhook, payload } => Effect::Notify { webhook, payload },
            StoredEffect::Spawn {
                workflow,
                key,
                data,
            } => Effect::Spawn {
                workflow,
                key,
                data,
            },
            StoredEffect::Send {
                workflow,
                key,
                event,
                data,
                start,
            } => Effect::Send {
                workflow,
                key,
                event,
                data,
                start,
            },
        }
    }
}

/// An `admin` line, tagged by `action`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum StoredAdmin {
    Cancel {
        reason: String,
    },
    Move {
        reason: String,
    },
    Retry {
        incidents_resolved: u64,
        deliveries_requeued: u64,
    },
    Migrate {
        migrated: MigratedVersions,
        #[serde(default)]
        filled: Vec<String>,
    },
}

/// `{"from": 1, "to": 2}` of a migration's `admin` line.
#[derive(Debug, Serialize, Deserialize)]
struct MigratedVersions {
    from: u32,
    to: u32,
}

impl From<&AdminChange> for StoredAdmin {
    fn from(change: &AdminChange) -> Self {
        match change.clone() {
            AdminChange::Cancel { reason } => StoredAdmin::Cancel { reason },
            AdminChange::Move { reason } => StoredAdmin::Move { reason },
            AdminChange::Retry {
                incidents_resolved,
                deliveries_requeued,
            } => StoredAdmin::Retry {
                incidents_resolved,
                deliveries_requeued,
            },
            AdminChange::Migrate {
                from_version,
                to_version,
                filled,
            } => StoredAdmin::Migrate {
                migrated: MigratedVersions {
                    from: from_version,
                    to: to_version,
                },
                filled,
            },
        }
    }
}

impl From<StoredAdmin> for AdminChange {
    fn from(stored: StoredAdmin) -> Self {
        match stored {
            StoredAdmin::Cancel { reason } => AdminChange::Cancel { reason },
            StoredAdmin::Move { reason } => AdminChange::Move { reason },
            StoredAdmin::Retry {
                incidents_resolved,
                deliveries_requeued,
            } => AdminChange::Retry {
                incidents_resolved,
                deliveries_requeued,
            },
            StoredAdmin::Migrate { migrated, filled } => AdminChange::Migrate {
                from_version: migrated.from,
                to_version: migrated.to,
                filled,
            },
        }
    }
}

/// Reads the `kind` column (written as [`HistoryKind::as_str`]).
pub(super) fn parse_kind(text: &str) -> Result<HistoryKind, StoreError> {
    HistoryKind::parse(text).ok_or_else(|| StoreError::Corrupt(format!("history kind `{text}`")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The stored form is the JSON history has always been written in:
    /// each of these is a row as an earlier version wrote it.
    #[test]
    fn rows_written_before_the_typed_records_read_back_and_encode_the_same() {
        let rows = [
            (HistoryKind::Created, json!({"level": 3})),
            (HistoryKind::Event, json!({})),
            (HistoryKind::Timer, json!({})),
            (
                HistoryKind::Timer,
                json!({"catch_up": {"timer": "sms", "slot": "2026-10-08T02:00:00Z",
                    "policy": "once", "next": "2026-11-01T02:00:00Z"}}),
            ),
            (
                HistoryKind::Timer,
                json!({"ignored": "event `x` is not allowed in state `y`", "sla": "response"}),
            ),
            (
                HistoryKind::Sla,
                json!({"sla": "response", "cycle": 2, "outcome": "missed", "role": null,
                    "due_at": 1_700_000_000_000_i64}),
            ),
            (
                HistoryKind::Action,
                json!({"action": "notify", "webhook": "crm", "payload": {"a": 1}}),
            ),
            (
                HistoryKind::Action,
                json!({"action": "send", "workflow": "w", "key": "k", "event": "e",
                    "data": {}, "start": true}),
            ),
            (
                HistoryKind::Admin,
                json!({"action": "move", "reason": "stuck"}),
            ),
            (
                HistoryKind::Admin,
                json!({"action": "retry", "incidents_resolved": 1, "deliveries_requeued": 2}),
            ),
            (
                HistoryKind::Admin,
                json!({"action": "migrate", "migrated": {"from": 1, "to": 2},
                    "filled": ["priority"]}),
            ),
        ];
        for (kind, row) in rows {
            let data = decode(kind, row.clone()).expect("decodes");
            assert_eq!(data.kind(), kind, "{row}");
            let Arg::Json(encoded) = encode(&data).expect("encodes") else {
                panic!("history data is a JSON argument");
            };
            let encoded: Json = serde_json::from_str(encoded.get()).unwrap();
            assert_eq!(encoded, row);
        }
    }

    #[test]
    fn a_line_that_is_not_of_its_kind_is_corrupt() {
        let error = decode(HistoryKind::Sla, json!({"sla": "response"})).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(_)), "{error}");
    }
}
