//! The hardening of docs/security.md: fixed metric labels, paged history,
//! the clock's bound, the request limits, secrets kept out of answers and
//! idempotency keys scoped by account.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::get;
use flowkeeper::api::limits::{self, Limits};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use crate::helpers::{ADMIN, Backend, Options, TestApp, spawn, spawn_with};

on_both!(
    metric_labels_come_from_fixed_sets,
    history_is_paged_by_lines,
    a_history_page_stays_under_its_byte_bound,
    an_instance_page_stays_under_its_byte_bound,
    the_clock_moves_at_most_400_days_at_once,
    idempotency_keys_belong_to_the_account_that_sent_them,
    sign_ins_are_rate_limited_per_address,
);

fn limits(text: &str) -> Limits {
    Limits::from_settings(text).expect("valid [limits]")
}

async fn metric_labels_come_from_fixed_sets(backend: Backend) {
    let app = spawn(&backend).await;
    let invented = Method::from_bytes(b"BREWCOFFEE").unwrap();
    let answer = app
        .raw(
            Request::builder()
                .method(invented)
                .uri("/v1/instances")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(answer.status.is_client_error(), "{answer:?}");
    let refused = app
        .post(
            "/v1/workflows/nosuchflow-invented/instances/K-1/events",
            json!({"event": "receive"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{:?}", refused.body);
    let metrics = app.get("/metrics").await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        !text.contains("BREWCOFFEE"),
        "an invented method became a label"
    );
    assert!(
        !text.contains("nosuchflow-invented"),
        "an invented workflow became a label"
    );
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(
        text.contains("flowkeeper_events_total{workflow=\"other\",outcome=\"rejected\"}"),
        "{text}"
    );
}

/// Follows `X-Next-Cursor` from `first` to the end; returns each page's lines.
async fn pages(app: &TestApp, first: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut path = first.to_owned();
    loop {
        let answer = app.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        pages.push(answer.body.as_array().expect("an array").clone());
        let Some(next) = answer.headers.get("x-next-cursor") else {
            assert!(answer.headers.get(header::LINK).is_none());
            return pages;
        };
        let link = answer.headers[header::LINK].to_str().unwrap();
        assert!(link.ends_with("rel=\"next\""), "{link}");
        let base = first.split('?').next().unwrap();
        let limit = first
            .split_once("limit=")
            .map_or(String::new(), |(_, limit)| format!("limit={limit}&"));
        path = format!("{base}?{limit}cursor={}", next.to_str().unwrap());
        assert!(pages.len() < 10, "the pages do not end");
    }
}

async fn history_is_paged_by_lines(backend: Backend) {
    let app = spawn(&backend).await;
    let id = app.create("H-1").await["id"].as_str().unwrap().to_owned();
    app.event(&id, "receive", json!({})).await;
    app.event(&id, "dispatch", json!({"group": "bss"})).await;
    app.event(&id, "accept", json!({})).await;
    let history = format!("/v1/instances/{id}/history");
    let whole = app.get(&history).await;
    let whole = whole.body.as_array().unwrap().clone();
    assert!(whole.len() > 3, "{whole:?}");
    let paged = pages(&app, &format!("{history}?limit=3")).await;
    let sizes: Vec<usize> = paged.iter().map(Vec::len).collect();
    assert_eq!(sizes[0], 3);
    assert!(sizes.iter().all(|size| (1..=3).contains(size)), "{sizes:?}");
    assert_eq!(paged.concat(), whole);
    for bad in ["limit=0", "limit=1001", "cursor=abc", "cursor=-1", "page=2"] {
        let answer = app.get(&format!("{history}?{bad}")).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {:?}",
            answer.body
        );
        assert_eq!(answer.content_type(), "application/problem+json");
    }
}

async fn a_history_page_stays_under_its_byte_bound(backend: Backend) {
    let app = spawn(&backend).await;
    let big = "x".repeat(600 * 1024);
    let created = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "H-2", "data": {"level": 1, "group": big}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    app.event(&id, "receive", json!({})).await;
    let dispatched = app.event(&id, "dispatch", json!({"group": big})).await;
    assert_eq!(dispatched.status, StatusCode::OK, "{:?}", dispatched.body);
    app.event(&id, "accept", json!({})).await;
    let history = format!("/v1/instances/{id}/history");
    let lines = app.store.history(id.parse().unwrap()).await.unwrap().len();
    let paged = pages(&app, &history).await;
    assert!(paged.len() >= 2, "one page of {} lines", paged[0].len());
    assert_eq!(paged.iter().map(Vec::len).sum::<usize>(), lines);
    for page in &paged {
        let bytes = serde_json::to_vec(page).unwrap().len();
        assert!(
            page.len() == 1 || bytes <= 1024 * 1024,
            "a page of {} lines and {bytes} bytes",
            page.len()
        );
    }
}

async fn an_instance_page_stays_under_its_byte_bound(backend: Backend) {
    let app = spawn(&backend).await;
    let big = "x".repeat(600 * 1024);
    for key in ["L-1", "L-2", "L-3"] {
        let created = app
            .post(
                "/v1/instances",
                json!({"workflow": "ticket", "key": key, "data": {"level": 1, "group": big}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    }
    let mut keys = Vec::new();
    let mut path = "/v1/instances?workflow=ticket&limit=50".to_owned();
    for _ in 0..10 {
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let items = page.body["items"].as_array().unwrap();
        let bytes = serde_json::to_vec(items).unwrap().len();
        assert!(
            items.len() == 1 || bytes <= 1024 * 1024,
            "a page of {} instances and {bytes} bytes",
            items.len()
        );
        keys.extend(
            items
                .iter()
                .map(|item| item["key"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/instances?workflow=ticket&limit=50&cursor={cursor}")
            }
            None => break,
        }
    }
    keys.sort();
    assert_eq!(
        keys,
        ["L-1", "L-2", "L-3"],
        "every instance once, over several pages"
    );
}

async fn the_clock_moves_at_most_400_days_at_once(backend: Backend) {
    let app = spawn(&backend).await;
    let before = app.get("/v1/admin/clock").await.body["now"].clone();
    for body in [
        json!({"advance": "401d"}),
        json!({"jump": "9999d"}),
        json!({"set": "2030-01-01T00:00:00Z"}),
    ] {
        let answer = app.post("/v1/admin/clock", body.clone()).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{body}");
        assert_eq!(answer.problem(), "clock-move-too-far");
    }
    assert_eq!(app.get("/v1/admin/clock").await.body["now"], before);
    let moved = app.advance("400d").await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
}

/// Closing the pool is how a test makes the database stop answering; on
/// PostgreSQL that pool is also the one that drops the test's schema, and
/// what `/readyz` hides does not depend on the backend: SQLite only.
#[tokio::test]
async fn readiness_does_not_show_the_database_error() {
    let app = spawn(&Backend::Sqlite).await;
    app.store.close().await;
    let ready = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    // What kind of trouble, never the driver's text ("pool closed", hosts,
    // users, schemas): that goes to the log.
    assert_eq!(ready.body["detail"], "database unavailable");
    assert_eq!(
        ready
            .headers
            .get(header::RETRY_AFTER)
            .map(|value| value.as_bytes()),
        Some(&b"2"[..])
    );
}

async fn idempotency_keys_belong_to_the_account_that_sent_them(backend: Backend) {
    let app = spawn(&backend).await;
    let first = app.account_token("crm", "service", &[]).await;
    let second = app.account_token("billing", "service", &[]).await;
    let create = |token: String, key: &'static str| {
        let app = &app;
        async move {
            let request = Request::builder()
                .method(Method::POST)
                .uri("/v1/instances")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", "shared-key-1")
                .body(Body::from(
                    json!({"workflow": "ticket", "key": key, "data": {"level": 2}}).to_string(),
                ))
                .unwrap();
            app.raw(request).await
        }
    };
    let by_crm = create(first.clone(), "I-1").await;
    assert_eq!(by_crm.status, StatusCode::CREATED, "{:?}", by_crm.body);
    let by_billing = create(second, "I-2").await;
    assert_eq!(
        by_billing.status,
        StatusCode::CREATED,
        "another account's key pre-empted this one: {:?}",
        by_billing.body
    );
    assert_ne!(by_crm.body["id"], by_billing.body["id"]);
    let replay = create(first, "I-1").await;
    assert_eq!(
        replay.body["id"], by_crm.body["id"],
        "the same account replays"
    );
}

async fn sign_ins_are_rate_limited_per_address(backend: Backend) {
    let app = spawn_with(
        &backend,
        Options {
            limits: limits("[limits]\nsign_ins_per_minute = 3\n"),
            ..Options::default()
        },
    )
    .await;
    for name in ["ann", "bob", "cyd"] {
        let answer = app
            .send(
                Method::POST,
                "/v1/sessions",
                None,
                Some(json!({"name": name, "password": "wrong-1"})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
    }
    let fourth = app
        .send(
            Method::POST,
            "/v1/sessions",
            None,
            Some(json!({"name": "dee", "password": "wrong-1"})),
        )
        .await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(fourth.content_type(), "application/problem+json");
    let wait: u64 = fourth.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let other = app.send(Method::GET, "/v1/me", Some(ADMIN), None).await;
    assert_eq!(other.status, StatusCode::OK, "only sign-ins are limited");
}

/// A router with a slow and a panicking route under `limits`.
fn trial_router(limits: &Limits) -> Router {
    let router = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(600)).await;
                "done"
            }),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("a bug in a handler");
                }
                "unreachable"
            }),
        )
        .route("/healthz", get(|| async { "ok" }));
    limits::apply(router, limits, |router| router)
}

