//! Events, guards, data and eventless transitions.

use flowkeeper::engine::{Effect, HistoryData, HistoryEntry, HistoryKind, Rejection, Status};
use serde_json::json;

use crate::support::*;

const ROUTING: &str = r#"
id = "routing"
version = 1
title = "Routing"
start = "triage"

[data.level]
type = "integer"
required = true
min = 1
max = 4

[data.count]
type = "integer"
default = 0

[events.route]
fields.urgent = { type = "boolean", required = true }
[events.poke]
[events.touch]
[events.bump]
fields.by = { type = "integer", required = true }
merge = false
[events.close]
[events.note]
global = true
after_end = true
fields.text = { type = "string" }
[events.remark]
global = true
[events.abort]
global = true
transitions = [{ to = "aborted" }]

[states.triage]
role = "desk"
on.route = [
  { when = "event.urgent", to = "fast" },
  { when = "data.level <= 2", to = "normal" },
  { to = "slow" },
]
on.poke = { set = { count = "data.count + 1" } }
on.touch = { to = "triage", set = { count = "data.count + 10" } }
on.bump = { set = { level = "data.level + event.by", count = "data.level" } }
on.close = "done"
on_enter = [{ notify = { webhook = "entered" } }]

[states.fast]
on.close = "done"

[states.normal]
on.close = "done"

[states.slow]
on.route = [{ when = "event.urgent", to = "fast" }]
on.close = "done"

[states.done]
terminal = true

[states.aborted]
terminal = true
"#;

#[test]
fn the_first_guard_that_holds_wins_and_a_guardless_transition_is_the_fallback() {
    let routing = load(ROUTING);
    let cases = [
        (1, true, "fast"),
        (1, false, "normal"),
        (2, false, "normal"),
        (3, false, "slow"),
        (4, true, "fast"),
    ];
    for (level, urgent, expected) in cases {
        let created = create(&routing, json!({"level": level}));
        let routed = post(
            &routing,
            &created.instance,
            "route",
            json!({"urgent": urgent}),
            T0 + MINUTE,
        );
        assert_eq!(
            routed.instance.state, expected,
            "level {level}, urgent {urgent}"
        );
        let transition = routed.transition.expect("an event reports its transition");
        assert_eq!(
            (
                transition.event.as_str(),
                transition.from.as_str(),
                transition.to.as_str()
            ),
            ("route", "triage", expected)
        );
        assert_eq!(routed.history.len(), 1);
        assert_eq!(routed.history[0].kind(), HistoryKind::Event);
        assert_eq!(
            routed.history[0].data,
            HistoryData::Event(object(json!({"urgent": urgent})))
        );
        assert_eq!(routed.instance.entered_at, T0 + MINUTE);
        assert_eq!(routed.instance.updated_at, T0 + MINUTE);
        assert_eq!(routed.instance.revision, created.instance.revision);
    }
}

#[test]
fn no_guard_holding_is_a_rejection() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 3}));
    let slow = post(
        &routing,
        &created.instance,
        "route",
        json!({"urgent": false}),
        T0 + 1,
    );
    let refused = try_post(
        &routing,
        &slow.instance,
        "route",
        json!({"urgent": false}),
        T0 + 2,
    );
    assert_eq!(
        refused,
        Err(Rejection::NoGuardHolds {
            event: "route".into(),
            state: "slow".into()
        })
    );
}

#[test]
fn an_event_the_state_does_not_accept_is_refused_with_what_is_allowed() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 1}));
    let fast = post(
        &routing,
        &created.instance,
        "route",
        json!({"urgent": true}),
        T0 + 1,
    );
    let refused = try_post(&routing, &fast.instance, "poke", json!({}), T0 + 2);
    assert_eq!(
        refused,
        Err(Rejection::EventNotAllowed {
            event: "poke".into(),
            state: "fast".into(),
            allowed: vec![
                "close".into(),
                "note".into(),
                "remark".into(),
                "abort".into()
            ],
        })
    );
    let unknown = try_post(&routing, &fast.instance, "nonsense", json!({}), T0 + 2);
    assert!(matches!(unknown, Err(Rejection::EventNotAllowed { .. })));
}

#[test]
fn a_transition_without_target_stays_without_reentering() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 1}));
    assert_eq!(
        created.effects.len(),
        1,
        "the start state's entry action runs at create"
    );
    let poked = post(&routing, &created.instance, "poke", json!({}), T0 + MINUTE);
    assert_eq!(poked.instance.state, "triage");
    assert_eq!(poked.instance.data["count"], json!(1));
    assert_eq!(poked.instance.entered_at, T0, "staying is not entering");
    assert!(poked.effects.is_empty(), "entry actions do not run again");
}

