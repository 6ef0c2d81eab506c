//! `/v1/workflows`: listing, definition JSON, graphs.

use axum::http::StatusCode;

use crate::helpers::{Backend, spawn};

on_both!(
    lists_loaded_workflows_with_their_states,
    the_definition_is_the_file_as_json,
    graphs_come_as_mermaid_dot_or_svg
);

async fn lists_loaded_workflows_with_their_states(backend: Backend) {
    let app = spawn(&backend).await;
    let answer = app.get("/v1/workflows").await;
    assert_eq!(answer.status, StatusCode::OK);
    let ticket = &answer.body[0];
    assert_eq!(ticket["id"], "ticket");
    assert_eq!(ticket["version"], 1);
    assert_eq!(ticket["title"], "Test ticket");
    assert_eq!(ticket["start"], "new");
    assert_eq!(ticket["states"][0], "new");
    assert!(
        ticket["states"]
            .as_array()
            .unwrap()
            .iter()
            .any(|state| state == "closed")
    );
}

async fn the_definition_is_the_file_as_json(backend: Backend) {
    let app = spawn(&backend).await;
    let answer = app.get("/v1/workflows/ticket").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["id"], "ticket");
    assert_eq!(answer.body["timers"]["expiry"]["after"], "7d");
    assert_eq!(answer.body["data"]["level"]["required"], true);
    assert_eq!(
        app.get("/v1/workflows/ticket?version=1").await.body["version"],
        1
    );
    assert_eq!(
        app.get("/v1/workflows/ticket?version=9").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/workflows/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/workflows/ticket?version=x").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/v1/workflows/ticket?colour=red").await.status,
        StatusCode::BAD_REQUEST
    );
}

async fn graphs_come_as_mermaid_dot_or_svg(backend: Backend) {
    let app = spawn(&backend).await;
    let mermaid = app.get("/v1/workflows/ticket/graph").await;
    assert_eq!(mermaid.status, StatusCode::OK);
    assert!(
        mermaid.body.as_str().unwrap().contains("stateDiagram"),
        "{:?}",
        mermaid.body
    );
    let dot = app.get("/v1/workflows/ticket/graph?format=dot").await;
    assert!(dot.body.as_str().unwrap().contains("digraph"));
    let svg = app.get("/v1/workflows/ticket/graph?format=svg").await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(
        svg.body.as_str().unwrap().contains("<svg"),
        "{:?}",
        svg.body
    );
    assert_eq!(
        app.get("/v1/workflows/ticket/graph?format=png")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}
