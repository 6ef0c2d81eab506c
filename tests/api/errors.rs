//! Every error status of the contract, as problem+json, and the promise that
//! a rejected request changes nothing.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{ADMIN, Backend, Options, spawn, spawn_with};

on_both!(
    malformed_json_is_400_and_wrong_content_type_415,
    a_body_over_the_limit_is_413,
    unknown_query_parameters_and_values_are_400,
    unknown_things_are_404_and_wrong_methods_405,
    an_event_not_allowed_is_409_listing_the_allowed_ones_and_changes_nothing,
    invalid_data_is_422_naming_the_fields,
    every_guard_false_is_422_and_an_ended_instance_409,
    garbage_never_produces_a_server_error
);

fn post_raw(path: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"));
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

async fn malformed_json_is_400_and_wrong_content_type_415(backend: Backend) {
    let app = spawn(&backend).await;
    let answer = app
        .raw(post_raw(
            "/v1/instances",
            Some("application/json"),
            "{\"workflow\": ",
        ))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.content_type(), "application/problem+json");
    assert_eq!(answer.body["status"], 400);
    assert!(answer.body["title"].is_string() && answer.body["detail"].is_string());

    let wrong_shape = app
        .raw(post_raw(
            "/v1/instances",
            Some("application/json"),
            "{\"workflow\": 5}",
        ))
        .await;
    assert_eq!(
        wrong_shape.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        wrong_shape.body
    );
    let unknown_member = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "K", "data": {"level": 1}, "colour": "red"}),
        )
        .await;
    assert_eq!(unknown_member.status, StatusCode::BAD_REQUEST);

    let text = app
        .raw(post_raw("/v1/instances", Some("text/plain"), "{}"))
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(text.content_type(), "application/problem+json");
    let none = app.raw(post_raw("/v1/instances", None, "{}")).await;
    assert_eq!(none.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(app.get("/v1/instances").await.body["items"], json!([]));
}

async fn a_body_over_the_limit_is_413(backend: Backend) {
    let app = spawn_with(
        &backend,
        Options {
            max_body: 1024,
            ..Options::default()
        },
    )
    .await;
    let big = json!({"workflow": "ticket", "key": "K", "data": {"level": 1, "summary": "x".repeat(2048)}});
    let answer = app
        .raw(post_raw(
            "/v1/instances",
            Some("application/json"),
            big.to_string(),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.content_type(), "application/problem+json");
    let small = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "K", "data": {"level": 1}}),
        )
        .await;
    assert_eq!(small.status, StatusCode::CREATED);
}

async fn unknown_query_parameters_and_values_are_400(backend: Backend) {
    let app = spawn(&backend).await;
    for query in [
        "status=sleeping",
        "limit=0",
        "limit=501",
        "limit=many",
        "cursor=xyz",
        "stuck=maybe",
        "colour=red",
    ] {
        let answer = app.get(&format!("/v1/instances?{query}")).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            answer.body
        );
        assert_eq!(answer.content_type(), "application/problem+json");
    }
}

async fn unknown_things_are_404_and_wrong_methods_405(backend: Backend) {
    let app = spawn(&backend).await;
    for path in [
        "/v1/instances/0195f0e0-0000-7000-8000-000000000000",
        "/v1/instances/not-a-uuid",
        "/v1/instances/not-a-uuid/history",
        "/v1/workflows/nope",
        "/v1/nothing-here",
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.content_type(), "application/problem+json");
    }
    let create = app
        .post("/v1/instances", json!({"workflow": "nope", "key": "K"}))
        .await;
    assert_eq!(create.status, StatusCode::NOT_FOUND);
    let event = app
        .post(
            "/v1/instances/0195f0e0-0000-7000-8000-000000000000/events",
            json!({"event": "receive"}),
        )
        .await;
    assert_eq!(event.status, StatusCode::NOT_FOUND);
    let by_key = app
        .post(
            "/v1/workflows/ticket/instances/none/events",
            json!({"event": "receive"}),
        )
        .await;
    assert_eq!(by_key.status, StatusCode::NOT_FOUND);
    let undecodable = app.get("/v1/instances/%FF%FE").await;
    assert_eq!(undecodable.status, StatusCode::BAD_REQUEST);
    assert_eq!(undecodable.content_type(), "application/problem+json");
    let wrong = app
        .send(Method::DELETE, "/v1/workflows", Some(ADMIN), None)
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.content_type(), "application/problem+json");
}

