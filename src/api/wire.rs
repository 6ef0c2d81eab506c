//! The JSON the API speaks: request bodies and the views of engine and store
//! types. Only this module decides field names and time formats, so the
//! contract of api.md lives in one place and the OpenAPI document is derived
//! from the same types.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};
use utoipa::ToSchema;

use crate::accounts::{Account, Role};
use crate::audit::AuditEntry;
use crate::engine::{
    AdminChange, CatchUpNote, Effect, Fires, HistoryData, Instance, Millis, PendingTimer, SlaCycle,
    TransitionRecord,
};
use crate::model::Definition;
use crate::store::{HistoryRecord, Incident, TokenRow};

/// RFC 3339 in UTC with milliseconds, e.g. `2026-10-01T08:00:00.000Z`.
pub fn timestamp(millis: Millis) -> String {
    match jiff::Timestamp::from_millisecond(millis) {
        Ok(at) => at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        // Out of jiff's range (beyond year 9999): say so rather than lie.
        Err(_) => format!("invalid-time:{millis}"),
    }
}

/// `millis` on the wall clock of `zone`, RFC 3339 with the offset in force
/// then and milliseconds: `2026-10-20T14:00:00.000+08:00`.
pub fn local_timestamp(millis: Millis, zone: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(millis) {
        Ok(at) => at
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string(),
        Err(_) => format!("invalid-time:{millis}"),
    }
}

/// Parses an RFC 3339 instant (any offset) into epoch milliseconds.
pub fn parse_timestamp(text: &str) -> Option<Millis> {
    text.parse::<jiff::Timestamp>()
        .ok()
        .map(|at| at.as_millisecond())
}

/// An instance as every endpoint returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InstanceView {
    /// UUID v7.
    pub id: String,
    pub workflow: String,
    pub version: u32,
    pub key: String,
    pub state: String,
    /// `active`, `completed` or `cancelled`.
    pub status: String,
    #[schema(value_type = Object)]
    pub data: Map<String, Json>,
    pub created_at: String,
    pub updated_at: String,
    /// When the current state was entered.
    pub entered_at: String,
    pub timers: Vec<TimerView>,
    pub slas: Vec<SlaView>,
    /// Events the current state accepts (empty once the instance ended).
    pub allowed_events: Vec<String>,
    /// The open incident that needs a person, if any.
    pub incident: Option<IncidentView>,
}

/// A pending timer that will post an event. SLA deadlines are not listed
/// here: they show as `due_at` of the SLA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimerView {
    pub name: String,
    /// The real instant, UTC.
    pub due_at: String,
    /// The same instant on the wall clock of `zone`, with its offset, e.g.
    /// `2026-10-20T14:00:00.000+08:00`.
    pub due_local: String,
    /// The zone of `due_local`: the timer's calendar's or cron zone, else
    /// the configured zone (`time_zone` of `assessment.toml`, UTC unless set).
    pub zone: String,
    pub event: String,
}

/// A running SLA cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaView {
    pub name: String,
    pub cycle: u32,
    pub started_at: String,
    /// The real instant the cycle is due, UTC. While paused it stays where
    /// it was when the pause began; the pause moves it when it ends.
    pub due_at: String,
    /// `due_at` on the wall clock of `zone`, with its offset.
    pub due_local: String,
    /// The zone of the cycle's business calendar, else the configured zone.
    pub zone: String,
    /// The business calendar whose open hours the cycle counts; `null`:
    /// wall-clock time.
    pub calendar: Option<String>,
    pub paused: bool,
    /// `missed` once the deadline passed (the cycle stays until it stops).
    pub outcome: Option<String>,
}

/// An incident: something on the instance that needs a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentView {
    pub id: String,
    /// `timer`, `webhook`, `spawn`, `send` or `cascade`.
    pub kind: String,
    pub message: String,
    pub created_at: String,
}

