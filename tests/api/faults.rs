//! Faults of the store, met as an operator meets them: a full disk, a
//! commit that fails, connections killed under the server, clients that
//! hang up halfway. Each time a client gets a plain `503` with
//! `Retry-After`, `/readyz` says not ready, and everything works again in
//! the same process as soon as the cause is gone; nothing acknowledged is
//! lost and nothing is applied twice.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use flowkeeper::runtime::SchedulerConfig;
use flowkeeper::store::{self, testing};
use futures_util::StreamExt as _;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, Answer, Backend, Options, TestApp, spawn, spawn_with};

on_both!(
    a_full_store_answers_503_and_takes_writes_again_once_room_is_made,
    a_failed_write_leaves_every_pooled_connection_usable,
    clients_that_hang_up_never_leave_half_a_change,
    a_timer_due_during_a_fault_fires_once_after_it,
);

mod postgres_only {
    #[tokio::test]
    async fn killed_connections_are_replaced_without_a_restart() {
        let Some(backend) = crate::helpers::Backend::postgres() else {
            return;
        };
        super::killed_connections_are_replaced_without_a_restart(backend.clone()).await;
        backend.drop_schemas().await;
    }
}

const DAY: i64 = 24 * 3_600_000;

/// Makes writes fail for want of room (`full`), or lifts that: SQLite may
/// not grow its file by a single page; PostgreSQL's commits fail with
/// `disk_full`.
async fn fill_up(app: &TestApp, full: bool) {
    match app.store.backend() {
        store::Backend::Sqlite => testing::limit_sqlite_growth(&app.store, full.then_some(0)).await,
        store::Backend::Postgres => testing::fail_commits(&app.store, full).await,
    }
    .expect("the fault is set");
}

/// Makes every write fail, or lifts that: SQLite refuses writes as a
/// file system remounted read-only; PostgreSQL's commits fail.
async fn refuse_writes(app: &TestApp, refuse: bool) {
    match app.store.backend() {
        store::Backend::Sqlite => testing::refuse_sqlite_writes(&app.store, refuse).await,
        store::Backend::Postgres => testing::fail_commits(&app.store, refuse).await,
    }
    .expect("the fault is set");
}

fn create_body(key: &str) -> Value {
    json!({"workflow": "ticket", "key": key, "data": {"level": 2}})
}

/// A 503 in plain words, with a time to retry, and none of the
/// database's own words.
fn assert_unavailable(answer: &Answer, slug: &str, starts: &str) {
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.content_type(), "application/problem+json");
    assert_eq!(answer.problem(), slug, "{:?}", answer.body);
    let retry_after = answer
        .headers
        .get(header::RETRY_AFTER)
        .expect("Retry-After");
    let seconds: u32 = retry_after.to_str().unwrap().parse().expect("seconds");
    assert!(seconds >= 1);
    let detail = answer.body["detail"].as_str().expect("a detail");
    assert!(detail.starts_with(starts), "{detail}");
    for raw in ["database error", "code:", "SQLITE", "disk_full", "injected"] {
        assert!(
            !detail.contains(raw),
            "the raw error reached the client: {detail}"
        );
    }
}

