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

#[tokio::test]
async fn the_refusals_are_counted_and_the_endpoints_documented() {
    let app = spawn(&Backend::Sqlite).await;
    let file = app.folder.path().join("workflows/ticket.toml");
    std::fs::write(&file, "id = \"ticket\"\nversion = \"two\"\n").unwrap();
    let answer = app.post("/v1/admin/reload", json!({})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let metrics = app.get("/metrics").await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    let counted = text
        .lines()
        .find(|line| line.starts_with("flowkeeper_reload_errors_total"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse::<f64>().ok());
    assert!(counted.is_some_and(|count| count >= 1.0), "{text}");

    let document = app.get("/openapi.json").await.body;
    for (method, path) in [
        ("get", "/v1/workflows/{id}/versions"),
        ("post", "/v1/admin/migrations"),
        ("post", "/v1/admin/batch"),
    ] {
        let operation = &document["paths"][path][method];
        assert!(operation["responses"]["200"].is_object(), "{method} {path}");
        assert!(operation["responses"]["401"].is_object(), "{method} {path}");
    }
}

/// The folder watcher reloads once a change settled, not on every poll.
#[tokio::test]
async fn the_watcher_reloads_once_per_settled_change() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("a.toml"), "version = 1").unwrap();
    let reloads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reloads);
    let watcher = tokio::spawn(flowkeeper::versions::watch::watch(
        folder.path().to_path_buf(),
        Duration::from_millis(20),
        move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        },
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(reloads.load(Ordering::SeqCst), 0, "nothing changed yet");
    std::fs::write(folder.path().join("a.toml"), "version = 2").unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(5), async {
        while reloads.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the change was noticed");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(reloads.load(Ordering::SeqCst), 1, "one reload per change");
    watcher.abort();
}
