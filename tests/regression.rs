//! One test per bug fixed, named after what broke, so that a bug that
//! comes back fails a test that says which one. Store-touching tests run on
//! SQLite and, when `FLOWKEEPER_TEST_DATABASE_URL` is set, PostgreSQL.

#[path = "runtime/support.rs"]
#[allow(dead_code)]
mod support;

use flowkeeper::engine::{
    self, AccountName, Actor, CreateInput, EventInput, HistoryData, Instance, Millis, NameError,
};
use flowkeeper::model::Definition;
use flowkeeper::runtime::Target;
use flowkeeper::store::Store;
use serde_json::{Map, json};
use uuid::Uuid;

use support::{DAY, START, TICKET_V1, actor, data, definition, harness};

/// Declares each `async fn(Store)` as `<name>::sqlite` and `<name>::postgres`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = crate::support::sqlite().await;
                    super::$name(db.store.clone()).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(db) = crate::support::postgres().await else {
                        eprintln!("skipped: FLOWKEEPER_TEST_DATABASE_URL is not set");
                        return;
                    };
                    super::$name(db.store.clone()).await;
                    db.drop_schema().await;
                }
            }
        )*
    };
}

on_both!(
    an_event_id_posted_by_key_then_by_id_applies_once,
    ids_follow_the_manual_clock_not_wall_time,
);

/// b58edd2: the idempotency scope was the target as written, so the same
/// event id posted by business key and then by instance id applied twice.
async fn an_event_id_posted_by_key_then_by_id_applies_once(store: Store) {
    let h = harness(store).await;
    let svc = actor("svc");
    let created = h
        .runtime
        .create("ticket", "T-1", Map::new(), &svc, None)
        .await
        .unwrap();
    let by_key = Target::Key {
        workflow: "ticket".to_owned(),
        key: "T-1".to_owned(),
    };
    let first = h
        .runtime
        .post_event(&by_key, "bump", Map::new(), &svc, Some("e-1"))
        .await
        .unwrap();
    let again = h
        .runtime
        .post_event(
            &Target::Id(created.id),
            "bump",
            Map::new(),
            &svc,
            Some("e-1"),
        )
        .await
        .unwrap();
    assert_eq!(again.instance, first.instance, "the first answer");
    let stored = h.store.get_instance(created.id).await.unwrap().unwrap();
    assert_eq!(stored.data["count"], json!(1), "applied once");
    let bumps = h
        .store
        .history(created.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|record| record.entry.event.as_deref() == Some("bump"))
        .count();
    assert_eq!(bumps, 1);
}

/// Issue 9: ids came from `Uuid::now_v7()`, the system clock, so under a
/// manual clock they followed wall time instead of the instance's time.
async fn ids_follow_the_manual_clock_not_wall_time(store: Store) {
    let h = harness(store).await;
    let svc = actor("svc");
    let first = h
        .runtime
        .create("ticket", "T-1", Map::new(), &svc, None)
        .await
        .unwrap();
    h.clock.advance(3 * DAY);
    let later = h
        .runtime
        .create("ticket", "T-2", Map::new(), &svc, None)
        .await
        .unwrap();
    assert_eq!(id_millis(first.id), START);
    assert_eq!(id_millis(later.id), START + 3 * DAY);
}

/// The instant a UUID v7 was made for, in epoch milliseconds.
fn id_millis(id: Uuid) -> Millis {
    let (seconds, nanos) = id.get_timestamp().expect("a v7 id").to_unix();
    i64::try_from(seconds).unwrap() * 1_000 + i64::from(nanos / 1_000_000)
}

