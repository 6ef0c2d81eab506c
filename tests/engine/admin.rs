//! Administrators' cancel and move.

use flowkeeper::engine::{self, AdminChange, HistoryData, HistoryKind, Rejection, Status};
use serde_json::json;

use crate::support::*;

const FLOW: &str = r#"
id = "flow"
version = 1
title = "Flow"
start = "open"

[events.work]
[events.finish]
[events.ping]

[timers.remind]
after = "1h"
event = "ping"
states = ["working"]

[timers.expire]
after = "3d"
event = "finish"

[states.open]
on.work = "working"
on.finish = "done"

[states.working]
on.finish = "done"
on.ping = {}
on_enter = [{ notify = { webhook = "working" } }]

[states.done]
terminal = true

[slas.work]
start = ["working"]
stop = ["done"]
within = "2h"
"#;

#[test]
fn cancel_ends_the_instance_where_it_stands() {
    let flow = load(FLOW);
    let created = create(&flow, json!({})).instance;
    let working = post(&flow, &created, "work", json!({}), T0 + MINUTE).instance;
    let cancelled = engine::cancel(&flow, &working, "duplicate", "alice", T0 + 2 * MINUTE).unwrap();
    assert_timers_consistent(&working.timers, &cancelled);
    assert_eq!(cancelled.instance.status, Status::Cancelled);
    assert_eq!(cancelled.instance.state, "working");
    assert!(cancelled.instance.timers.is_empty());
    assert!(cancelled.instance.slas.is_empty());
    let work = &cancelled.sla_changes[0];
    assert_eq!(
        (work.outcome, work.stopped_at),
        (None, Some(T0 + 2 * MINUTE))
    );
    let line = &cancelled.history[0];
    assert_eq!(
        (line.kind(), line.actor.as_str()),
        (HistoryKind::Admin, "alice")
    );
    assert_eq!(
        line.data,
        HistoryData::Admin(AdminChange::Cancel {
            reason: "duplicate".to_owned()
        })
    );
    assert_eq!(
        engine::cancel(
            &flow,
            &cancelled.instance,
            "again",
            "alice",
            T0 + 3 * MINUTE
        ),
        Err(Rejection::InstanceEnded {
            status: Status::Cancelled
        })
    );
}

#[test]
fn move_enters_the_target_like_a_transition() {
    let flow = load(FLOW);
    let created = create(&flow, json!({})).instance;
    let moved = engine::move_to(&flow, &created, "working", "stuck", "bob", T0 + MINUTE).unwrap();
    assert_timers_consistent(&created.timers, &moved);
    assert_eq!(moved.instance.state, "working");
    assert_eq!(moved.instance.entered_at, T0 + MINUTE);
    assert_eq!(due(&moved.instance, "remind"), T0 + MINUTE + HOUR);
    assert_eq!(moved.instance.slas[0].due_at, T0 + MINUTE + 2 * HOUR);
    assert_eq!(moved.effects.len(), 1, "entry actions run");
    assert_eq!(
        moved.history[0].data,
        HistoryData::Admin(AdminChange::Move {
            reason: "stuck".to_owned()
        })
    );
    assert_eq!(moved.history[0].to.as_deref(), Some("working"));
    assert_eq!(
        engine::move_to(&flow, &created, "nowhere", "typo", "bob", T0),
        Err(Rejection::UnknownState {
            state: "nowhere".into()
        })
    );
}

#[test]
fn moving_an_ended_instance_to_a_live_state_reactivates_it() {
    let flow = load(FLOW);
    let created = create(&flow, json!({})).instance;
    let done = post(&flow, &created, "finish", json!({}), T0 + MINUTE).instance;
    assert_eq!(done.status, Status::Completed);
    let revived = engine::move_to(&flow, &done, "working", "reopened", "bob", T0 + HOUR).unwrap();
    assert_timers_consistent(&done.timers, &revived);
    assert_eq!(revived.instance.status, Status::Active);
    assert_eq!(
        due(&revived.instance, "expire"),
        T0 + HOUR + 72 * HOUR,
        "instance timers restart"
    );
    assert_eq!(due(&revived.instance, "remind"), T0 + 2 * HOUR);
    assert_eq!(revived.instance.slas[0].cycle, 1);

    let finished = engine::move_to(
        &flow,
        &revived.instance,
        "done",
        "finished",
        "bob",
        T0 + 2 * HOUR,
    )
    .unwrap();
    assert_eq!(finished.instance.status, Status::Completed);
    assert!(finished.instance.timers.is_empty());
}