impl From<&Incident> for IncidentView {
    fn from(incident: &Incident) -> Self {
        Self {
            id: incident.id.hyphenated().to_string(),
            kind: incident.kind.as_str().to_owned(),
            message: incident.message.clone(),
            created_at: timestamp(incident.created_at),
        }
    }
}

impl InstanceView {
    /// The view of `instance`; `definition` is the version it runs (for the
    /// allowed events and the zones of its timers and clocks),
    /// `default_zone` the configured zone, `incident` its open incident.
    pub fn new(
        instance: &Instance,
        definition: Option<&Definition>,
        default_zone: (&str, &TimeZone),
        incident: Option<IncidentView>,
    ) -> Self {
        let allowed_events = match (instance.status, definition) {
            (crate::engine::Status::Active, Some(definition)) => definition
                .allowed_events(&instance.state)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let timers = instance
            .timers
            .iter()
            .filter_map(|timer| TimerView::new(timer, definition, default_zone))
            .collect();
        let slas = instance
            .slas
            .iter()
            .filter(|cycle| cycle.stopped_at.is_none())
            .map(|cycle| SlaView::new(cycle, definition, default_zone))
            .collect();
        Self {
            id: instance.id.hyphenated().to_string(),
            workflow: instance.workflow.to_string(),
            version: instance.version,
            key: instance.key.to_string(),
            state: instance.state.to_string(),
            status: instance.status.as_str().to_owned(),
            data: instance.data.clone(),
            created_at: timestamp(instance.created_at),
            updated_at: timestamp(instance.updated_at),
            entered_at: timestamp(instance.entered_at),
            timers,
            slas,
            allowed_events,
            incident,
        }
    }
}

impl TimerView {
    /// The view of a timer that posts an event (`None` for SLA deadlines),
    /// its due instant shown in the zone it follows.
    fn new(
        timer: &PendingTimer,
        definition: Option<&Definition>,
        default_zone: (&str, &TimeZone),
    ) -> Option<Self> {
        let Fires::Event(event) = &timer.fires else {
            return None;
        };
        let declared = definition.and_then(|definition| definition.timers.get(timer.name.as_str()));
        let (zone_name, zone) = declared
            .and_then(|declared| declared.zone())
            .unwrap_or(default_zone);
        Some(Self {
            name: timer.name.to_string(),
            due_at: timestamp(timer.due_at),
            due_local: local_timestamp(timer.due_at, zone),
            zone: zone_name.to_owned(),
            event: event.to_string(),
        })
    }
}

impl SlaView {
    /// The view of an open cycle, its due instant shown in the zone of the
    /// calendar it counts in.
    fn new(
        cycle: &SlaCycle,
        definition: Option<&Definition>,
        default_zone: (&str, &TimeZone),
    ) -> Self {
        let calendar = cycle.calendar.as_deref().and_then(|name| {
            definition
                .and_then(|definition| definition.slas.get(cycle.sla.as_str())?.calendar(name))
        });
        let (zone_name, zone) = calendar.map_or(default_zone, |calendar| {
            (calendar.zone_name(), calendar.zone())
        });
        Self {
            name: cycle.sla.to_string(),
            cycle: cycle.cycle,
            started_at: timestamp(cycle.started_at),
            due_at: timestamp(cycle.due_at),
            due_local: local_timestamp(cycle.due_at, zone),
            zone: zone_name.to_owned(),
            calendar: cycle.calendar.as_deref().map(str::to_owned),
            paused: cycle.paused_at.is_some(),
            outcome: cycle.outcome.map(|outcome| outcome.as_str().to_owned()),
        }
    }
}

/// The state change an event caused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransitionView {
    pub event: String,
    pub from: String,
    pub to: String,
    pub at: String,
}

impl From<&TransitionRecord> for TransitionView {
    fn from(record: &TransitionRecord) -> Self {
        Self {
            event: record.event.to_string(),
            from: record.from.to_string(),
            to: record.to.to_string(),
            at: timestamp(record.at),
        }
    }
}

/// The answer to an event: the instance after it and what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventAnswer {
    pub instance: InstanceView,
    pub transition: Option<TransitionView>,
}

