//! Crash safety with real processes: a driver is SIGKILLed in the middle of
//! a stream of events (or of firing timers), another is started, and the
//! database must show every acknowledged event applied exactly once and
//! every timer fired exactly once.

use std::collections::BTreeMap;

use flowkeeper::engine::HistoryKind;
use flowkeeper::store::Store;
use serde_json::json;

use crate::driver::{Driver, fired};
use crate::support::TestDb;

on_both_db!(
    killed_driver_applies_every_acknowledged_event_once,
    timers_due_while_down_fire_once_after_a_killed_runner,
);

pub const COUNTER: &str = r#"
id = "counter"
version = 1
title = "Counter"
start = "counting"

[data.count]
type = "integer"
default = 0

[data.nudges]
type = "integer"
default = 0

[states.counting]
on.bump = { set = { count = "data.count + 1" } }
on.nudge = { set = { nudges = "data.nudges + 1" } }
on.close = "done"

[states.done]
terminal = true

[events.bump]
merge = false
fields.eid = { type = "string", required = true }

[events.nudge]
[events.close]

[timers.nudge]
after = "1d"
event = "nudge"
"#;

const KEYS: [&str; 3] = ["K0", "K1", "K2"];

/// Creates for every key, then `bumps` events spread over the keys: (id, line).
fn stream(bumps: usize) -> Vec<(String, String)> {
    let creates = KEYS.iter().map(|key| {
        let id = format!("c-{key}");
        let line = json!({ "id": id, "workflow": "counter", "key": key });
        (id, line.to_string())
    });
    let events = (0..bumps).map(|n| {
        let id = format!("b-{n}");
        let key = KEYS[n % KEYS.len()];
        let line = json!({ "id": id, "workflow": "counter", "key": key, "event": "bump",
                           "data": { "eid": id } });
        (id, line.to_string())
    });
    creates.chain(events).collect()
}

fn lines(stream: &[(String, String)]) -> Vec<String> {
    stream.iter().map(|(_, line)| line.clone()).collect()
}

/// The ids in `ack <id>` lines; any other answer fails the test.
fn acked(output: &[String]) -> Vec<String> {
    output
        .iter()
        .map(|line| match line.strip_prefix("ack ") {
            Some(id) => id.to_owned(),
            None => panic!("unexpected driver answer `{line}`"),
        })
        .collect()
}

async fn killed_driver_applies_every_acknowledged_event_once(db: &TestDb) {
    let driver = Driver::new(db, &[("counter.toml", COUNTER)]);
    let stream = stream(300);

    // Send 200 lines, kill after 150 acks: the rest are in flight or unsent.
    let mut first = driver.spawn(&["apply"]);
    first.send(&lines(&stream[..200]));
    let mut output = first.read(150);
    output.extend(first.kill());
    let before_kill = acked(&output);
    eprintln!(
        "acknowledged before the kill: {} of 200 sent",
        before_kill.len()
    );
    let ids: Vec<&str> = stream.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        before_kill,
        ids[..before_kill.len()],
        "acks come in stream order"
    );

    // A new process; re-send from a few before the last ack to the end.
    let resend_from = before_kill.len() - 5;
    let mut second = driver.spawn(&["apply"]);
    second.send(&lines(&stream[resend_from..]));
    let after_restart = acked(&second.finish());
    assert_eq!(
        after_restart,
        ids[resend_from..],
        "every re-sent event acknowledged"
    );

    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    for (n, key) in KEYS.iter().enumerate() {
        let instance = db.store.find_by_key("counter", key).await.unwrap().unwrap();
        let history = db.store.history(instance.id).await.unwrap();
        let seqs: Vec<i64> = history.iter().map(|record| record.seq).collect();
        assert_eq!(
            seqs,
            (1..=history.len() as i64).collect::<Vec<_>>(),
            "no gaps"
        );
        let bumps: Vec<&str> = history
            .iter()
            .filter(|record| record.entry.kind() == HistoryKind::Event)
            .map(|record| {
                let data = record.entry.data.event_data().expect("event data");
                data["eid"].as_str().expect("eid")
            })
            .collect();
        for eid in &bumps {
            *applied.entry((*eid).to_owned()).or_default() += 1;
        }
        let expected_bumps = (0..300).filter(|b| b % KEYS.len() == n).count();
        assert_eq!(bumps.len(), expected_bumps, "{key}: every bump once");
        assert_eq!(
            instance.data["count"],
            json!(expected_bumps),
            "{key}: data agrees"
        );
        assert_eq!(
            instance.revision,
            1 + expected_bumps as i64,
            "{key}: one commit each"
        );
    }
    let twice: Vec<_> = applied.iter().filter(|(_, count)| **count != 1).collect();
    assert!(twice.is_empty(), "applied more than once: {twice:?}");
    assert_eq!(applied.len(), 300);
    assert_no_ambiguity(&db.store).await;
}