/// Every instance's business key, from every page of the listing.
async fn all_keys(app: &TestApp) -> Vec<String> {
    let mut keys = Vec::new();
    let mut path = "/v1/instances?limit=500".to_owned();
    loop {
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            keys.push(item["key"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/instances?limit=500&cursor={cursor}"),
            None => return keys,
        }
    }
}

/// Many writes at once, more than the pool has connections, must all
/// succeed: no connection was left inside a transaction.
async fn assert_every_connection_writes(app: &TestApp, prefix: &str) {
    assert_every_connection_creates(app, |n| create_body(&format!("{prefix}-{n}"))).await;
}

async fn assert_every_connection_creates(app: &TestApp, body: impl Fn(usize) -> Value) {
    let answers =
        futures_util::future::join_all((0..24).map(|n| app.post("/v1/instances", body(n)))).await;
    for answer in answers {
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    }
    let stuck = testing::connections_in_transaction(&app.store)
        .await
        .unwrap();
    assert_eq!(stuck, 0, "pooled connections left inside a transaction");
}

async fn a_full_store_answers_503_and_takes_writes_again_once_room_is_made(backend: Backend) {
    let app = spawn(&backend).await;
    app.create("before").await;
    fill_up(&app, true).await;
    let mut acknowledged = vec!["before".to_owned()];
    let mut refused = Vec::new();
    for n in 0..5_000 {
        let key = format!("T-{n}");
        let answer = app.post("/v1/instances", create_body(&key)).await;
        if answer.status == StatusCode::CREATED {
            acknowledged.push(key);
            continue;
        }
        assert_unavailable(&answer, "storage-full", "storage is full");
        refused.push(key);
        if refused.len() == 3 {
            break;
        }
    }
    assert_eq!(refused.len(), 3, "the store never filled up");

    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_unavailable(&ready, "storage-full", "storage is full");
    let metrics = app.get("/metrics").await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains("flowkeeper_store_errors_total{kind=\"full\"}"),
        "{text}"
    );

    fill_up(&app, false).await;
    // Readiness comes back by itself before any client writes: a probe
    // write, once no real write has failed for two seconds.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{:?}", ready.body);
    app.create("after").await;
    acknowledged.push("after".to_owned());

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for key in all_keys(&app).await {
        *counts.entry(key).or_default() += 1;
    }
    for key in &acknowledged {
        assert_eq!(counts.get(key), Some(&1), "acknowledged `{key}` once");
    }
    for key in &refused {
        assert_eq!(counts.get(key), None, "refused `{key}` left nothing");
    }
    assert_eq!(counts.len(), acknowledged.len());
}

async fn a_failed_write_leaves_every_pooled_connection_usable(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("C-1").await["id"].as_str().unwrap().to_owned();
    refuse_writes(&app, true).await;
    for _ in 0..20 {
        let answer = app.event(&id, "receive", json!({})).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{:?}",
            answer.body
        );
    }
    refuse_writes(&app, false).await;
    let received = app.event(&id, "receive", json!({})).await;
    assert_eq!(received.status, StatusCode::OK, "{:?}", received.body);
    assert_every_connection_writes(&app, "W").await;
    let history = app.get(&format!("/v1/instances/{id}/history")).await;
    let receives = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["event"] == "receive")
        .count();
    assert_eq!(receives, 1, "the refused attempts left nothing behind");
}

async fn killed_connections_are_replaced_without_a_restart(backend: Backend) {
    let app = spawn(&backend).await;
    assert_every_connection_writes(&app, "A").await;
    testing::terminate_connections(&app.store).await.unwrap();
    // A connection killed while idle may fail the one request that meets
    // it (503, retry); the next ones get fresh connections.
    let mut failures = 0;
    for n in 0..20 {
        let answer = app
            .post("/v1/instances", create_body(&format!("K-{n}")))
            .await;
        if answer.status != StatusCode::CREATED {
            assert_unavailable(&answer, "unavailable", "database unavailable");
            failures += 1;
        }
    }
    assert!(
        failures <= 8,
        "{failures} of 20 writes failed after the kill"
    );
    assert_every_connection_writes(&app, "B").await;
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK, "{:?}", ready.body);
}

/// Posts event `sms` with id `event_id` to the counter instance; `None`
/// when the client hung up (the timeout) before the answer.
async fn post_sms(
    app: &TestApp,
    instance: &str,
    event_id: &str,
    patience: Option<Duration>,
) -> Option<Answer> {
    let body = json!({"event": "sms", "id": event_id, "data": {}});
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/instances/{instance}/events"))
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a request");
    match patience {
        Some(patience) => tokio::time::timeout(patience, app.raw(request)).await.ok(),
        None => Some(app.raw(request).await),
    }
}

