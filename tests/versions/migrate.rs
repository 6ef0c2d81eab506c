//! Migration plans over the API: due instants kept, unmappable instances
//! untouched, dry runs that change nothing, events racing a migration.

use std::sync::Arc;

use axum::http::StatusCode;
use flowkeeper::engine::Fires;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, HOUR, START, spawn};
use crate::support::{create, load_version_2, plan, snapshot};

on_both!(
    a_migration_keeps_the_timer_and_sla_due_instants,
    an_unmappable_instance_is_untouched_and_a_dry_run_changes_nothing,
    an_invalid_plan_is_refused_with_positions,
    events_racing_a_migration_are_never_lost,
);

async fn migrate(app: &crate::helpers::TestApp, dry_run: bool) -> Value {
    let answer = app
        .post(
            "/v1/admin/migrations",
            json!({"plan": plan(), "dry_run": dry_run}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

async fn a_migration_keeps_the_timer_and_sla_due_instants(backend: Backend) {
    let app = spawn(&backend).await;
    // Created at START: the response clock (4 h in v1) runs from START;
    // received an hour later, the 7-day expiry timer is due START + 1 h + 7 d.
    let id = create(&app, "T-1", json!({"level": 2})).await;
    app.advance("1h").await;
    let received = app.event(&id, "receive", json!({})).await;
    assert_eq!(received.status, StatusCode::OK, "{:?}", received.body);
    app.advance("1h").await;
    load_version_2(&app).await;

    let report = migrate(&app, false).await;
    assert_eq!(report["migrated"], 1, "{report:?}");
    assert_eq!(report["refused"], json!([]));
    assert_eq!(report["instances"][0]["from_state"], "received");
    assert_eq!(report["instances"][0]["to_state"], "triage");

    let (instance, history) = snapshot(&app, &id).await;
    assert_eq!(instance.version, 2);
    assert_eq!(instance.state, "triage");
    assert_eq!(instance.data["priority"], "high");
    let expiry = instance
        .timers
        .iter()
        .find(|t| t.name == "expiry")
        .expect("expiry kept");
    assert_eq!(expiry.due_at, START + HOUR + 7 * 24 * HOUR);
    assert_eq!(expiry.fires, Fires::Event("expire".into()));
    let response = instance
        .slas
        .iter()
        .find(|c| c.sla == "response")
        .expect("cycle kept");
    assert_eq!(response.started_at, START);
    // 4 h from the start, although version 2 allows 8 h.
    assert_eq!(response.due_at, START + 4 * HOUR);
    let deadline = instance
        .timers
        .iter()
        .find(|t| t.name == "sla:response")
        .expect("deadline");
    assert_eq!(deadline.due_at, START + 4 * HOUR + 1);

    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "admin");
    assert_eq!(last["from"], "received");
    assert_eq!(last["to"], "triage");
    assert_eq!(last["actor"], "admin");
    assert_eq!(last["data"]["migrated"], json!({"from": 1, "to": 2}));

    let audit = app
        .get(&format!(
            "/v1/admin/audit?action=instance.migrate&target=instance:{id}"
        ))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    assert_eq!(
        audit.body["items"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        audit.body
    );

    // The kept timer still fires on version 2, at its original instant.
    app.advance("7d").await;
    let (expired, _) = snapshot(&app, &id).await;
    assert_eq!(expired.state, "expired");
}

async fn an_unmappable_instance_is_untouched_and_a_dry_run_changes_nothing(backend: Backend) {
    let app = spawn(&backend).await;
    let good = create(&app, "T-1", json!({"level": 1})).await;
    // Level 3 without a group: the plan's `priority` cannot be computed.
    let bad = create(&app, "T-2", json!({"level": 3})).await;
    app.event(&bad, "receive", json!({})).await;
    load_version_2(&app).await;
    let good_before = snapshot(&app, &good).await;
    let bad_before = snapshot(&app, &bad).await;

    let dry = migrate(&app, true).await;
    assert_eq!(dry["migrated"], 1, "{dry:?}");
    assert_eq!(dry["refused"][0]["id"], bad.as_str());
    assert_eq!(
        snapshot(&app, &good).await,
        good_before,
        "a dry run changes nothing"
    );
    assert_eq!(snapshot(&app, &bad).await, bad_before);

    let real = migrate(&app, false).await;
    assert_eq!(real["migrated"], 1, "{real:?}");
    let refused = &real["refused"][0];
    assert_eq!(refused["id"], bad.as_str());
    assert!(
        refused["reason"].as_str().unwrap().contains("data.group"),
        "{refused:?}"
    );
    assert_eq!(
        snapshot(&app, &bad).await,
        bad_before,
        "left exactly as it was"
    );
    assert_eq!(snapshot(&app, &good).await.0.version, 2);
}

async fn an_invalid_plan_is_refused_with_positions(backend: Backend) {
    let app = spawn(&backend).await;
    let id = create(&app, "T-1", json!({"level": 1})).await;
    app.event(&id, "receive", json!({})).await;
    load_version_2(&app).await;
    let before = snapshot(&app, &id).await;
    let plan = "workflow = \"ticket\"\nfrom = 1\nto = 2\n[states]\nnew = \"triagee\"\n[data]\npriority = \"data.levle > \"\n";
    let answer = app
        .post("/v1/admin/migrations", json!({"plan": plan}))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.problem(), "invalid-plan");
    let errors: Vec<&str> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("plan.toml:5:7: version 2 has no state `triagee`")),
        "{errors:?}"
    );
    // `received` is gone in version 2 and a live instance stands there.
    assert!(
        errors
            .iter()
            .any(|e| e.contains("state `received` is gone")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("plan.toml:7:")),
        "{errors:?}"
    );
    assert_eq!(snapshot(&app, &id).await, before);

    let unknown = app
        .post(
            "/v1/admin/migrations",
            json!({"plan": {"workflow": "ticket", "from": 1, "to": 9}}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = unknown.body["errors"][0].as_str().unwrap();
    assert!(
        message.contains("version 9 of `ticket` is not known"),
        "{message}"
    );

    // An object without a plan's keys is an invalid plan, as a file
    // without them would be, not a malformed request.
    let keyless = app.post("/v1/admin/migrations", json!({"plan": {}})).await;
    assert_eq!(keyless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(keyless.problem(), "invalid-plan");
    let message = keyless.body["errors"][0].as_str().unwrap();
    assert!(message.contains("missing field `workflow`"), "{message}");
    assert_eq!(snapshot(&app, &id).await, before);
}

/// Dispatches race a migration of the same instances: each instance ends
/// up dispatched exactly once, on one version or the other.
async fn events_racing_a_migration_are_never_lost(backend: Backend) {
    let app = Arc::new(spawn(&backend).await);
    let mut ids = Vec::new();
    for n in 0..30 {
        let id = create(&app, &format!("T-{n}"), json!({"level": 1})).await;
        app.event(&id, "receive", json!({})).await;
        ids.push(id);
    }
    load_version_2(&app).await;
    let migration = {
        let app = Arc::clone(&app);
        tokio::spawn(async move { migrate(&app, false).await })
    };
    let mut events = Vec::new();
    for id in &ids {
        let app = Arc::clone(&app);
        let id = id.clone();
        events.push(tokio::spawn(async move {
            app.event(&id, "dispatch", json!({"group": "net"}))
                .await
                .status
        }));
    }
    for event in events {
        assert_eq!(event.await.unwrap(), StatusCode::OK);
    }
    let report = migration.await.unwrap();
    assert_eq!(report["refused"], json!([]), "{report:?}");
    for id in &ids {
        let (instance, history) = snapshot(&app, id).await;
        assert_eq!(instance.state, "dispatched", "{id}");
        let dispatches = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|line| line["event"] == "dispatch")
            .count();
        assert_eq!(dispatches, 1, "{id}: {history:?}");
        let migrated = history
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line["data"]["migrated"].is_object());
        assert_eq!(migrated, instance.version == 2, "{id}");
        assert!(Uuid::parse_str(id).is_ok());
    }
}