/// One line of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    pub seq: i64,
    pub at: String,
    /// `created`, `event`, `timer`, `sla`, `action` or `admin`.
    pub kind: String,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The token name, `timer`, or `workflow:<id>` for changes made by
    /// another instance.
    pub actor: String,
    /// Event data; for `sla`: `{"sla", "outcome", "role", …}`.
    #[schema(value_type = Object)]
    pub data: Json,
}

impl From<&HistoryRecord> for HistoryView {
    fn from(record: &HistoryRecord) -> Self {
        let entry = &record.entry;
        Self {
            seq: record.seq,
            at: timestamp(entry.at),
            kind: entry.kind().as_str().to_owned(),
            event: entry.event.as_deref().map(str::to_owned),
            from: entry.from.as_deref().map(str::to_owned),
            to: entry.to.as_deref().map(str::to_owned),
            actor: entry.actor.to_string(),
            data: history_data(&entry.data),
        }
    }
}

/// A history line's `data` as the API has always shown it: the event's
/// data (with `catch_up` for a late firing), `{"ignored", "sla"?}` for a
/// refused timer, the SLA outcome with `due_at` in RFC 3339, the action
/// tagged by `action`, the admin change tagged by `action`.
fn history_data(data: &HistoryData) -> Json {
    match data {
        HistoryData::Created(data) | HistoryData::Event(data) => Json::Object(data.clone()),
        HistoryData::TimerFired { data, catch_up } => {
            let mut data = data.clone();
            if let Some(note) = catch_up {
                data.insert("catch_up".to_owned(), catch_up_note(note));
            }
            Json::Object(data)
        }
        HistoryData::TimerIgnored {
            reason,
            sla,
            catch_up,
        } => {
            let mut data = Map::new();
            data.insert("ignored".to_owned(), json!(reason));
            if let Some(sla) = sla {
                data.insert("sla".to_owned(), json!(sla));
            }
            if let Some(note) = catch_up {
                data.insert("catch_up".to_owned(), catch_up_note(note));
            }
            Json::Object(data)
        }
        HistoryData::Sla(decision) => json!({
            "sla": decision.sla,
            "cycle": decision.cycle,
            "outcome": decision.outcome.as_str(),
            "role": decision.role,
            "due_at": timestamp(decision.due_at),
        }),
        HistoryData::Action(effect) => effect_data(effect),
        HistoryData::Admin(change) => match change {
            AdminChange::Cancel { reason } => json!({"action": "cancel", "reason": reason}),
            AdminChange::Move { reason } => json!({"action": "move", "reason": reason}),
            AdminChange::Retry {
                incidents_resolved,
                deliveries_requeued,
            } => json!({
                "action": "retry",
                "incidents_resolved": incidents_resolved,
                "deliveries_requeued": deliveries_requeued,
            }),
            AdminChange::Migrate {
                from_version,
                to_version,
                filled,
            } => json!({
                "action": "migrate",
                "migrated": {"from": from_version, "to": to_version},
                "filled": filled,
            }),
        },
    }
}

fn effect_data(effect: &Effect) -> Json {
    match effect {
        Effect::Notify { webhook, payload } => {
            json!({"action": "notify", "webhook": webhook, "payload": payload})
        }
        Effect::Spawn {
            workflow,
            key,
            data,
        } => json!({"action": "spawn", "workflow": workflow, "key": key, "data": data}),
        Effect::Send {
            workflow,
            key,
            event,
            data,
            start,
        } => json!({
            "action": "send",
            "workflow": workflow,
            "key": key,
            "event": event,
            "data": data,
            "start": start,
        }),
    }
}

/// Which slot a late firing stood for; instants in UTC as the workflow
/// format documents them (`2026-10-19T01:00:00Z`).
fn catch_up_note(note: &CatchUpNote) -> Json {
    let utc = |at: Millis| {
        jiff::Timestamp::from_millisecond(at).map_or_else(|_| at.to_string(), |t| t.to_string())
    };
    json!({
        "timer": note.timer,
        "slot": utc(note.slot),
        "policy": note.policy,
        "next": note.next.map(utc),
    })
}

