//! Health, readiness and metrics. (`flowkeeper_timer_lag_seconds` is
//! measured by the system-clock timer loop, which these in-process tests
//! do not run.)

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, spawn};

on_both!(
    health_and_readiness_answer_without_a_token,
    metrics_count_events_requests_and_timers
);

async fn health_and_readiness_answer_without_a_token(backend: Backend) {
    let app = spawn(&backend).await;
    let health = app.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.body, json!({"status": "ok"}));
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body, json!({"status": "ok"}));
}

async fn metrics_count_events_requests_and_timers(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("M-1").await["id"].as_str().unwrap().to_owned();
    app.event(&id, "receive", json!({})).await;
    app.event(&id, "accept", json!({})).await;
    app.advance("7d").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.content_type().starts_with("text/plain"));
    let text = metrics.body.as_str().unwrap();
    for expected in [
        "flowkeeper_events_total{workflow=\"ticket\",outcome=\"applied\"}",
        "flowkeeper_events_total{workflow=\"ticket\",outcome=\"rejected\"}",
        "flowkeeper_http_request_duration_seconds_bucket",
        "route=\"/v1/instances/{id}/events\"",
        "flowkeeper_timers_fired_total",
        "flowkeeper_stuck_instances",
        "flowkeeper_outbox_backlog",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}
