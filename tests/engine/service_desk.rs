//! One ticket through a copy of the shipped `service_desk` workflow (a
//! snapshot in `fixtures/`, so this test does not move when the shipped file
//! does), collecting the SLA outcomes the assessment will read.

use flowkeeper::engine::{Instance, Outcome, Rejection, Status};
use flowkeeper::model::Definition;
use serde_json::{Value as Json, json};

use crate::support::*;

const SERVICE_DESK: &str = include_str!("fixtures/service_desk.toml");

/// Applies `event` and collects the SLA lines it produced.
fn step(
    desk: &Definition,
    instance: &mut Instance,
    outcomes: &mut Vec<Json>,
    event: &str,
    data: Json,
    at: i64,
) -> Outcome {
    let outcome = post(desk, instance, event, data, at);
    collect(&outcome, outcomes);
    *instance = outcome.instance.clone();
    outcome
}

fn collect(outcome: &Outcome, outcomes: &mut Vec<Json>) {
    let lines = outcome.history.iter().filter_map(|e| e.data.sla());
    outcomes.extend(lines.map(|e| json!([e.sla, e.cycle, e.outcome.as_str(), e.role])));
}

#[test]
fn a_ticket_with_a_return_a_pause_and_a_late_reply() {
    let desk = load(SERVICE_DESK);
    let mut outcomes = Vec::new();
    let created = create(&desk, json!({"level": 2, "summary": "VPN down"}));
    assert_eq!(created.instance.data["source"], json!("user"));
    let mut ticket = created.instance;
    let desk = &desk;
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "receive",
        json!({}),
        T0 + 3 * SECOND,
    );
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "dispatch",
        json!({"group": "network"}),
        T0 + 5 * MINUTE,
    );
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "bounce",
        json!({"reason": "not ours"}),
        T0 + 6 * MINUTE,
    );
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "dispatch",
        json!({"group": "systems"}),
        T0 + 16 * MINUTE,
    );
    let accepted = T0 + 31 * MINUTE;
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "accept",
        json!({}),
        accepted,
    );
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "hold",
        json!({"reason": "vendor"}),
        T0 + HOUR,
    );
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "resume",
        json!({}),
        T0 + 3 * HOUR,
    );
    let handling = ticket.slas.iter().find(|c| c.sla == "handling").unwrap();
    assert_eq!(handling.due_at, accepted + 6 * HOUR, "4h plus 2h on hold");
    let resolved = step(
        desk,
        &mut ticket,
        &mut outcomes,
        "resolve",
        json!({"needs_change": true}),
        T0 + 6 * HOUR,
    );
    assert_eq!(resolved.instance.state, "change_notice");
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "file_change",
        json!({"change_ref": "CR-7"}),
        T0 + 7 * HOUR,
    );
    assert_eq!(ticket.state, "confirmation");

    let reply_due = due(&ticket, "sla:reply");
    let missed = fire(desk, &ticket, "sla:reply", reply_due);
    collect(&missed, &mut outcomes);
    ticket = missed.instance;
    step(
        desk,
        &mut ticket,
        &mut outcomes,
        "reply",
        json!({"message": "fixed"}),
        reply_due + MINUTE,
    );
    let closed = step(
        desk,
        &mut ticket,
        &mut outcomes,
        "confirm",
        json!({"satisfied": true}),
        T0 + 8 * HOUR,
    );
    assert_eq!(closed.instance.status, Status::Completed);

    assert_eq!(
        outcomes,
        [
            json!(["response", 1, "met", "service_desk"]),
            json!(["dispatch", 1, "met", "service_desk"]),
            json!(["dispatch", 2, "met", "service_desk"]),
            json!(["handling", 1, "met", "systems"]),
            json!(["reply", 1, "missed", "service_desk"]),
        ]
    );

    let complained = post(
        desk,
        &ticket,
        "complain",
        json!({"text": "slow"}),
        T0 + 9 * HOUR,
    );
    assert_eq!(complained.instance.state, "closed");
    assert_eq!(
        try_post(desk, &ticket, "cancel", json!({}), T0 + 9 * HOUR),
        Err(Rejection::InstanceEnded {
            status: Status::Completed
        })
    );
}