/// `POST /v1/instances`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub workflow: String,
    /// The business key; unique among live instances of the workflow.
    pub key: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Map<String, Json>,
}

/// `POST …/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    pub event: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Map<String, Json>,
    /// A client event id: a repeated id returns the first answer and applies nothing.
    #[serde(default)]
    pub id: Option<String>,
}

/// `POST /v1/instances/{id}/cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: String,
}

/// `POST /v1/instances/{id}/move`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub to: String,
    pub reason: String,
}

/// A page of instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InstancePage {
    pub items: Vec<InstanceView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A stuck instance and why it is considered stuck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StuckView {
    pub instance: InstanceView,
    pub reasons: Vec<String>,
}

/// A loaded workflow, in the listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkflowSummary {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub start: String,
    pub states: Vec<String>,
}

impl From<&Definition> for WorkflowSummary {
    fn from(definition: &Definition) -> Self {
        Self {
            id: definition.id.clone(),
            version: definition.version,
            title: definition.title.clone(),
            start: definition.start.to_string(),
            states: definition.states.keys().cloned().collect(),
        }
    }
}

/// The clock the runtime runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockView {
    pub now: String,
    /// `true` under `serve --manual-clock`.
    pub manual: bool,
}

/// `POST /v1/admin/clock`: exactly one of `advance`, `set` or `jump`.
/// The schema's duration pattern is the common form within the 400-day
/// bound; the server also reads compound durations such as `"1h 30m"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub struct ClockRequest {
    /// A duration such as `"7d"`: time passes with the server running, and
    /// every timer fires at its own due time.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, pattern = r"^(([1-9][0-9]?|[1-3][0-9]{2}|400)d|[1-9][0-9]{0,2}h|[1-9][0-9]{0,4}m|[1-9][0-9]{0,6}s)$")]
    pub advance: Option<String>,
    /// An RFC 3339 instant, not before the current time (as `advance`).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, format = DateTime)]
    pub set: Option<String>,
    /// A duration such as `"3d"`: time passes as if the server had been
    /// down; then the timers due fire late, recurring ones once (catch-up).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = String, pattern = r"^(([1-9][0-9]?|[1-3][0-9]{2}|400)d|[1-9][0-9]{0,2}h|[1-9][0-9]{0,4}m|[1-9][0-9]{0,6}s)$")]
    pub jump: Option<String>,
}

/// `POST /v1/admin/tokens`. Without `account`, the token belongs to the
/// account named `name`, created with `role` (and `teams`, `title`,
/// `approval`) when it does not exist; with `account`, `name` is the
/// token's own name and `role` must be the account's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub name: String,
    pub role: Role,
    /// How long the token lives, e.g. `"30d"`; none for no expiry.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = r"^[1-9][0-9]{0,5}(s|m|h|d)$")]
    pub expires_in: Option<String>,
    /// The existing account the token belongs to.
    #[serde(default)]
    pub account: Option<String>,
    /// For an account created here: its teams.
    #[serde(default)]
    pub teams: Vec<String>,
    /// For an account created here: its display name (default: `name`).
    #[serde(default)]
    pub title: Option<String>,
    /// For a vendor account created here: who approved it, and the reference.
    #[serde(default)]
    pub approval: Option<String>,
}

/// `POST /v1/admin/accounts/{name}/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountTokenRequest {
    /// The token's name, e.g. `ci`.
    pub name: String,
    /// How long it lives, e.g. `"30d"`; none for no expiry.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = r"^[1-9][0-9]{0,5}(s|m|h|d)$")]
    pub expires_in: Option<String>,
}