async fn call(router: &Router, path: &str) -> (StatusCode, String, Value) {
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, kind, body)
}

#[tokio::test]
async fn a_panicking_handler_answers_500_problem_json() {
    let router = trial_router(&Limits::default());
    let (status, kind, body) = call(&router, "/panic").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(kind, "application/problem+json");
    assert_eq!(body["type"], "/problems/internal");
    assert!(
        !body["detail"]
            .as_str()
            .unwrap()
            .contains("a bug in a handler"),
        "the panic message stays in the log"
    );
    let (status, _, _) = call(&router, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "the server goes on");
}

#[tokio::test]
async fn a_request_past_its_deadline_answers_503() {
    let router = trial_router(&limits("[limits]\nrequest_timeout = \"100ms\"\n"));
    let (status, kind, body) = call(&router, "/slow").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(kind, "application/problem+json");
    assert_eq!(body["type"], "/problems/timeout");
}

#[tokio::test]
async fn requests_past_the_concurrency_limit_are_shed_after_the_queue_timeout() {
    let router = trial_router(&limits(
        "[limits]\nmax_concurrent_requests = 1\nqueue_timeout = \"100ms\"\n",
    ));
    let busy = tokio::spawn({
        let router = router.clone();
        async move { call(&router, "/slow").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, _, body) = call(&router, "/slow").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["type"], "/problems/overloaded");
    let (status, _, _) = call(&router, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "probes need no slot");
    assert_eq!(
        busy.await.unwrap().0,
        StatusCode::OK,
        "the first one finishes"
    );
}

/// A client that sends half its headers and then nothing is disconnected
/// after `header_read_timeout` (on `axum::serve`'s defaults it was held
/// forever: slowloris).
#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    use flowkeeper::api::{DEFAULT_MAX_BODY, ServeOptions, serve_with};
    let folder = tempfile::tempdir().unwrap();
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::copy(
        crate::helpers::fixture("quick.toml"),
        workflows.join("quick.toml"),
    )
    .unwrap();
    let settings = folder.path().join("flowkeeper.toml");
    std::fs::write(&settings, "[limits]\nheader_read_timeout = \"1s\"\n").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let options = ServeOptions {
        listen: address,
        database: format!("sqlite://{}", folder.path().join("serve.db").display()),
        workflows,
        settings,
        manual_clock: false,
        clock_start: None,
        max_body: DEFAULT_MAX_BODY,
        admin_token: Some("slowloris-test-admin-token".to_owned()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_with(options, listener, async {
        let _ = stopped.await;
    }));
    let mut client = loop {
        if let Ok(stream) = tokio::net::TcpStream::connect(address).await {
            break stream;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    client
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the half-sent request still holds its connection"
    );
    let ok = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(ok.status(), reqwest::StatusCode::OK, "others are served");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
