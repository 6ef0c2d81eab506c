//! The workflow file exactly as a process owner writes it.
//!
//! These types are the single source of the format: serde reads the TOML
//! into them and schemars derives the JSON Schema from them, so the schema
//! that editors use can never drift from what the loader accepts. Nothing
//! here is checked beyond its shape; `compile` turns a [`WorkflowFile`] into
//! a validated [`crate::model::Definition`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One workflow: `workflows/<id>.toml`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowFile {
    /// The workflow's id, used in URLs and by other workflows. Lower-case
    /// letters, digits and `_`; the file name should match it.
    pub id: String,
    /// A positive number the process owner raises on every change. Running
    /// instances keep the version they started with.
    pub version: u32,
    /// A human title, e.g. `IT 服務檯工單`.
    pub title: String,
    /// Longer prose for people reading the file or the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The state every new instance starts in.
    pub start: String,
    /// What the business key of an instance is (ticket number, order id…);
    /// documentation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The instance data fields, by name.
    #[serde(default)]
    pub data: IndexMap<String, FieldSpec>,
    /// The states, by name.
    pub states: IndexMap<String, StateSpec>,
    /// Every event the workflow accepts, by name, with the fields it carries.
    #[serde(default)]
    pub events: IndexMap<String, EventSpec>,
    /// Timers, by name: fire an event after a delay or on a period.
    #[serde(default)]
    pub timers: IndexMap<String, TimerSpec>,
    /// SLA clocks, by name: deadlines whose outcomes feed the assessment.
    #[serde(default)]
    pub slas: IndexMap<String, SlaSpec>,
}

/// A declared data field, of the instance or of an event.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The value's type.
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// A human title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The value must be given (when the instance is created, or with the event).
    #[serde(default)]
    pub required: bool,
    /// The value used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Smallest allowed value (integer, number) or length (string, list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value (integer, number) or length (string, list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The allowed values of an `enum` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// The types a field can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// UTF-8 text.
    String,
    /// A whole number (64-bit).
    Integer,
    /// A number; integers are accepted and stored as numbers.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A list of values of any type.
    List,
    /// One of the strings listed in `values`.
    Enum,
}

impl FieldKind {
    /// The kind as messages name a value of it: "an integer", "an enum".
    pub fn with_article(self) -> &'static str {
        match self {
            FieldKind::String => "a string",
            FieldKind::Integer => "an integer",
            FieldKind::Number => "a number",
            FieldKind::Boolean => "a boolean",
            FieldKind::List => "a list",
            FieldKind::Enum => "an enum",
        }
    }
}

/// A state of the workflow.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateSpec {
    /// A human title, e.g. `問題分派`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Who is responsible while an instance is here: a role name, or
    /// `{ field = "group" }` to take it from a data field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleSpec>,
    /// An instance that reaches a terminal state has ended.
    #[serde(default)]
    pub terminal: bool,
    /// An instance idle here longer than this is listed as stuck, e.g. `"2d"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stuck_after: Option<String>,
    /// What each event does in this state: a target state name, one
    /// transition, or a list of guarded transitions (first match wins).
    #[serde(default)]
    pub on: IndexMap<String, TransitionsSpec>,
    /// Eventless transitions, checked after every change (first match wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub always: Vec<TransitionSpec>,
    /// Actions performed every time an instance enters this state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_enter: Vec<ActionSpec>,
}

/// A role: fixed, or read from a data field when it is needed.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RoleSpec {
    /// A fixed role name, e.g. `"service_desk"`.
    Fixed(String),
    /// The role is the value of this data field, e.g. `{ field = "group" }`.
    Field(RoleField),
}

/// The data field a role is read from.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleField {
    /// The data field holding the role name.
    pub field: String,
}

/// The transitions of one event in one state.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum TransitionsSpec {
    /// Shorthand: go to this state.
    Target(String),
    /// Guarded transitions, tried in order; the first whose `when` holds wins.
    Many(Vec<TransitionSpec>),
    /// A single transition.
    One(TransitionSpec),
}

/// One transition.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionSpec {
    /// A CEL guard over `data`, `event`, `key` and `state`; no guard means
    /// "otherwise".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The target state. Without it the instance stays where it is and no
    /// entry actions, timers or SLA starts run again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Data updates: field name → CEL expression, all evaluated against the
    /// data as it was before this transition.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub set: IndexMap<String, String>,
    /// Actions performed when this transition is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionSpec>,
}

