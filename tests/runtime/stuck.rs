//! The stuck list and its reasons.

use flowkeeper::engine::{Outcome, SlaCycle};
use flowkeeper::runtime::{StuckReason, Target};
use flowkeeper::store::Store;
use serde_json::Map;
use uuid::Uuid;

use crate::support::{DAY, HOUR, START, TICKET_V2, actor, definition, harness};

on_both!(stuck_reasons);

fn reasons_of(stuck: &[flowkeeper::runtime::StuckInstance], id: Uuid) -> Vec<StuckReason> {
    stuck
        .iter()
        .find(|instance| instance.id == id)
        .map(|instance| instance.reasons.clone())
        .unwrap_or_default()
}

async fn stuck_reasons(store: Store) {
    let h = harness(store).await;
    let create = |key: &'static str| {
        let runtime = h.runtime.clone();
        async move {
            runtime
                .create("ticket", key, Map::new(), &actor("svc"), None)
                .await
                .unwrap()
        }
    };
    let idle = create("idle").await;
    let incident = create("incident").await;
    let overdue = create("overdue").await;
    let sla = create("sla").await;
    let orphan = create("orphan").await;
    for id in [incident.id, overdue.id, sla.id, orphan.id] {
        h.runtime
            .post_event(&Target::Id(id), "wait", Map::new(), &actor("svc"), None)
            .await
            .unwrap();
    }
    h.runtime
        .create("review", "incident", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    // Blocked spawn: the incident instance moves on, with an incident.
    let escalated = create("incident-2").await;
    h.runtime
        .create("review", "incident-2", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    h.runtime
        .post_event(
            &Target::Id(escalated.id),
            "escalate",
            Map::new(),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();

    let v2 = definition(TICKET_V2);
    h.store
        .save_definition(&v2.source.hash, "ticket", 2, &v2.source.text, START)
        .await
        .unwrap();
    // An SLA cycle due in one hour, written as the engine would.
    let mut tx = h.store.begin().await.unwrap();
    let mut current = tx.load_instance(sla.id).await.unwrap().unwrap();
    let revision = current.revision;
    let cycle = SlaCycle {
        sla: "response".into(),
        cycle: 1,
        started_at: START,
        due_at: START + HOUR,
        paused_at: None,
        outcome: None,
        role: None,
        stopped_at: None,
        calendar: None,
    };
    current.slas.push(cycle.clone());
    let outcome = Outcome {
        instance: current,
        history: Vec::new(),
        transition: None,
        timers_set: Vec::new(),
        timers_cancelled: Vec::new(),
        sla_changes: vec![cycle],
        effects: Vec::new(),
    };
    tx.commit_outcome(&outcome, Some(revision)).await.unwrap();
    // The orphan is migrated to version 2, which has no `waiting` state.
    let mut moved = tx.load_instance(orphan.id).await.unwrap().unwrap();
    let revision = moved.revision;
    moved.version = 2;
    moved.definition_hash = v2.source.hash.as_str().into();
    moved.timers.clear();
    let migrate = Outcome {
        instance: moved,
        timers_cancelled: vec!["reminder".into()],
        sla_changes: Vec::new(),
        ..outcome
    };
    tx.commit_outcome(&migrate, Some(revision)).await.unwrap();
    tx.commit().await.unwrap();

    let now = h.runtime.stuck().await.unwrap();
    assert_eq!(reasons_of(&now, idle.id), Vec::new(), "fresh");
    assert_eq!(reasons_of(&now, orphan.id), vec![StuckReason::NoWayOut]);
    assert_eq!(
        reasons_of(&now, escalated.id),
        vec![StuckReason::OpenIncidents { count: 1 }]
    );

    // Eight days on, without firing anything (the runner was down).
    h.clock.set(START + 8 * DAY);
    let later = h.runtime.stuck().await.unwrap();
    assert_eq!(
        reasons_of(&later, idle.id),
        vec![StuckReason::Idle {
            since: START,
            stuck_after: HOUR
        }]
    );
    let overdue_reasons = reasons_of(&later, overdue.id);
    assert_eq!(
        overdue_reasons,
        vec![StuckReason::TimerOverdue {
            due_at: START + 7 * DAY
        }]
    );
    assert!(
        reasons_of(&later, sla.id).contains(&StuckReason::SlaOverdue {
            sla: "response".into(),
            cycle: 1,
            due_at: START + HOUR
        }),
        "{later:?}"
    );
    // Firing the overdue timers clears that reason.
    h.runtime.fire_due_timers().await.unwrap();
    let fired = h.runtime.stuck().await.unwrap();
    assert!(
        !reasons_of(&fired, overdue.id)
            .iter()
            .any(|reason| matches!(reason, StuckReason::TimerOverdue { .. }))
    );
}
