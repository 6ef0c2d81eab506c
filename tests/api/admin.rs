//! Administration: stuck list, cancel / move / retry, reload, the clock.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, Options, spawn, spawn_with};

on_both!(
    stuck_instances_are_listed_with_reasons_and_filterable,
    cancel_and_move_are_audited_with_the_admin_as_actor,
    retry_answers_the_instance,
    reload_keeps_the_loaded_versions_when_a_file_is_invalid,
    the_clock_moves_forward_only_and_only_when_manual
);

async fn stuck_instances_are_listed_with_reasons_and_filterable(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    app.event(&id, "receive", json!({})).await;
    let fresh = app.create("T-2").await["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/admin/stuck").await.body, json!([]));
    app.advance("2d").await;

    let stuck = app.get("/v1/admin/stuck").await;
    assert_eq!(stuck.status, StatusCode::OK);
    let entry = stuck
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["instance"]["id"] == id.as_str())
        .cloned();
    let entry = entry.expect("the received instance is stuck");
    assert!(!entry["reasons"].as_array().unwrap().is_empty());
    assert!(entry["reasons"][0].is_string());

    let listed = app.get("/v1/instances?stuck=true&state=received").await;
    assert_eq!(listed.status, StatusCode::OK);
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    assert!(!ids.contains(&fresh.as_str()));
}

async fn cancel_and_move_are_audited_with_the_admin_as_actor(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let moved = app
        .post(
            &format!("/v1/instances/{id}/move"),
            json!({"to": "handling", "reason": "fix"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["state"], "handling");
    let nowhere = app
        .post(
            &format!("/v1/instances/{id}/move"),
            json!({"to": "limbo", "reason": "x"}),
        )
        .await;
    assert_eq!(
        nowhere.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        nowhere.body
    );

    let cancelled = app
        .post(
            &format!("/v1/instances/{id}/cancel"),
            json!({"reason": "duplicate"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(cancelled.body["status"], "cancelled");
    let twice = app
        .post(
            &format!("/v1/instances/{id}/cancel"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.problem(), "instance-ended");

    let history = app.get(&format!("/v1/instances/{id}/history")).await.body;
    let admin: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["kind"] == "admin")
        .collect();
    assert_eq!(admin.len(), 2, "{history}");
    assert!(admin.iter().all(|line| line["actor"] == "admin"));
    assert_eq!(admin[0]["to"], "handling");
}

async fn retry_answers_the_instance(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let retried = app
        .post(&format!("/v1/instances/{id}/retry"), json!({}))
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
    assert_eq!(retried.body["id"], id.as_str());
    let unknown = app
        .post(
            "/v1/instances/0195f0e0-0000-7000-8000-000000000000/retry",
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn reload_keeps_the_loaded_versions_when_a_file_is_invalid(backend: Backend) {
    let app = spawn(&backend).await;
    let folder = app.folder.path().join("workflows");
    std::fs::write(
        folder.join("broken.toml"),
        "id = \"broken\"\nversion = 1\ntitle = \"B\"\nstart = \"nowhere\"\n[states.a]\n",
    )
    .unwrap();
    let answer = app.post("/v1/admin/reload", json!({})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.problem(), "invalid-workflows");
    assert!(
        answer.body["errors"][0]
            .as_str()
            .unwrap()
            .contains("broken.toml"),
        "{:?}",
        answer.body
    );
    assert_eq!(
        app.get("/v1/workflows")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.create("T-1").await;

    std::fs::remove_file(folder.join("broken.toml")).unwrap();
    let source = std::fs::read_to_string(folder.join("ticket.toml")).unwrap();
    std::fs::write(
        folder.join("ticket.toml"),
        source.replace("version = 1", "version = 2"),
    )
    .unwrap();
    let reloaded = app.post("/v1/admin/reload", json!({})).await;
    assert_eq!(reloaded.status, StatusCode::OK, "{:?}", reloaded.body);
    assert_eq!(reloaded.body[0]["version"], 2);
    assert_eq!(
        app.get("/v1/workflows/ticket?version=1").await.body["version"],
        1
    );
    assert_eq!(app.get("/v1/workflows/ticket").await.body["version"], 2);
    assert_eq!(
        app.get("/v1/workflows/ticket/instances/T-1").await.body["version"],
        1
    );
}

async fn the_clock_moves_forward_only_and_only_when_manual(backend: Backend) {
    let app = spawn(&backend).await;
    let clock = app.get("/v1/admin/clock").await;
    assert_eq!(
        clock.body,
        json!({"now": "2026-10-01T08:00:00.000Z", "manual": true})
    );
    let set = app
        .post(
            "/v1/admin/clock",
            json!({"set": "2026-10-02T16:00:00+08:00"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(set.body["now"], "2026-10-02T08:00:00.000Z");
    let back = app
        .post("/v1/admin/clock", json!({"set": "2026-10-01T08:00:00Z"}))
        .await;
    assert_eq!(back.status, StatusCode::CONFLICT);
    assert_eq!(back.problem(), "clock-backwards");
    for bad in [
        json!({}),
        json!({"advance": "1d", "set": "2026-10-05T00:00:00Z"}),
        json!({"advance": "soon"}),
        json!({"advance": "1 month"}),
    ] {
        assert_eq!(
            app.post("/v1/admin/clock", bad.clone()).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        app.get("/v1/admin/clock").await.body["now"],
        "2026-10-02T08:00:00.000Z"
    );

    let system = spawn_with(
        &backend,
        Options {
            manual_clock: false,
            ..Options::default()
        },
    )
    .await;
    let clock = system.get("/v1/admin/clock").await;
    assert_eq!(clock.body["manual"], false);
    let refused = system.advance("1d").await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.problem(), "clock-not-manual");
}
