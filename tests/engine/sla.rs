//! SLA clocks: met and missed at the edges, pauses, stops, new cycles,
//! roles at the moment of the outcome, breach events and stop events.

use flowkeeper::engine::{
    HistoryData, HistoryKind, Instance, Outcome, SlaCycle, SlaDecision, SlaOutcome,
};
use serde_json::json;

use crate::support::*;

const DESK: &str = r#"
id = "desk"
version = 1
title = "Desk"
start = "submitted"

[data.level]
type = "integer"
required = true
min = 1
max = 4

[data.escalated]
type = "boolean"
default = false

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

[states.submitted]
role = "service_desk"
on.receive = "received"

[states.received]
role = "service_desk"
on.dispatch = "dispatched"
on.escalate = { set = { escalated = "true" } }

[states.dispatched]
role = { field = "group" }
on.accept = "handling"

[states.handling]
role = { field = "group" }
on.hold = "on_hold"
on.resolve = "confirmation"
on.dispatch = "handling"

[states.on_hold]
role = { field = "group" }
on.resume = "handling"
on.resolve = "confirmation"

[states.confirmation]
role = "service_desk"
on.reply = {}
on.confirm = "closed"
on.reopen = "handling"

[states.closed]
terminal = true

[slas.response]
start = ["submitted"]
stop = ["received"]
within = "5s"
role = "service_desk"

[slas.dispatch]
start = ["received"]
stop = ["dispatched"]
within = "10m"
on_breach = "escalate"

[slas.handling]
start = ["handling"]
stop = ["confirmation"]
pause = ["on_hold"]
within = [
  { when = "data.level == 1", duration = "1h" },
  { when = "data.level == 2", duration = "4h" },
  { duration = "12h" },
]

[slas.reply]
start = ["confirmation"]
stop_events = ["reply"]
within = "10m"
role = "service_desk"
"#;

fn cycle<'a>(instance: &'a Instance, sla: &str) -> &'a SlaCycle {
    instance
        .slas
        .iter()
        .find(|cycle| cycle.sla == sla)
        .unwrap_or_else(|| panic!("no open `{sla}` cycle in {:?}", instance.slas))
}

fn changed<'a>(outcome: &'a Outcome, sla: &str, number: u32) -> &'a SlaCycle {
    outcome
        .sla_changes
        .iter()
        .find(|cycle| cycle.sla == sla && cycle.cycle == number)
        .unwrap_or_else(|| panic!("`{sla}` #{number} not in {:?}", outcome.sla_changes))
}

fn sla_lines(outcome: &Outcome) -> Vec<SlaDecision> {
    outcome
        .history
        .iter()
        .filter_map(|entry| entry.data.sla())
        .cloned()
        .collect()
}

/// A level-`level` ticket in `handling`, accepted at `at`, group `net`.
fn handling(desk: &flowkeeper::model::Definition, level: i64, at: i64) -> Instance {
    let created = create(desk, json!({"level": level})).instance;
    let received = post(desk, &created, "receive", json!({}), T0 + SECOND).instance;
    let dispatched = post(
        desk,
        &received,
        "dispatch",
        json!({"group": "net"}),
        T0 + MINUTE,
    )
    .instance;
    post(desk, &dispatched, "accept", json!({}), at).instance
}

#[test]
fn create_starts_a_cycle_with_a_deadline_timer_one_millisecond_after_due() {
    let desk = load(DESK);
    let created = create(&desk, json!({"level": 1}));
    let response = cycle(&created.instance, "response");
    assert_eq!(
        (response.cycle, response.started_at, response.due_at),
        (1, T0, T0 + 5 * SECOND)
    );
    assert_eq!(due(&created.instance, "sla:response"), T0 + 5 * SECOND + 1);
    assert_eq!(changed(&created, "response", 1), response);
}

#[test]
fn stopping_exactly_at_the_due_instant_is_met() {
    let desk = load(DESK);
    let created = create(&desk, json!({"level": 1}));
    let received = post(
        &desk,
        &created.instance,
        "receive",
        json!({}),
        T0 + 5 * SECOND,
    );
    let closed = changed(&received, "response", 1);
    assert_eq!(closed.outcome, Some(SlaOutcome::Met));
    assert_eq!(closed.stopped_at, Some(T0 + 5 * SECOND));
    assert_eq!(closed.role.as_deref(), Some("service_desk"));
    assert!(
        received
            .instance
            .slas
            .iter()
            .all(|cycle| cycle.sla != "response")
    );
    assert!(received.timers_cancelled.contains(&"sla:response".into()));
    assert_eq!(
        sla_lines(&received),
        [SlaDecision {
            sla: "response".into(),
            cycle: 1,
            outcome: SlaOutcome::Met,
            role: Some("service_desk".into()),
            due_at: T0 + 5 * SECOND,
        }]
    );
}

