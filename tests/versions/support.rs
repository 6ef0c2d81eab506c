//! What the version tests share: the version-2 ticket and its plan.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use serde_json::{Value, json};

use flowkeeper::engine::Instance;
use uuid::Uuid;

use crate::helpers::TestApp;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/versions")
        .join(name)
}

/// The plan text of `ticket-1-to-2.toml`.
pub fn plan() -> String {
    std::fs::read_to_string(fixture("ticket-1-to-2.toml")).expect("the plan fixture")
}

/// Puts version 2 of `ticket` in the app's folder and reloads it.
pub async fn load_version_2(app: &TestApp) {
    std::fs::copy(
        fixture("ticket_v2.toml"),
        app.folder.path().join("workflows/ticket.toml"),
    )
    .expect("version 2 in place");
    let reloaded = app.post("/v1/admin/reload", json!({})).await;
    assert_eq!(reloaded.status, StatusCode::OK, "{:?}", reloaded.body);
}

/// Creates a ticket with `data` and returns its id.
pub async fn create(app: &TestApp, key: &str, data: Value) -> String {
    let answer = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": key, "data": data}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// Everything stored of an instance: the row as the store loads it (state,
/// data, revision, timers, SLA cycles) and its history as the API shows it.
pub async fn snapshot(app: &TestApp, id: &str) -> (Instance, Value) {
    let uuid = Uuid::parse_str(id).expect("an instance id");
    let instance = app
        .store
        .get_instance(uuid)
        .await
        .expect("the store answers")
        .expect("the instance exists");
    let history = app.get(&format!("/v1/instances/{id}/history")).await;
    (instance, history.body)
}