async fn an_event_not_allowed_is_409_listing_the_allowed_ones_and_changes_nothing(
    backend: Backend,
) {
    let app = spawn(&backend).await;
    let instance = app.create("T-1").await;
    let id = instance["id"].as_str().unwrap();
    let answer = app.event(id, "accept", json!({})).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.problem(), "event-not-allowed");
    assert_eq!(answer.body["allowed"], json!(["receive"]));
    let unknown = app.event(id, "teleport", json!({})).await;
    assert_eq!(unknown.status, StatusCode::CONFLICT);
    assert_eq!(app.get(&format!("/v1/instances/{id}")).await.body, instance);
    assert_eq!(
        app.get(&format!("/v1/instances/{id}/history"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn invalid_data_is_422_naming_the_fields(backend: Backend) {
    let app = spawn(&backend).await;
    let missing = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "K", "data": {}}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.problem(), "invalid-data");
    assert!(
        missing.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|error| error["path"].as_str().unwrap().contains("level"))
    );
    let wrong_type = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "K", "data": {"level": "high"}}),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    let out_of_range = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "K", "data": {"level": 9}}),
        )
        .await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/v1/instances").await.body["items"], json!([]));

    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    app.event(&id, "receive", json!({})).await;
    let event = app.event(&id, "dispatch", json!({})).await;
    assert_eq!(event.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        event.body["errors"][0]["path"]
            .as_str()
            .unwrap()
            .contains("group"),
        "{:?}",
        event.body
    );
    assert_eq!(
        app.get(&format!("/v1/instances/{id}")).await.body["state"],
        "received"
    );
}

async fn every_guard_false_is_422_and_an_ended_instance_409(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    app.event(&id, "receive", json!({})).await;
    app.event(&id, "dispatch", json!({"group": "net"})).await;
    app.event(&id, "accept", json!({})).await;
    let unfixed = app.event(&id, "resolve", json!({"fixed": false})).await;
    assert_eq!(unfixed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unfixed.problem(), "no-guard-holds");
    assert_eq!(
        app.get(&format!("/v1/instances/{id}")).await.body["state"],
        "handling"
    );
    let fixed = app.event(&id, "resolve", json!({"fixed": true})).await;
    assert_eq!(fixed.body["instance"]["status"], "completed");
    let after = app.event(&id, "accept", json!({})).await;
    assert_eq!(after.status, StatusCode::CONFLICT);
    assert_eq!(after.problem(), "instance-ended");
}

async fn garbage_never_produces_a_server_error(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let bodies = [
        "",
        "null",
        "[]",
        "\"text\"",
        "{\"event\": null}",
        "{\"event\": \"receive\", \"data\": []}",
        "{\"event\": \"receive\", \"data\": {\"level\": 1e400}}",
        "{\"event\": \"receive\", \"id\": 5}",
        "\u{0}\u{1}",
        "{\"event\": \"\"}",
    ];
    for path in [
        "/v1/instances".to_owned(),
        format!("/v1/instances/{id}/events"),
        "/v1/admin/clock".to_owned(),
    ] {
        for body in bodies {
            let answer = app
                .raw(post_raw(&path, Some("application/json"), body))
                .await;
            assert!(
                answer.status.is_client_error() || answer.status.is_success(),
                "{path} {body:?}: {:?}",
                answer
            );
            assert_ne!(answer.status, StatusCode::CREATED, "{path} {body:?}");
        }
    }
}
