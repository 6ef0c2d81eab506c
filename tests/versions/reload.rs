//! Reloading: a broken file keeps the last good version serving, a changed
//! file under the same `version` is refused, the versions are listed.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, spawn};
use crate::support::{create, load_version_2};

on_both!(
    a_broken_file_keeps_the_old_version_serving,
    changed_content_under_the_same_version_is_refused,
    versions_are_listed_with_their_active_instances,
);

async fn a_broken_file_keeps_the_old_version_serving(backend: Backend) {
    let app = spawn(&backend).await;
    let file = app.folder.path().join("workflows/ticket.toml");
    let good = std::fs::read_to_string(&file).unwrap();
    let broken = good.replace(
        "version = 1",
        "version = 2\n[states.new.on]\nreceive = \"nowhere\"",
    );
    std::fs::write(&file, broken).unwrap();

    let answer = app.post("/v1/admin/reload", json!({})).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.problem(), "invalid-workflows");
    let errors = answer.body["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|error| {
            let error = error.as_str().unwrap();
            error.contains("ticket.toml:")
                && error
                    .split(':')
                    .nth(1)
                    .is_some_and(|line| line.parse::<u32>().is_ok())
        }),
        "{errors:?}"
    );
    assert_eq!(
        answer.body["files"][0]["file"]
            .as_str()
            .map(|f| f.ends_with("ticket.toml")),
        Some(true)
    );

    let workflow = app.get("/v1/workflows/ticket").await;
    assert_eq!(workflow.status, StatusCode::OK);
    assert_eq!(workflow.body["version"], 1);
    create(&app, "T-1", json!({"level": 2})).await;
}

async fn changed_content_under_the_same_version_is_refused(backend: Backend) {
    let app = spawn(&backend).await;
    let file = app.folder.path().join("workflows/ticket.toml");
    let good = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        good.replace("title = \"Test ticket\"", "title = \"Renamed\""),
    )
    .unwrap();

    let answer = app.post("/v1/admin/reload", json!({})).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    let error = answer.body["errors"][0].as_str().unwrap().to_owned();
    assert!(error.contains("versions are immutable"), "{error}");
    assert!(
        error.contains("ticket.toml:4:"),
        "points at `version`: {error}"
    );
    let workflow = app.get("/v1/workflows/ticket").await;
    assert_eq!(workflow.body["title"], "Test ticket");
}

async fn versions_are_listed_with_their_active_instances(backend: Backend) {
    let app = spawn(&backend).await;
    create(&app, "T-1", json!({"level": 2})).await;
    create(&app, "T-2", json!({"level": 2})).await;
    load_version_2(&app).await;
    create(&app, "T-3", json!({"level": 2, "priority": "high"})).await;

    let versions = app.get("/v1/workflows/ticket/versions").await;
    assert_eq!(versions.status, StatusCode::OK, "{:?}", versions.body);
    let listed: Vec<(u64, u64)> = versions
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["active_instances"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [(1, 2), (2, 1)]);
    assert_eq!(versions.body[0]["hash"].as_str().map(str::len), Some(64));
    assert!(
        versions.body[0]["loaded_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let unknown = app.get("/v1/workflows/nope/versions").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
