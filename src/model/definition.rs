//! The compiled, validated workflow: what the engine runs.
//!
//! A [`Definition`] only comes out of [`crate::model::load_str`] (or the
//! functions built on it), so holding one means every state name resolves,
//! every expression compiled and every duration parsed. It is immutable and
//! shared behind an `Arc`; a new file version is a new `Definition`.

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value as Json;

pub use super::raw::FieldKind;
use super::{Duration, Expr, Name};
use jiff::tz::TimeZone;

use crate::calendar::{Calendar, CatchUp, CronSchedule};

/// The definition's maps by name. FxHash rather than the standard SipHash:
/// the engine looks names up in them on every step (a third of a step's
/// time went into hashing), and their keys come from the workflow file,
/// never from a request, so there is nothing for an attacker to flood.
pub type NameMap<V> = IndexMap<String, V, rustc_hash::FxBuildHasher>;

/// A loaded workflow version.
#[derive(Debug, Clone)]
pub struct Definition {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub description: Option<String>,
    pub key_title: Option<String>,
    pub start: Name,
    pub data: NameMap<Field>,
    pub states: NameMap<State>,
    pub events: NameMap<Event>,
    pub timers: NameMap<Timer>,
    pub slas: NameMap<Sla>,
    /// The file text it was compiled from, and its SHA-256: the store keeps
    /// every version by hash so a running instance keeps its own.
    pub source: SourceText,
}

/// The text of a workflow file and its content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    pub text: String,
    /// Lower-case hex SHA-256 of `text`.
    pub hash: String,
}

/// A declared field of the instance data or of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub kind: FieldKind,
    pub title: Option<String>,
    pub required: bool,
    pub default: Option<Json>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub values: Vec<String>,
}

/// Who is responsible in a state, or who an SLA outcome counts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Fixed(Name),
    /// The role is the current value of this data field.
    Field(String),
}