#[test]
fn an_explicit_self_transition_reenters_the_state() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 1}));
    let touched = post(&routing, &created.instance, "touch", json!({}), T0 + MINUTE);
    assert_eq!(touched.instance.state, "triage");
    assert_eq!(touched.instance.data["count"], json!(10));
    assert_eq!(touched.instance.entered_at, T0 + MINUTE);
    assert_eq!(touched.effects.len(), 1);
    let Effect::Notify { webhook, payload } = &touched.effects[0] else {
        panic!("expected a notify effect, got {:?}", touched.effects);
    };
    assert_eq!(webhook, "entered");
    assert_eq!(
        payload,
        &json!({
            "instance": touched.instance.id,
            "workflow": "routing",
            "key": "K-1",
            "state": "triage",
            "data": {"level": 1, "count": 10},
        })
    );
    let kinds: Vec<_> = touched.history.iter().map(HistoryEntry::kind).collect();
    assert_eq!(kinds, [HistoryKind::Event, HistoryKind::Action]);
    assert!(matches!(
        touched.history[1].data,
        HistoryData::Action(Effect::Notify { .. })
    ));
}

#[test]
fn create_checks_the_data_and_fills_defaults() {
    let routing = load(ROUTING);
    let paths = |data| match try_create(&routing, data) {
        Err(Rejection::DataInvalid { errors }) => errors
            .into_iter()
            .map(|error| error.path)
            .collect::<Vec<_>>(),
        other => panic!("expected invalid data, got {other:?}"),
    };
    assert_eq!(paths(json!({})), ["data.level"]);
    assert_eq!(
        paths(json!({"level": 7, "colour": "red"})),
        ["data.level", "data.colour"]
    );
    let created = create(&routing, json!({"level": 2}));
    assert_eq!(
        created.instance.data,
        object(json!({"level": 2, "count": 0}))
    );
    assert_eq!(created.instance.status, Status::Active);
    assert_eq!(created.instance.revision, 0);
    assert_eq!(created.instance.definition_hash, routing.source.hash);
    assert_eq!(
        created.history[0].data,
        HistoryData::Created(object(json!({"level": 2, "count": 0})))
    );
}

#[test]
fn event_data_is_checked_with_event_paths() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 1}));
    let refused = try_post(
        &routing,
        &created.instance,
        "route",
        json!({"urgent": "yes", "x": 1}),
        T0 + 1,
    );
    let Err(Rejection::DataInvalid { errors }) = refused else {
        panic!("expected invalid data, got {refused:?}");
    };
    let paths: Vec<_> = errors.iter().map(|error| error.path.as_str()).collect();
    assert_eq!(paths, ["event.urgent", "event.x"]);
}

#[test]
fn set_results_are_checked_against_the_data_fields_and_all_read_the_old_data() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 1}));
    let bumped = post(
        &routing,
        &created.instance,
        "bump",
        json!({"by": 2}),
        T0 + 1,
    );
    assert_eq!(bumped.instance.data["level"], json!(3));
    assert_eq!(
        bumped.instance.data["count"],
        json!(1),
        "`set` reads the data before any `set`"
    );
    assert!(
        !bumped.instance.data.contains_key("by"),
        "merge = false keeps event data out"
    );
    let refused = try_post(&routing, &bumped.instance, "bump", json!({"by": 5}), T0 + 2);
    let Err(Rejection::DataInvalid { errors }) = refused else {
        panic!("expected invalid data, got {refused:?}");
    };
    assert_eq!(errors[0].path, "data.level");
    assert_eq!(errors[0].message, "value must be at most 4");
}

#[test]
fn ended_instances_accept_only_global_events_marked_after_end() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 1}));
    let done = post(&routing, &created.instance, "close", json!({}), T0 + 1);
    assert_eq!(done.instance.status, Status::Completed);

    let noted = post(
        &routing,
        &done.instance,
        "note",
        json!({"text": "late praise"}),
        T0 + 2,
    );
    assert_eq!(noted.instance.state, "done");
    assert_eq!(noted.instance.status, Status::Completed);
    assert_eq!(noted.instance.data["text"], json!("late praise"));
    assert_eq!(noted.history[0].event.as_deref(), Some("note"));

    for event in ["abort", "poke", "remark"] {
        assert_eq!(
            try_post(&routing, &done.instance, event, json!({}), T0 + 3),
            Err(Rejection::InstanceEnded {
                status: Status::Completed
            }),
            "{event}"
        );
    }
}

#[test]
fn global_events_apply_in_every_live_state() {
    let routing = load(ROUTING);
    let created = create(&routing, json!({"level": 1}));
    let noted = post(
        &routing,
        &created.instance,
        "note",
        json!({"text": "hi"}),
        T0 + 1,
    );
    assert_eq!(noted.instance.state, "triage");
    assert_eq!(
        noted.instance.entered_at, T0,
        "a recording global event does not re-enter"
    );
    let aborted = post(&routing, &noted.instance, "abort", json!({}), T0 + 2);
    assert_eq!(aborted.instance.state, "aborted");
    assert_eq!(aborted.instance.status, Status::Completed);
}