#[test]
fn missed_is_decided_only_past_the_due_instant_and_a_stop_then_just_closes() {
    let desk = load(DESK);
    let created = create(&desk, json!({"level": 1})).instance;
    let early = fire(&desk, &created, "sla:response", T0 + 5 * SECOND);
    assert_eq!(cycle(&early.instance, "response").outcome, None);
    assert_eq!(
        due(&early.instance, "sla:response"),
        T0 + 5 * SECOND + 1,
        "put back"
    );
    assert!(early.history.is_empty());
    assert!(
        early.sla_changes.is_empty(),
        "nothing about the cycle changed"
    );

    let missed = fire(&desk, &early.instance, "sla:response", T0 + 5 * SECOND + 1);
    let open = cycle(&missed.instance, "response");
    assert_eq!(open.outcome, Some(SlaOutcome::Missed));
    assert_eq!(
        open.stopped_at, None,
        "a missed cycle stays open until it stops"
    );
    assert!(timer(&missed.instance, "sla:response").is_none());
    assert_eq!(sla_lines(&missed)[0].outcome, SlaOutcome::Missed);
    assert_eq!(missed.history[0].actor, "timer");

    let received = post(&desk, &missed.instance, "receive", json!({}), T0 + MINUTE);
    let closed = changed(&received, "response", 1);
    assert_eq!(closed.outcome, Some(SlaOutcome::Missed));
    assert_eq!(closed.stopped_at, Some(T0 + MINUTE));
    assert!(
        sla_lines(&received).is_empty(),
        "the outcome is not recorded twice"
    );
}

#[test]
fn within_depends_on_the_data_when_the_cycle_starts() {
    let desk = load(DESK);
    for (level, hours) in [(1, 1), (2, 4), (3, 12), (4, 12)] {
        let instance = handling(&desk, level, T0 + 2 * MINUTE);
        let running = cycle(&instance, "handling");
        assert_eq!(
            running.due_at,
            T0 + 2 * MINUTE + hours * HOUR,
            "level {level}"
        );
    }
}

#[test]
fn time_in_pause_states_does_not_count() {
    let desk = load(DESK);
    let start = T0 + 2 * MINUTE;
    let instance = handling(&desk, 1, start);
    let held = post(&desk, &instance, "hold", json!({}), start + 30 * MINUTE);
    assert_eq!(
        cycle(&held.instance, "handling").paused_at,
        Some(start + 30 * MINUTE)
    );
    assert!(
        timer(&held.instance, "sla:handling").is_none(),
        "no deadline while paused"
    );

    let resumed = post(
        &desk,
        &held.instance,
        "resume",
        json!({}),
        start + 150 * MINUTE,
    );
    let running = cycle(&resumed.instance, "handling");
    assert_eq!(running.paused_at, None);
    assert_eq!(
        running.due_at,
        start + 3 * HOUR,
        "two hours of pause push the deadline"
    );
    assert_eq!(due(&resumed.instance, "sla:handling"), start + 3 * HOUR + 1);

    let resolved = post(
        &desk,
        &resumed.instance,
        "resolve",
        json!({}),
        start + 3 * HOUR,
    );
    assert_eq!(
        changed(&resolved, "handling", 1).outcome,
        Some(SlaOutcome::Met)
    );
}

#[test]
fn a_stop_while_paused_counts_time_up_to_the_pause() {
    let desk = load(DESK);
    let start = T0 + 2 * MINUTE;
    let instance = handling(&desk, 1, start);
    let held = post(&desk, &instance, "hold", json!({}), start + 50 * MINUTE).instance;
    let resolved = post(&desk, &held, "resolve", json!({}), start + 5 * HOUR);
    let closed = changed(&resolved, "handling", 1);
    assert_eq!(closed.outcome, Some(SlaOutcome::Met));
    assert_eq!(closed.due_at, start + HOUR, "a stop does not end the pause");

    let late_hold = post(&desk, &instance, "hold", json!({}), start + 70 * MINUTE).instance;
    let resolved = post(&desk, &late_hold, "resolve", json!({}), start + 5 * HOUR);
    assert_eq!(
        changed(&resolved, "handling", 1).outcome,
        Some(SlaOutcome::Missed)
    );
}

#[test]
fn entering_a_start_state_again_keeps_an_open_cycle_and_a_reopen_starts_a_new_one() {
    let desk = load(DESK);
    let start = T0 + 2 * MINUTE;
    let instance = handling(&desk, 2, start);
    let transferred = post(
        &desk,
        &instance,
        "dispatch",
        json!({"group": "db"}),
        start + HOUR,
    );
    assert_eq!(transferred.instance.entered_at, start + HOUR, "re-entered");
    assert_eq!(
        cycle(&transferred.instance, "handling"),
        cycle(&instance, "handling")
    );

    let resolved = post(
        &desk,
        &transferred.instance,
        "resolve",
        json!({}),
        start + 2 * HOUR,
    );
    assert_eq!(
        changed(&resolved, "handling", 1).role.as_deref(),
        Some("db")
    );
    let reopened = post(
        &desk,
        &resolved.instance,
        "reopen",
        json!({}),
        start + 3 * HOUR,
    );
    let second = cycle(&reopened.instance, "handling");
    assert_eq!((second.cycle, second.started_at), (2, start + 3 * HOUR));
    assert_eq!(second.due_at, start + 7 * HOUR);
    assert_eq!(reopened.instance.sla_cycle_counts["handling"], 2);
}