/// An event the workflow accepts.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// A human title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Accepted in every live state. On an ended instance only when
    /// `after_end` is set too.
    #[serde(default)]
    pub global: bool,
    /// A global event that is still accepted once the instance has ended
    /// (where it can only record), e.g. a customer's complaint after the
    /// ticket closed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_end: bool,
    /// Who may post the event: account roles (`admin`, `operator`,
    /// `service`, `viewer`, `vendor`) and/or team names, any one of which
    /// suffices; admins always may. Without it, the role of the state the
    /// instance is in decides (see docs/security.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    /// The fields the event carries.
    #[serde(default)]
    pub fields: IndexMap<String, FieldSpec>,
    /// Merge the event's fields into the instance data (the default).
    #[serde(default = "yes")]
    pub merge: bool,
    /// For a global event: what it does in states that do not handle it
    /// themselves. Empty means it only records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<TransitionSpec>,
}

fn yes() -> bool {
    true
}

/// A timer: fires `event` after a delay, every period, at the slots of a
/// cron pattern, or at an instant computed from the data. Exactly one of
/// `after`, `every`, `cron` and `at`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimerSpec {
    /// Fire once, this long after the instance entered `states` (or was
    /// created, when `states` is empty), e.g. `"30m"`. With `calendar`,
    /// counted in open time (a day is a normal working day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Fire repeatedly with this period, e.g. `"7d"`; with `calendar`,
    /// counted in open time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// Fire at the slots of a cron pattern (5 fields, or 6 with seconds
    /// first) on the wall clock of `zone` or `calendar`, e.g.
    /// `"0 9 * * *"` (09:00 every day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// Fire once at the instant a CEL expression gives: an RFC 3339 string
    /// or a CEL timestamp, e.g. `"data.appointment"`. `null` starts no timer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The IANA time zone of a `cron` pattern, e.g. `"Asia/Shanghai"`;
    /// default: the `time_zone` of `assessment.toml`, else UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// A calendar of `calendars.toml`: `after` and `every` count its open
    /// time, `cron` slots fall only on its open days, in its zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// For `every` and `cron`: what a timer found more than one period late
    /// (after downtime) does: fire `"once"` (the default), `"all"` missed
    /// slots, or `"skip"` them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up: Option<crate::calendar::CatchUp>,
    /// The event the timer posts.
    pub event: String,
    /// The timer runs while the instance is in one of these states, and is
    /// cancelled when it leaves them. Empty: an instance timer that runs from
    /// creation until the instance ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
}

/// An SLA clock.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaSpec {
    /// A human title, e.g. `及時處理`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Entering one of these states starts a cycle (when none is running).
    pub start: Vec<String>,
    /// Entering one of these states stops the running cycle.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Accepting one of these events stops the running cycle.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_events: Vec<String>,
    /// Time spent in these states does not count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pause: Vec<String>,
    /// How long a cycle may run: a duration, or a list of
    /// `{ when, duration }` cases tried in order when the cycle starts.
    pub within: WithinSpec,
    /// A calendar of `calendars.toml` whose open hours alone count towards
    /// `within` (a day is a normal working day); default: wall-clock time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Who an outcome counts for; defaults to the role of the state the
    /// instance is in at the moment of the outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleSpec>,
    /// An event posted to the instance when a cycle is missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_breach: Option<String>,
}

/// The duration of an SLA clock.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum WithinSpec {
    /// A fixed duration, e.g. `"10m"`.
    Fixed(String),
    /// Cases tried in order when a cycle starts; the first whose `when`
    /// holds gives the duration. The last case should have no `when`.
    Cases(Vec<WithinCase>),
}

/// One case of an SLA duration.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithinCase {
    /// A CEL condition over `data`; absent means "otherwise".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The duration when this case applies.
    pub duration: String,
    /// The calendar of this case, instead of the clock's `calendar`
    /// (`"always"` for wall-clock time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

/// Something the engine does besides changing state.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionSpec {
    /// POST to a webhook configured by name.
    Notify(NotifySpec),
    /// Start an instance of another workflow.
    Spawn(SpawnSpec),
    /// Post an event to another workflow's instance, found by key.
    Send(SendSpec),
}

/// A webhook notification.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifySpec {
    /// The webhook's name, e.g. `"reminder"`; its URL is configuration.
    pub webhook: String,
    /// The JSON payload: member name → CEL expression. Without it the
    /// payload is the instance id, workflow, key, state and data.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub payload: IndexMap<String, String>,
}

/// Starting an instance of another workflow.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpawnSpec {
    /// The workflow to start.
    pub workflow: String,
    /// A CEL expression giving the new instance's business key.
    pub key: String,
    /// The new instance's data: field name → CEL expression.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub data: IndexMap<String, String>,
}

/// Posting an event to another instance.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendSpec {
    /// The target instance's workflow.
    pub workflow: String,
    /// A CEL expression giving the target's business key.
    pub key: String,
    /// The event to post.
    pub event: String,
    /// The event's data: field name → CEL expression.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub data: IndexMap<String, String>,
    /// Start the target (with no data) when no live instance has the key.
    #[serde(default)]
    pub start: bool,
}
