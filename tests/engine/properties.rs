//! Random sequences of events, timer firings, waits and administrator moves
//! over a small definition with every feature: the engine never panics, never
//! leaves the instance in a state the definition lacks, keeps its timers
//! consistent with its state and SLA cycles, and never moves a deadline
//! earlier.

use std::collections::BTreeMap;

use flowkeeper::engine::{self, Instance, Outcome, SlaOutcome, Status};
use flowkeeper::model::Definition;
use proptest::prelude::*;
use serde_json::json;

use crate::support::*;

const KITCHEN_SINK: &str = r#"
id = "sink"
version = 1
title = "Everything at once"
start = "submitted"

[data.level]
type = "integer"
required = true
min = 1
max = 4

[data.nudges]
type = "integer"
default = 0

[events.receive]
[events.dispatch]
fields.group = { type = "string", required = true }
[events.accept]
[events.hold]
[events.resume]
[events.resolve]
[events.reopen]
[events.reply]
[events.confirm]
[events.escalate]
[events.nudge]
[events.note]
global = true
fields.text = { type = "string" }
[events.expire]
global = true
transitions = [{ to = "closed" }]

[timers.nudge]
every = "30m"
event = "nudge"
states = ["handling", "on_hold"]

[timers.expire]
after = "2d"
event = "expire"

[states.submitted]
role = "service_desk"
on.receive = "received"

[states.received]
role = "service_desk"
on.dispatch = [{ when = "event.group == 'none'", to = "received" }, { to = "dispatched" }]
on.escalate = {}

[states.dispatched]
role = { field = "group" }
on.accept = "handling"
on.escalate = "received"

[states.handling]
role = { field = "group" }
on.hold = "on_hold"
on.resolve = "confirmation"
on.dispatch = "handling"
on.nudge = { set = { nudges = "data.nudges + 1" } }

[states.on_hold]
role = { field = "group" }
on.resume = "handling"
on.resolve = "confirmation"

[states.confirmation]
role = "service_desk"
on.reply = {}
on.confirm = "closed"
on.reopen = "handling"
always = [{ when = "data.nudges > 3", to = "closed" }]

[states.closed]
terminal = true

[slas.response]
start = ["submitted"]
stop = ["received"]
within = "5s"

[slas.dispatch]
start = ["received"]
stop = ["dispatched"]
within = "10m"
on_breach = "escalate"

[slas.handling]
start = ["handling"]
stop = ["confirmation"]
pause = ["on_hold"]
within = [{ when = "data.level == 1", duration = "1h" }, { duration = "4h" }]

[slas.reply]
start = ["confirmation"]
stop_events = ["reply"]
within = "10m"
"#;

const EVENTS: [&str; 14] = [
    "receive", "dispatch", "accept", "hold", "resume", "resolve", "reopen", "reply", "confirm",
    "escalate", "nudge", "note", "expire", "unknown",
];
const GROUPS: [&str; 3] = ["net", "db", "none"];

#[derive(Debug, Clone)]
enum Op {
    Post { event: usize, group: usize },
    Fire { pick: usize },
    Wait { millis: i64 },
    Cancel,
    Move { state: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..EVENTS.len(), 0..GROUPS.len()).prop_map(|(event, group)| Op::Post { event, group }),
        4 => any::<usize>().prop_map(|pick| Op::Fire { pick }),
        3 => (0i64..3 * HOUR).prop_map(|millis| Op::Wait { millis }),
        1 => Just(Op::Cancel),
        1 => any::<usize>().prop_map(|state| Op::Move { state }),
    ]
}