async fn clients_that_hang_up_never_leave_half_a_change(backend: Backend) {
    const EVENTS: usize = 1_000;
    let options = Options {
        shipped_workflows: true,
        ..Options::default()
    };
    let app = spawn_with(&backend, options).await;
    let created = app
        .post(
            "/v1/instances",
            json!({"workflow": "customer_tier", "key": "C-1", "data": {}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();

    // Each client gives up after a random moment: before the request is
    // read, while it waits for the database, during its commit, or never.
    // The moments span what 32 clients at once take on this machine.
    let started = std::time::Instant::now();
    post_sms(&app, &id, "warm-up", None)
        .await
        .expect("an answer");
    let span = u64::try_from(started.elapsed().as_micros())
        .unwrap()
        .max(100)
        * 40;
    let storm: Vec<(String, Option<Answer>)> = futures_util::stream::iter(0..EVENTS)
        .map(|n| {
            let app = &app;
            let id = &id;
            async move {
                let event_id = format!("sms-{n}");
                let patience = Duration::from_micros(rand::random_range(0..span));
                let answer = post_sms(app, id, &event_id, Some(patience)).await;
                (event_id, answer)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut acknowledged = 0;
    let mut first_answers = BTreeMap::new();
    for (event_id, answer) in storm {
        let Some(answer) = answer else { continue };
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{event_id}: {:?}",
            answer.body
        );
        acknowledged += 1;
        first_answers.insert(
            event_id,
            answer.body["instance"]["data"]["sms_sent"].clone(),
        );
    }
    assert!(
        acknowledged > 0 && acknowledged < EVENTS,
        "{acknowledged} acknowledged: no storm"
    );

    // Every client now retries with its event id: an acknowledged event
    // answers as it did the first time; the others apply now, once.
    for n in 0..EVENTS {
        let event_id = format!("sms-{n}");
        let answer = post_sms(&app, &id, &event_id, None)
            .await
            .expect("an answer");
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{event_id}: {:?}",
            answer.body
        );
        if let Some(first) = first_answers.get(&event_id) {
            assert_eq!(
                &answer.body["instance"]["data"]["sms_sent"], first,
                "{event_id}"
            );
        }
    }
    let instance = app.get(&format!("/v1/instances/{id}")).await;
    assert_eq!(
        instance.body["data"]["sms_sent"],
        json!(EVENTS + 1),
        "each event applied once"
    );
    let mut applied = 0;
    let mut path = format!("/v1/instances/{id}/history");
    loop {
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let lines = page.body.as_array().unwrap();
        applied += lines.iter().filter(|line| line["event"] == "sms").count();
        match page.headers.get("x-next-cursor") {
            Some(cursor) => {
                path = format!(
                    "/v1/instances/{id}/history?cursor={}",
                    cursor.to_str().unwrap()
                );
            }
            None => break,
        }
    }
    assert_eq!(applied, EVENTS + 1, "one history line per event");
    assert_every_connection_creates(
        &app,
        |n| json!({"workflow": "customer_tier", "key": format!("after-{n}"), "data": {}}),
    )
    .await;
}

async fn a_timer_due_during_a_fault_fires_once_after_it(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("T-1").await["id"].as_str().unwrap().to_owned();
    let received = app.event(&id, "receive", json!({})).await;
    assert_eq!(received.status, StatusCode::OK, "{:?}", received.body);

    refuse_writes(&app, true).await;
    // The seven-day expiry falls due while writes fail: it cannot fire.
    assert!(app.runtime.jump(8 * DAY).await.is_err());
    let scheduler = app.runtime.start_scheduler(SchedulerConfig {
        timer_poll: Some(Duration::from_millis(20)),
        outbox_poll: Duration::from_secs(1),
        upkeep_every: Duration::from_secs(60),
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let during = app.get(&format!("/v1/instances/{id}")).await;
    assert_eq!(during.body["state"], "received");
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        ready.body
    );

    refuse_writes(&app, false).await;
    let mut state = Value::Null;
    for _ in 0..200 {
        state = app.get(&format!("/v1/instances/{id}")).await.body["state"].clone();
        if state == "expired" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    scheduler.stop().await;
    assert_eq!(state, "expired", "the timer loop fired once writes worked");
    assert_eq!(app.runtime.fire_due_timers().await.unwrap(), 0);
    let history = app.get(&format!("/v1/instances/{id}/history")).await;
    let expiries = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["event"] == "expire")
        .count();
    assert_eq!(expiries, 1, "fired once");
}
