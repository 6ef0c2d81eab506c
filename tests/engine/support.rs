//! Helpers shared by the engine tests: loading inline definitions and
//! driving instances through the pure engine functions.

use std::collections::BTreeMap;
use std::path::Path;

use flowkeeper::engine::{
    self, CreateInput, EventInput, Instance, Millis, Outcome, PendingTimer, Rejection,
};
use flowkeeper::model::{self, Definition};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

/// 2026-01-01T00:00:00Z: the instant every test instance is created at.
pub const T0: Millis = 1_767_225_600_000;
pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;

pub fn load(text: &str) -> Definition {
    model::load_str(Path::new("test.toml"), text)
        .unwrap_or_else(|diagnostics| panic!("test definition does not load: {diagnostics:?}"))
}

pub fn object(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("expected a JSON object, got {other}"),
    }
}

pub fn try_create(definition: &Definition, data: Json) -> Result<Outcome, Rejection> {
    let input = CreateInput {
        id: Uuid::now_v7(),
        key: "K-1".into(),
        data: object(data),
        actor: "tester".into(),
    };
    engine::create(definition, input, T0)
}

pub fn create(definition: &Definition, data: Json) -> Outcome {
    let outcome = try_create(definition, data).expect("create is accepted");
    assert_timers_consistent(&[], &outcome);
    outcome
}

pub fn try_post(
    definition: &Definition,
    instance: &Instance,
    event: &str,
    data: Json,
    now: Millis,
) -> Result<Outcome, Rejection> {
    let input = EventInput {
        name: event.into(),
        data: object(data),
        actor: "tester".into(),
    };
    engine::apply(definition, instance.clone(), &input, now)
}

pub fn post(
    definition: &Definition,
    instance: &Instance,
    event: &str,
    data: Json,
    now: Millis,
) -> Outcome {
    let outcome = try_post(definition, instance, event, data, now)
        .unwrap_or_else(|rejection| panic!("`{event}` was refused: {rejection:?}"));
    assert_timers_consistent(&instance.timers, &outcome);
    outcome
}

pub fn fire(definition: &Definition, instance: &Instance, timer: &str, now: Millis) -> Outcome {
    let outcome = engine::fire_timer(definition, instance, timer, now)
        .unwrap_or_else(|rejection| panic!("timer `{timer}` failed: {rejection:?}"));
    assert_timers_consistent(&instance.timers, &outcome);
    outcome
}

pub fn timer<'a>(instance: &'a Instance, name: &str) -> Option<&'a PendingTimer> {
    instance.timers.iter().find(|timer| timer.name == name)
}

pub fn due(instance: &Instance, name: &str) -> Millis {
    timer(instance, name)
        .unwrap_or_else(|| panic!("no pending timer `{name}` in {:?}", instance.timers))
        .due_at
}

/// Applying `timers_cancelled` then `timers_set` to the timers before the
/// step gives exactly the timers after it: what the store does.
pub fn assert_timers_consistent(before: &[PendingTimer], outcome: &Outcome) {
    let mut stored: BTreeMap<&str, &PendingTimer> = before
        .iter()
        .map(|timer| (timer.name.as_str(), timer))
        .collect();
    for name in &outcome.timers_cancelled {
        stored.remove(name.as_str());
    }
    for timer in &outcome.timers_set {
        stored.insert(&timer.name, timer);
    }
    let after: BTreeMap<&str, &PendingTimer> = outcome
        .instance
        .timers
        .iter()
        .map(|timer| (timer.name.as_str(), timer))
        .collect();
    assert_eq!(stored, after, "timer changes disagree with the instance");
    assert_eq!(
        after.len(),
        outcome.instance.timers.len(),
        "duplicate timer names"
    );
}