fn step(definition: &Definition, instance: &Instance, op: &Op, now: &mut i64) -> Option<Outcome> {
    let result = match *op {
        Op::Post { event, group } => {
            let data = if EVENTS[event] == "dispatch" {
                json!({"group": GROUPS[group]})
            } else {
                json!({})
            };
            try_post(definition, instance, EVENTS[event], data, *now)
        }
        Op::Fire { pick } => {
            if instance.timers.is_empty() {
                return None;
            }
            let timer = &instance.timers[pick % instance.timers.len()];
            *now = (*now).max(timer.due_at);
            engine::fire_timer(definition, instance, &timer.name, *now)
        }
        Op::Wait { millis } => {
            *now += millis;
            return None;
        }
        Op::Cancel => engine::cancel(definition, instance, "random", "admin", *now),
        Op::Move { state } => {
            let target = definition
                .states
                .get_index(state % definition.states.len())?
                .0;
            engine::move_to(definition, instance, target, "random", "admin", *now)
        }
    };
    result.ok()
}

/// Every pending timer is there for a reason, and every running deadline
/// has its timer.
fn check_timers(definition: &Definition, instance: &Instance) {
    if instance.status != Status::Active {
        assert!(
            instance.timers.is_empty(),
            "an ended instance has timers: {instance:?}"
        );
        assert!(
            instance.slas.is_empty(),
            "an ended instance has open cycles: {instance:?}"
        );
        return;
    }
    for timer in &instance.timers {
        if let Some(clock) = timer.name.strip_prefix("sla:") {
            let cycle = instance.slas.iter().find(|cycle| cycle.sla == clock);
            assert!(
                cycle.is_some_and(|c| c.paused_at.is_none() && c.outcome.is_none()),
                "deadline `{clock}` without a running cycle: {instance:?}"
            );
            continue;
        }
        let declared = &definition.timers[timer.name.as_str()];
        assert!(
            declared.states.is_empty() || declared.states.contains(&instance.state.to_string()),
            "timer `{}` pending in `{}`",
            timer.name,
            instance.state
        );
    }
    for cycle in &instance.slas {
        let deadline = instance
            .timers
            .iter()
            .find(|t| t.name == format!("sla:{}", cycle.sla));
        let running = cycle.paused_at.is_none() && cycle.outcome.is_none();
        assert_eq!(deadline.is_some(), running, "deadline of {cycle:?}");
        if let Some(deadline) = deadline {
            assert_eq!(deadline.due_at, cycle.due_at + 1);
        }
    }
    let mut clocks: Vec<_> = instance.slas.iter().map(|cycle| &cycle.sla).collect();
    clocks.sort();
    clocks.dedup();
    assert_eq!(
        clocks.len(),
        instance.slas.len(),
        "two open cycles of one clock"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_histories_keep_the_instance_sound(
        level in 1i64..=4,
        ops in proptest::collection::vec(op(), 0..60),
    ) {
        let definition = load(KITCHEN_SINK);
        let created = create(&definition, json!({"level": level}));
        let mut instance = created.instance;
        let mut now = T0;
        // (clock, cycle) → (due_at, outcome) as last seen.
        let mut seen: BTreeMap<(String, u32), (i64, Option<SlaOutcome>)> = BTreeMap::new();
        for op in &ops {
            let Some(outcome) = step(&definition, &instance, op, &mut now) else {
                continue;
            };
            assert_timers_consistent(&instance.timers, &outcome);
            prop_assert!(definition.states.contains_key(outcome.instance.state.as_str()));
            prop_assert_eq!(outcome.instance.updated_at, now);
            check_timers(&definition, &outcome.instance);
            for cycle in outcome.sla_changes.iter().chain(&outcome.instance.slas) {
                let key = (cycle.sla.to_string(), cycle.cycle);
                if let Some((due_at, decided)) = seen.get(&key) {
                    prop_assert!(cycle.due_at >= *due_at, "deadline moved earlier: {:?}", cycle);
                    if decided.is_some() {
                        prop_assert_eq!(cycle.outcome, *decided, "outcome changed: {:?}", cycle);
                    }
                }
                seen.insert(key, (cycle.due_at, cycle.outcome));
            }
            instance = outcome.instance;
        }
    }
}