#[test]
fn a_missed_outcome_counts_for_the_role_responsible_at_that_moment() {
    let desk = load(DESK);
    let start = T0 + 2 * MINUTE;
    let instance = handling(&desk, 1, start);
    let missed = fire(&desk, &instance, "sla:handling", start + HOUR + 1);
    assert_eq!(
        cycle(&missed.instance, "handling").role.as_deref(),
        Some("net")
    );
    assert_eq!(sla_lines(&missed)[0].role.as_deref(), Some("net"));
    let transferred = post(
        &desk,
        &missed.instance,
        "dispatch",
        json!({"group": "db"}),
        start + 2 * HOUR,
    );
    let resolved = post(
        &desk,
        &transferred.instance,
        "resolve",
        json!({}),
        start + 3 * HOUR,
    );
    let closed = changed(&resolved, "handling", 1);
    assert_eq!(
        closed.role.as_deref(),
        Some("net"),
        "the outcome was decided for net"
    );
}

#[test]
fn a_missed_cycle_posts_its_breach_event() {
    let desk = load(DESK);
    let created = create(&desk, json!({"level": 3})).instance;
    let received = post(&desk, &created, "receive", json!({}), T0 + SECOND).instance;
    let breached = fire(
        &desk,
        &received,
        "sla:dispatch",
        T0 + SECOND + 10 * MINUTE + 1,
    );
    assert_eq!(breached.instance.data["escalated"], json!(true));
    let lines: Vec<_> = breached
        .history
        .iter()
        .map(|entry| (entry.kind(), entry.event.as_deref(), entry.actor.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (HistoryKind::Sla, None, "timer"),
            (HistoryKind::Event, Some("escalate"), "sla"),
        ]
    );
    assert_eq!(
        sla_lines(&breached)[0].role.as_deref(),
        Some("service_desk"),
        "the state's role"
    );
}

#[test]
fn a_breach_event_the_state_refuses_is_recorded_as_ignored_and_the_miss_stays() {
    let desk = load(DESK);
    let created = create(&desk, json!({"level": 3})).instance;
    let received = post(&desk, &created, "receive", json!({}), T0 + SECOND).instance;
    let moved =
        flowkeeper::engine::move_to(&desk, &received, "handling", "test", "admin", T0 + MINUTE)
            .expect("an admin may move anywhere")
            .instance;
    let breached = fire(&desk, &moved, "sla:dispatch", T0 + SECOND + 10 * MINUTE + 1);
    assert_eq!(
        cycle(&breached.instance, "dispatch").outcome,
        Some(SlaOutcome::Missed)
    );
    let ignored = breached.history.last().unwrap();
    assert_eq!(ignored.event.as_deref(), Some("escalate"));
    let HistoryData::TimerIgnored { sla, .. } = &ignored.data else {
        panic!("an ignored timer line: {ignored:?}");
    };
    assert_eq!(sla.as_deref(), Some("dispatch"));
}

#[test]
fn a_stop_event_stops_the_clock_without_moving() {
    let desk = load(DESK);
    let start = T0 + 2 * MINUTE;
    let instance = handling(&desk, 1, start);
    let confirming = post(&desk, &instance, "resolve", json!({}), start + HOUR).instance;
    assert_eq!(
        cycle(&confirming, "reply").due_at,
        start + HOUR + 10 * MINUTE
    );
    let replied = post(
        &desk,
        &confirming,
        "reply",
        json!({}),
        start + HOUR + 10 * MINUTE,
    );
    assert_eq!(replied.instance.state, "confirmation");
    assert_eq!(changed(&replied, "reply", 1).outcome, Some(SlaOutcome::Met));
    assert!(replied.instance.slas.is_empty());
    assert!(timer(&replied.instance, "sla:reply").is_none());
}

#[test]
fn ending_closes_open_cycles_without_an_outcome() {
    let desk = load(DESK);
    let start = T0 + 2 * MINUTE;
    let instance = handling(&desk, 1, start);
    let confirming = post(&desk, &instance, "resolve", json!({}), start + HOUR).instance;
    let closed = post(&desk, &confirming, "confirm", json!({}), start + 2 * HOUR);
    assert!(closed.instance.slas.is_empty());
    let reply = changed(&closed, "reply", 1);
    assert_eq!(
        (reply.outcome, reply.stopped_at),
        (None, Some(start + 2 * HOUR))
    );
    assert!(sla_lines(&closed).is_empty());
    assert!(closed.instance.timers.is_empty());
}