/// An issued token, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    /// The token's own name.
    pub name: String,
    /// Its account's role when it was issued; the token has the account's
    /// rights as they are now.
    pub role: String,
    /// The account it belongs to.
    pub account: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// The admin who issued it.
    pub approved_by: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&TokenRow> for TokenView {
    fn from(row: &TokenRow) -> Self {
        Self {
            id: row.id.clone(),
            name: row.name.clone(),
            role: row.role.clone(),
            account: row.account.clone(),
            created_at: timestamp(row.created_at),
            expires_at: row.expires_at.map(timestamp),
            approved_by: row.approved_by.clone(),
            revoked_at: row.revoked_at.map(timestamp),
        }
    }
}

/// A newly issued token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

/// An account as the API shows it (never its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    pub name: String,
    pub role: Role,
    /// The workflow role names it works for.
    pub teams: Vec<String>,
    pub title: String,
    pub expires_at: Option<String>,
    /// The written confirmation a vendor account was opened on.
    pub approval: Option<String>,
    /// Opened in an emergency without approval (disabled automatically
    /// unless the approval is added within the grace).
    pub emergency: bool,
    pub disabled_at: Option<String>,
    /// When it last signed in or used a token (updated at most hourly).
    pub last_seen_at: Option<String>,
    pub created_at: String,
    pub created_by: String,
    /// Whether it can sign in with a password (services cannot).
    pub has_password: bool,
}

impl From<&Account> for AccountView {
    fn from(account: &Account) -> Self {
        Self {
            name: account.name.to_string(),
            role: account.role,
            teams: account.teams.clone(),
            title: account.title.clone(),
            expires_at: account.expires_at.map(timestamp),
            approval: account.approval.clone(),
            emergency: account.emergency,
            disabled_at: account.disabled_at.map(timestamp),
            last_seen_at: account.last_seen_at.map(timestamp),
            created_at: timestamp(account.created_at),
            created_by: account.created_by.clone(),
            has_password: account.password.is_some(),
        }
    }
}

/// `POST /v1/admin/accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRequest {
    /// 2 to 64 of `a-z`, `0-9`, `.`, `_`, `-`.
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub teams: Vec<String>,
    /// Display name (default: `name`).
    #[serde(default)]
    pub title: Option<String>,
    /// At least 6 characters from two of letters, digits, others.
    #[serde(default)]
    pub password: Option<String>,
    /// RFC 3339; vendors need one within `accounts.vendor_max`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub approval: Option<String>,
    /// A vendor account opened before its approval (see `approval`).
    #[serde(default)]
    pub emergency: bool,
}

/// `PATCH /v1/admin/accounts/{name}`: only the fields given change;
/// `expires_at` and `approval` take `null` to clear them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub teams: Option<Vec<String>>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub approval: Option<Option<String>>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// A field that may be left out but, when sent, is not `null`: the
/// clock's body has exactly one member, and `null` is not a value.
fn not_null<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    String::deserialize(deserializer).map(Some)
}

/// A field that was sent, possibly as `null` (`Some(None)`), apart from
/// one that was not (`None`, via `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `POST /v1/sessions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub name: String,
    pub password: String,
}

/// A new session: the bearer token (shown once), when it expires, and
/// whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub token: String,
    pub expires_at: String,
    pub account: AccountView,
}

/// One audit entry. `hash` chains it to the entry before (docs/security.md
/// shows how to recompute it from this very JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: Json,
    pub remote_addr: Option<String>,
    pub hash: String,
}

impl From<&AuditEntry> for AuditEntryView {
    fn from(entry: &AuditEntry) -> Self {
        Self {
            seq: entry.seq,
            at: crate::audit::rfc3339(entry.at),
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            detail: entry.detail.clone(),
            remote_addr: entry.remote_addr.clone(),
            hash: entry.hash.clone(),
        }
    }
}

/// A page of the audit log, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditPageView {
    pub items: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        assert_eq!(timestamp(1_790_841_600_000), "2026-10-01T08:00:00.000Z");
        assert_eq!(timestamp(1_790_841_600_123), "2026-10-01T08:00:00.123Z");
        assert_eq!(
            parse_timestamp("2026-10-01T16:00:00+08:00"),
            Some(1_790_841_600_000)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