impl Role {
    /// The role name on an instance with `data`: a fixed name, or the
    /// field's value (text as it is, other values as JSON). `None` when the
    /// field is absent or null.
    pub fn resolve(&self, data: &serde_json::Map<String, Json>) -> Option<Name> {
        match self {
            Role::Fixed(name) => Some(name.clone()),
            Role::Field(field) => match data.get(field)? {
                Json::Null => None,
                Json::String(text) => Some(Name::from(text)),
                other => Some(Name::from(other.to_string())),
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: Name,
    pub title: Option<String>,
    pub role: Option<Role>,
    pub terminal: bool,
    pub stuck_after: Option<Duration>,
    /// Event name → transitions, tried in order.
    pub on: NameMap<Vec<Transition>>,
    /// Eventless transitions, tried in order after every change.
    pub always: Vec<Transition>,
    pub on_enter: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// `None` is "otherwise".
    pub guard: Option<Expr>,
    /// `None` stays in the current state without re-entering it.
    pub to: Option<Name>,
    /// Field → expression, evaluated against the data before the transition.
    pub set: Vec<(String, Expr)>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub title: Option<String>,
    pub global: bool,
    /// A global event still accepted (to record) once the instance ended.
    pub after_end: bool,
    /// Account roles and team names allowed to post it (admins always may);
    /// empty: the current state's role decides.
    pub by: Vec<String>,
    pub fields: NameMap<Field>,
    pub merge: bool,
    /// For a global event: used in states with no `on` entry for it.
    pub transitions: Vec<Transition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Once, this long after the timer started.
    After(Duration),
    /// Repeatedly, with this period.
    Every(Duration),
    /// At the slots of a cron pattern in a zone (only on a calendar's open
    /// days when it has one). Boxed: a compiled pattern is large.
    Cron(Box<CronSchedule>),
    /// Once, at the instant the expression gives when the timer starts.
    At(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub name: Name,
    pub schedule: Schedule,
    pub event: Name,
    /// Empty: an instance timer, from creation until the instance ends.
    pub states: Vec<String>,
    /// `After` and `Every` count this calendar's open time; `None` counts
    /// wall-clock time. (A `Cron` schedule carries its own.)
    pub calendar: Option<Arc<Calendar>>,
    /// What a recurring timer found late does.
    pub catch_up: CatchUp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sla {
    pub name: Name,
    /// The name of its deadline timer, `sla:<name>`, made once here rather
    /// than spelled out on every step that schedules or cancels it.
    pub deadline_timer: Name,
    pub title: Option<String>,
    pub start: Vec<String>,
    pub stop: Vec<String>,
    pub stop_events: Vec<String>,
    pub pause: Vec<String>,
    /// Tried in order when a cycle starts; the last has no condition.
    pub within: Vec<Within>,
    pub role: Option<Role>,
    pub on_breach: Option<Name>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Within {
    pub when: Option<Expr>,
    pub duration: Duration,
    /// The calendar whose open time counts (the case's, else the clock's);
    /// `None` counts wall-clock time.
    pub calendar: Option<Arc<Calendar>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Notify {
        webhook: String,
        /// Empty: the default payload (instance id, workflow, key, state, data).
        payload: Vec<(String, Expr)>,
    },
    Spawn {
        workflow: String,
        key: Expr,
        data: Vec<(String, Expr)>,
    },
    Send {
        workflow: String,
        key: Expr,
        event: String,
        data: Vec<(String, Expr)>,
        start: bool,
    },
}

impl Timer {
    /// The zone whose wall clock the timer follows: its calendar's, or its
    /// cron pattern's; `None` when it only counts elapsed time.
    pub fn zone(&self) -> Option<(&str, &TimeZone)> {
        if let Some(calendar) = &self.calendar {
            return Some((calendar.zone_name(), calendar.zone()));
        }
        match &self.schedule {
            Schedule::Cron(cron) => Some((cron.zone_name(), cron.zone())),
            _ => None,
        }
    }
}

impl Sla {
    /// The calendar called `name` among the clock's cases: the one a cycle
    /// started with (cycles record the name).
    pub fn calendar(&self, name: &str) -> Option<&Arc<Calendar>> {
        self.within
            .iter()
            .filter_map(|case| case.calendar.as_ref())
            .find(|calendar| calendar.name() == name)
    }
}

impl Definition {
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }

    /// The transitions `event` may take in `state`: the state's own, else the
    /// global event's. `None` when the event is not accepted there.
    pub fn transitions(&self, state: &str, event: &str) -> Option<&[Transition]> {
        if let Some(transitions) = self.states.get(state)?.on.get(event) {
            return Some(transitions);
        }
        let global = self.events.get(event).filter(|event| event.global)?;
        Some(&global.transitions)
    }

    /// The events accepted in `state`, in declaration order. In a terminal
    /// state only the events accepted after the end are.
    pub fn allowed_events(&self, state: &str) -> Vec<&str> {
        let Some(current) = self.states.get(state) else {
            return Vec::new();
        };
        if current.terminal {
            return self.events_after_end();
        }
        let mut allowed: Vec<&str> = current.on.keys().map(String::as_str).collect();
        for event in self.events.values().filter(|event| event.global) {
            if !current.on.contains_key(&event.name) {
                allowed.push(&event.name);
            }
        }
        allowed
    }

    /// The events an ended instance still accepts (to record them): global
    /// events marked `after_end`, in declaration order.
    pub fn events_after_end(&self) -> Vec<&str> {
        self.events
            .values()
            .filter(|event| self.accepts_after_end(&event.name))
            .map(|event| event.name.as_str())
            .collect()
    }

    /// Whether an ended instance accepts `event`: a global event marked
    /// `after_end`. (The loader refuses `after_end` on an event that could
    /// move the instance, so such an event only records.)
    pub fn accepts_after_end(&self, event: &str) -> bool {
        self.events
            .get(event)
            .is_some_and(|event| event.global && event.after_end)
    }
}