/// Nothing half-done: no instance left with an open incident.
async fn assert_no_ambiguity(store: &Store) {
    let incidents = store.incidents(None, true).await.unwrap();
    assert!(incidents.is_empty(), "{incidents:?}");
}

async fn timers_due_while_down_fire_once_after_a_killed_runner(db: &TestDb) {
    const INSTANCES: usize = 200;
    let driver = Driver::new(db, &[("counter.toml", COUNTER)]);
    let creates: Vec<String> = (0..INSTANCES)
        .map(|n| {
            json!({ "id": format!("c-{n}"), "workflow": "counter", "key": format!("N-{n}") })
                .to_string()
        })
        .collect();
    let mut apply = driver.spawn(&["apply"]);
    apply.send(&creates);
    assert_eq!(acked(&apply.finish()).len(), INSTANCES);

    assert_eq!(
        driver.fire_timers(&[]),
        0,
        "the 1-day timers are not due yet"
    );

    // Two days later: a runner starts firing and is killed mid-way.
    let mut killed = driver.spawn(&["fire-timers", "--clock-offset", "2d", "--wait-for-go"]);
    assert_eq!(killed.read(1), ["ready"]);
    killed.send(&["go".to_owned()]);
    std::thread::sleep(std::time::Duration::from_millis(40));
    let output = killed.kill();
    let fired_before_kill = timer_firings(&db.store).await.values().sum::<usize>();
    eprintln!("fired before the kill: {fired_before_kill} of {INSTANCES}");
    if let Some(line) = output.iter().find(|line| line.starts_with("fired ")) {
        assert_eq!(fired(&output), fired_before_kill, "it finished: {line}");
    }

    // Its leases (60 s) have run out by the time the next runner starts.
    let fired_after = driver.fire_timers(&["--clock-offset", "2d 5m"]);
    assert_eq!(fired_before_kill + fired_after, INSTANCES);
    let firings = timer_firings(&db.store).await;
    assert_eq!(firings.len(), INSTANCES);
    assert!(firings.values().all(|count| *count == 1), "{firings:?}");
    assert_eq!(
        driver.fire_timers(&["--clock-offset", "3d"]),
        0,
        "nothing left"
    );
    for key in (0..INSTANCES).map(|n| format!("N-{n}")) {
        let instance = db
            .store
            .find_by_key("counter", &key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(instance.data["nudges"], json!(1), "{key}");
        assert!(instance.timers.is_empty(), "{key}");
    }
}

/// Timer history lines per instance key.
async fn timer_firings(store: &Store) -> BTreeMap<String, usize> {
    let mut firings = BTreeMap::new();
    for n in 0..200 {
        let key = format!("N-{n}");
        let Some(instance) = store.find_by_key("counter", &key).await.unwrap() else {
            continue;
        };
        let history = store.history(instance.id).await.unwrap();
        let count = history
            .iter()
            .filter(|record| record.entry.kind() == HistoryKind::Timer)
            .count();
        if count > 0 {
            firings.insert(key, count);
        }
    }
    firings
}