const TIER: &str = r#"
id = "tier"
version = 1
title = "Tier"
start = "regular"

[data.purchases]
type = "integer"
default = 0

[data.total]
type = "number"
default = 0.0

[events.purchase]
fields.amount = { type = "number", required = true }
merge = false
[events.spin]

[states.regular]
on.purchase = { set = { purchases = "data.purchases + 1", total = "data.total + event.amount" } }
on.spin = "ping"
always = [{ when = "data.purchases > 2 || data.total > 500.0", to = "key_customer" }]

[states.key_customer]
on.purchase = { set = { purchases = "data.purchases + 1", total = "data.total + event.amount" } }
on_enter = [{ notify = { webhook = "key_customer", payload = { customer = "key", total = "data.total" } } }]
always = [{ when = "data.total > 10000.0", to = "vip" }]

[states.vip]
terminal = true

# Guarded by conditions that stay true but depend on the instance: the
# loader rejects loops of unguarded (or always-true) eventless transitions,
# so this is the kind of loop only the engine's bound stops.
[states.ping]
always = [{ when = "state == 'ping'", to = "pong" }]

[states.pong]
always = [{ when = "state == 'pong'", to = "ping" }]
"#;

#[test]
fn eventless_transitions_run_after_the_event_and_chain() {
    let tier = load(TIER);
    let created = create(&tier, json!({}));
    let mut instance = created.instance;
    for amount in [100, 100] {
        instance = post(
            &tier,
            &instance,
            "purchase",
            json!({"amount": amount}),
            T0 + 1,
        )
        .instance;
    }
    assert_eq!(
        instance.state, "regular",
        "exactly 2 purchases is not enough"
    );

    let exactly_500 = create(&tier, json!({})).instance;
    let exactly_500 = post(
        &tier,
        &exactly_500,
        "purchase",
        json!({"amount": 500}),
        T0 + 1,
    );
    assert_eq!(
        exactly_500.instance.state, "regular",
        "exactly 500 is not enough"
    );

    let third = post(&tier, &instance, "purchase", json!({"amount": 1}), T0 + 2);
    assert_eq!(third.instance.state, "key_customer");
    assert_eq!(
        third.effects,
        [Effect::Notify {
            webhook: "key_customer".into(),
            payload: json!({"customer": "K-1", "total": 201.0}),
        }]
    );

    let big = create(&tier, json!({})).instance;
    let big = post(&tier, &big, "purchase", json!({"amount": 20000}), T0 + 3);
    assert_eq!(big.instance.state, "vip");
    assert_eq!(big.instance.status, Status::Completed);
    let transition = big.transition.unwrap();
    assert_eq!(
        (transition.from.as_str(), transition.to.as_str()),
        ("regular", "vip")
    );
    let lines: Vec<_> = big
        .history
        .iter()
        .map(|e| {
            (
                e.kind(),
                e.event.as_deref(),
                e.to.as_deref(),
                e.actor.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                HistoryKind::Event,
                Some("purchase"),
                Some("regular"),
                "tester"
            ),
            (HistoryKind::Event, None, Some("key_customer"), "engine"),
            (HistoryKind::Action, None, Some("key_customer"), "engine"),
            (HistoryKind::Event, None, Some("vip"), "engine"),
        ]
    );
}

#[test]
fn eventless_loops_are_cut_off() {
    let tier = load(TIER);
    let created = create(&tier, json!({}));
    let looped = try_post(&tier, &created.instance, "spin", json!({}), T0 + 1);
    assert_eq!(
        looped,
        Err(Rejection::EventlessLoop {
            state: "ping".into(),
            bound: flowkeeper::engine::EVENTLESS_BOUND
        })
    );
}

#[test]
fn spawn_and_send_evaluate_keys_and_data() {
    let text = r#"
id = "orders"
version = 1
title = "Orders"
start = "open"

[data.order]
type = "integer"
required = true
[data.amount]
type = "number"
default = 0.0
[data.customer]
type = "string"
default = "C-9"

[events.pay]

[states.open]
on.pay = "paid"

[states.paid]
terminal = true
on_enter = [
  { spawn = { workflow = "callback", key = "data.order", data = { amount = "data.amount" } } },
  { send = { workflow = "tier", key = "data.customer", event = "purchase", data = { amount = "data.amount" }, start = true } },
]
"#;
    let orders = load(text);
    let created = create(&orders, json!({"order": 1024, "amount": 120}));
    let paid = post(&orders, &created.instance, "pay", json!({}), T0 + 1);
    assert_eq!(
        paid.effects,
        [
            Effect::Spawn {
                workflow: "callback".into(),
                key: "1024".into(),
                data: object(json!({"amount": 120.0})),
            },
            Effect::Send {
                workflow: "tier".into(),
                key: "C-9".into(),
                event: "purchase".into(),
                data: object(json!({"amount": 120.0})),
                start: true,
            },
        ]
    );
}