/// Issue 9: a timer the runtime could not fire was deleted in a commit
/// that left no history line; now the engine drops it with a `timer` line
/// saying why.
#[test]
fn a_timer_that_cannot_fire_is_dropped_with_a_history_line() {
    let ticket = definition(TICKET_V1);
    let created = create(&ticket, json!({}));
    let waiting = apply(&ticket, &created, "wait", json!({}));
    assert!(waiting.timers.iter().any(|timer| timer.name == "reminder"));
    let reason = "the definition has no such timer any more";
    let dropped = engine::drop_timer(&ticket, &waiting, "reminder", reason, START + DAY);
    assert!(dropped.instance.timers.is_empty());
    assert_eq!(dropped.timers_cancelled, ["reminder"]);
    let [line] = dropped.history.as_slice() else {
        panic!("one line: {:?}", dropped.history);
    };
    assert_eq!(line.event.as_deref(), Some("remind"));
    assert_eq!(line.actor, "timer");
    assert_eq!(line.data.ignored(), Some(reason));
}

/// Issue 9: system actors were plain strings, so an account named `timer`
/// could not be told apart from a timer in history.
#[test]
fn an_account_cannot_take_a_system_actors_name() {
    for system in ["timer", "sla", "engine"] {
        assert!(
            matches!(AccountName::parse(system), Err(NameError::Reserved(_))),
            "{system}"
        );
    }
    assert!(AccountName::parse("workflow:ticket").is_err());
    assert_eq!(Actor::parse("timer").unwrap(), Actor::Timer);
    assert_eq!(
        Actor::parse("workflow:ticket").unwrap(),
        Actor::Workflow("ticket".to_owned())
    );
    assert_eq!(Actor::parse("timer-ops").unwrap(), actor("timer-ops"));
}

/// 1a01bc1: a `number` field's default `0` was kept as an integer, and CEL
/// refuses `int + double`, so the first `set` on it failed.
#[test]
fn a_number_default_takes_fractional_arithmetic() {
    let tally = definition(
        r#"
id = "tally"
version = 1
title = "Tally"
start = "open"

[data.total]
type = "number"
default = 0

[states.open]
on.add = { set = { total = "data.total + 1.5" } }
on.close = "closed"

[states.closed]
terminal = true

[events.add]
[events.close]
"#,
    );
    let created = create(&tally, json!({}));
    let added = apply(&tally, &created, "add", json!({}));
    assert_eq!(added.data["total"], json!(1.5));
}

/// Issue 9: history data was untyped JSON read by key, so an `sla` line
/// missing a key was skipped silently; now the line is a typed record
/// whose every field the engine fills.
#[test]
fn an_sla_outcome_line_carries_its_clock_cycle_and_role() {
    let desk = definition(
        r#"
id = "desk"
version = 1
title = "Desk"
start = "open"

[states.open]
role = "service_desk"
on.done = "closed"

[states.closed]
terminal = true

[events.done]

[slas.response]
start = ["open"]
stop = ["closed"]
within = "1h"
"#,
    );
    let created = create(&desk, json!({}));
    let done = engine::apply(
        &desk,
        created.clone(),
        &event("done", json!({})),
        START + 60_000,
    )
    .unwrap();
    let decisions: Vec<_> = done
        .history
        .iter()
        .filter_map(|line| match &line.data {
            HistoryData::Sla(decision) => Some(decision.clone()),
            _ => None,
        })
        .collect();
    let [decision] = decisions.as_slice() else {
        panic!("one SLA line: {:?}", done.history);
    };
    assert_eq!(
        (
            decision.sla.as_str(),
            decision.cycle,
            decision.outcome.as_str()
        ),
        ("response", 1, "met")
    );
    assert_eq!(decision.role.as_deref(), Some("service_desk"));
    assert_eq!(decision.due_at, START + 3_600_000);
}

fn create(definition: &Definition, value: serde_json::Value) -> Instance {
    let input = CreateInput {
        id: Uuid::nil(),
        key: "K-1".into(),
        data: data(value),
        actor: "tester".into(),
    };
    engine::create(definition, input, START).unwrap().instance
}

fn apply(
    definition: &Definition,
    instance: &Instance,
    name: &str,
    value: serde_json::Value,
) -> Instance {
    engine::apply(definition, instance.clone(), &event(name, value), START + 1)
        .unwrap()
        .instance
}

fn event(name: &str, value: serde_json::Value) -> EventInput {
    EventInput {
        name: name.into(),
        data: data(value),
        actor: "tester".into(),
    }
}
