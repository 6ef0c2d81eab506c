//! Instances: create, read, list, events, idempotency and history.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, Backend, TestApp, spawn};

on_both!(
    create_answers_201_with_the_instance_shape_of_the_contract,
    events_move_the_instance_and_report_the_transition,
    a_business_key_finds_the_live_instance_else_the_newest,
    listing_filters_and_pages_with_a_cursor,
    a_repeated_create_with_the_same_idempotency_key_returns_the_first_answer,
    a_repeated_event_id_returns_the_first_answer_and_applies_nothing,
    the_manual_clock_fires_a_seven_day_timer_and_history_shows_everything,
    an_sla_met_in_time_is_recorded_as_met,
    the_idempotency_key_header_stands_in_for_a_missing_event_id
);

fn is_utc_millis(text: &Value) -> bool {
    let text = text.as_str().unwrap_or("");
    text.len() == 24 && text.ends_with('Z') && text.as_bytes()[19] == b'.'
}

async fn create_answers_201_with_the_instance_shape_of_the_contract(backend: Backend) {
    let app = spawn(&backend).await;
    let instance = app.create("T-1").await;
    for member in [
        "id",
        "workflow",
        "version",
        "key",
        "state",
        "status",
        "data",
        "created_at",
        "updated_at",
        "timers",
        "slas",
        "allowed_events",
        "incident",
    ] {
        assert!(
            instance.get(member).is_some(),
            "missing {member}: {instance}"
        );
    }
    assert_eq!(instance["workflow"], "ticket");
    assert_eq!(instance["key"], "T-1");
    assert_eq!(instance["state"], "new");
    assert_eq!(instance["status"], "active");
    assert_eq!(instance["data"]["level"], 2);
    assert_eq!(instance["created_at"], "2026-10-01T08:00:00.000Z");
    assert!(is_utc_millis(&instance["updated_at"]));
    assert_eq!(instance["allowed_events"], json!(["receive"]));
    assert_eq!(instance["incident"], Value::Null);
    assert_eq!(instance["slas"][0]["name"], "response");
    assert_eq!(instance["slas"][0]["due_at"], "2026-10-01T12:00:00.000Z");
    assert_eq!(instance["slas"][0]["paused"], false);
    assert_eq!(
        uuid::Uuid::parse_str(instance["id"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        7
    );

    let id = instance["id"].as_str().unwrap();
    let read = app.get(&format!("/v1/instances/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, instance);
}

async fn events_move_the_instance_and_report_the_transition(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let answer = app.event(&id, "receive", json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["instance"]["state"], "received");
    assert_eq!(answer.body["transition"]["event"], "receive");
    assert_eq!(answer.body["transition"]["from"], "new");
    assert_eq!(answer.body["transition"]["to"], "received");
    assert!(is_utc_millis(&answer.body["transition"]["at"]));
    let timers = &answer.body["instance"]["timers"];
    assert_eq!(timers[0]["name"], "expiry");
    assert_eq!(timers[0]["event"], "expire");
    assert_eq!(timers[0]["due_at"], "2026-10-08T08:00:00.000Z");

    let by_key = app
        .post(
            "/v1/workflows/ticket/instances/T-1/events",
            json!({"event": "dispatch", "data": {"group": "net"}}),
        )
        .await;
    assert_eq!(by_key.status, StatusCode::OK, "{:?}", by_key.body);
    assert_eq!(by_key.body["instance"]["id"], id.as_str());
    assert_eq!(by_key.body["instance"]["state"], "dispatched");
    assert_eq!(by_key.body["instance"]["data"]["group"], "net");
    assert_eq!(by_key.body["instance"]["timers"], json!([]));
}

async fn a_business_key_finds_the_live_instance_else_the_newest(backend: Backend) {
    let app = spawn(&backend).await;
    let first = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let taken = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "T-1", "data": {"level": 1}}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.problem(), "key-in-use");

    let cancel = app
        .post(
            &format!("/v1/instances/{first}/cancel"),
            json!({"reason": "duplicate"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK);
    assert_eq!(
        app.get("/v1/workflows/ticket/instances/T-1").await.body["id"],
        first.as_str()
    );

    let second = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let found = app.get("/v1/workflows/ticket/instances/T-1").await;
    assert_eq!(found.body["id"], second.as_str());
    assert_eq!(
        app.get("/v1/workflows/ticket/instances/T-404").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/workflows/nope/instances/T-1").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn listing_filters_and_pages_with_a_cursor(backend: Backend) {
    let app = spawn(&backend).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            app.create(&format!("T-{n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.event(&ids[0], "receive", json!({})).await;
    app.post(
        &format!("/v1/instances/{}/cancel", ids[1]),
        json!({"reason": "test"}),
    )
    .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/instances?workflow=ticket&limit=2&cursor={cursor}"),
            None => "/v1/instances?workflow=ticket&limit=2".to_owned(),
        };
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let received = app.get("/v1/instances?state=received").await;
    assert_eq!(received.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(received.body["items"][0]["id"], ids[0].as_str());
    let cancelled = app.get("/v1/instances?status=cancelled").await;
    assert_eq!(cancelled.body["items"][0]["id"], ids[1].as_str());
    assert_eq!(cancelled.body["next_cursor"], Value::Null);
    let by_key = app.get("/v1/instances?key=T-3").await;
    assert_eq!(by_key.body["items"][0]["id"], ids[3].as_str());
}

async fn a_repeated_create_with_the_same_idempotency_key_returns_the_first_answer(
    backend: Backend,
) {
    let app = spawn(&backend).await;
    let body = json!({"workflow": "ticket", "key": "T-9", "data": {"level": 3}});
    let first = create_with_key(&app, "req-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = create_with_key(&app, "req-1", &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    let listed = app.get("/v1/instances?key=T-9").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    let different = json!({"workflow": "ticket", "key": "T-9", "data": {"level": 4}});
    let mismatch = create_with_key(&app, "req-1", &different).await;
    assert_eq!(mismatch.status, StatusCode::CONFLICT);
    assert_eq!(mismatch.problem(), "idempotency-mismatch");
}

async fn create_with_key(app: &TestApp, key: &str, body: &Value) -> crate::helpers::Answer {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/instances")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.raw(request).await
}

async fn a_repeated_event_id_returns_the_first_answer_and_applies_nothing(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/instances/{id}/events");
    let first = app
        .post(&path, json!({"event": "receive", "id": "evt-1"}))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let again = app
        .post(&path, json!({"event": "receive", "id": "evt-1"}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["transition"], first.body["transition"]);
    assert_eq!(again.body["instance"]["state"], "received");
    let other = app
        .post(
            &path,
            json!({"event": "dispatch", "data": {"group": "x"}, "id": "evt-1"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert_eq!(other.problem(), "idempotency-mismatch");

    let history = app.get(&format!("/v1/instances/{id}/history")).await;
    let events = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["kind"] == "event")
        .count();
    assert_eq!(events, 1, "{:?}", history.body);
}

async fn the_manual_clock_fires_a_seven_day_timer_and_history_shows_everything(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    app.event(&id, "receive", json!({})).await;
    let early = app.advance("6d").await;
    assert_eq!(early.status, StatusCode::OK, "{:?}", early.body);
    assert_eq!(
        app.get(&format!("/v1/instances/{id}")).await.body["state"],
        "received"
    );

    let clock = app.advance("1d").await;
    assert_eq!(clock.body["now"], "2026-10-08T08:00:00.000Z");
    assert_eq!(clock.body["manual"], true);
    let instance = app.get(&format!("/v1/instances/{id}")).await.body;
    assert_eq!(instance["state"], "expired");
    assert_eq!(instance["status"], "completed");
    assert_eq!(instance["allowed_events"], json!([]));

    let history = app.get(&format!("/v1/instances/{id}/history")).await.body;
    let lines = history.as_array().unwrap();
    let seqs: Vec<i64> = lines
        .iter()
        .map(|line| line["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");
    assert_eq!(lines[0]["kind"], "created");
    let timer = lines
        .iter()
        .find(|line| line["kind"] == "timer")
        .expect("a timer line");
    assert_eq!(timer["event"], "expire");
    assert_eq!(timer["from"], "received");
    assert_eq!(timer["to"], "expired");
    assert_eq!(timer["at"], "2026-10-08T08:00:00.000Z");
    let sla = lines
        .iter()
        .find(|line| line["kind"] == "sla")
        .expect("an sla line");
    assert_eq!(sla["data"]["sla"], "response");
    assert_eq!(sla["data"]["outcome"], "missed");
    assert_eq!(sla["data"]["role"], "desk");
    for line in lines {
        for member in ["seq", "at", "kind", "event", "from", "to", "actor", "data"] {
            assert!(line.get(member).is_some(), "{member} missing in {line}");
        }
    }
}

async fn an_sla_met_in_time_is_recorded_as_met(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    app.advance("1h").await;
    app.event(&id, "receive", json!({})).await;
    let dispatched = app.event(&id, "dispatch", json!({"group": "net"})).await;
    assert_eq!(dispatched.body["instance"]["slas"], json!([]));
    let history = app.get(&format!("/v1/instances/{id}/history")).await.body;
    let sla = history
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["kind"] == "sla")
        .expect("an sla line")
        .clone();
    assert_eq!(sla["data"]["outcome"], "met");
}

async fn the_idempotency_key_header_stands_in_for_a_missing_event_id(backend: Backend) {
    let app = spawn(&backend).await;
    app.create("T-1").await;
    let post = || {
        Request::builder()
            .method(Method::POST)
            .uri("/v1/workflows/ticket/instances/T-1/events")
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", "receive-once")
            .body(Body::from(json!({"event": "receive"}).to_string()))
            .unwrap()
    };
    let first = app.raw(post()).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let again = app.raw(post()).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body, first.body);
    let history = app
        .get(&format!(
            "/v1/instances/{}/history",
            first.body["instance"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        history.body.as_array().unwrap().len(),
        2,
        "{:?}",
        history.body
    );
}
