//! Webhook delivery from the outbox to a receiver on 127.0.0.1: payload and
//! headers, backoff on the manual clock, the incident when attempts run out,
//! and an administrator's retry.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use flowkeeper::engine::{AdminChange, HistoryData};
use flowkeeper::runtime::{
    ATTEMPT_HEADER, DeliveryRound, IDEMPOTENCY_HEADER, INSTANCE_HEADER, OutboxConfig, RuntimeError,
    StuckReason, Target, WEBHOOK_HEADER, Webhooks,
};
use flowkeeper::store::{IncidentKind, Store};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::support::{Harness, actor, data, harness_configured, test_config};

on_both!(
    webhook_is_posted_with_payload_and_headers,
    failing_webhook_backs_off_then_opens_an_incident_that_retry_clears,
);

const NOTIFIER: &str = r#"
id = "notifier"
version = 1
title = "Notifier"
start = "open"

[data.count]
type = "integer"
default = 0

[states.open]
on.ping = { set = { count = "data.count + 1" }, actions = [ { notify = { webhook = "crm", payload = { ticket = "key", count = "data.count" } } } ] }
on.audit = { actions = [ { notify = { webhook = "audit-log", payload = { ticket = "key" } } } ] }
on.close = "closed"

[states.closed]
terminal = true

[events.ping]
[events.audit]
[events.close]
"#;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Json,
}

/// A webhook receiver answering every POST with `status`.
struct Receiver {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

#[derive(Clone)]
struct ReceiverState {
    requests: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Json>,
) -> StatusCode {
    state
        .requests
        .lock()
        .unwrap()
        .push(Received { headers, body });
    StatusCode::from_u16(state.status.load(Ordering::SeqCst)).unwrap()
}

impl Receiver {
    async fn start(status: u16) -> Self {
        let state = ReceiverState {
            requests: Arc::default(),
            status: Arc::new(AtomicU16::new(status)),
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            addr,
            requests: state.requests,
            status: state.status,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }
}

async fn harness_posting_to(store: Store, receiver: &Receiver) -> Harness {
    let webhooks = Webhooks::default()
        .with_url("crm", &receiver.url(), Duration::from_secs(5))
        .unwrap();
    let config = flowkeeper::runtime::RuntimeConfig {
        webhooks,
        outbox: OutboxConfig {
            max_attempts: 3,
            base_delay: 1_000,
            ..OutboxConfig::default()
        },
        ..test_config()
    };
    harness_configured(store, &[NOTIFIER], config).await
}

fn header<'a>(request: &'a Received, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

async fn webhook_is_posted_with_payload_and_headers(store: Store) {
    let receiver = Receiver::start(200).await;
    let h = harness_posting_to(store, &receiver).await;
    let created = h
        .runtime
        .create("notifier", "T-1", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let target = Target::Id(created.id);
    h.runtime
        .post_event(&target, "ping", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    // `audit-log` has no URL: the logging sink takes it.
    h.runtime
        .post_event(&target, "audit", Map::new(), &actor("svc"), None)
        .await
        .unwrap();

    let round = h.runtime.deliver_due_outbox().await.unwrap();
    assert_eq!(
        round,
        DeliveryRound {
            delivered: 2,
            failed: 0,
            dead: 0
        }
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1, "only `crm` goes over HTTP");
    assert_eq!(received[0].body, json!({ "ticket": "T-1", "count": 1 }));
    let outbox = h.store.outbox_of(created.id).await.unwrap();
    assert_eq!(outbox.len(), 2);
    let crm = outbox.iter().find(|entry| entry.webhook == "crm").unwrap();
    assert_eq!(header(&received[0], IDEMPOTENCY_HEADER), crm.id.to_string());
    assert_eq!(
        header(&received[0], INSTANCE_HEADER),
        created.id.to_string()
    );
    assert_eq!(header(&received[0], WEBHOOK_HEADER), "crm");
    assert!(
        outbox
            .iter()
            .all(|entry| entry.delivered_at.is_some() && entry.attempts == 1)
    );

    let again = h.runtime.deliver_due_outbox().await.unwrap();
    assert_eq!(
        again,
        DeliveryRound::default(),
        "delivered rows stay delivered"
    );
    assert_eq!(receiver.received().len(), 1);
}

async fn failing_webhook_backs_off_then_opens_an_incident_that_retry_clears(store: Store) {
    let receiver = Receiver::start(500).await;
    let h = harness_posting_to(store, &receiver).await;
    let created = h
        .runtime
        .create(
            "notifier",
            "T-2",
            data(json!({ "count": 4 })),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();
    let target = Target::Id(created.id);
    h.runtime
        .post_event(&target, "ping", Map::new(), &actor("svc"), None)
        .await
        .unwrap();

    // Attempt 1 fails; the next is due 1 s later, then 2 s after that.
    let first = h.runtime.deliver_due_outbox().await.unwrap();
    assert_eq!((first.failed, first.dead), (1, 0));
    let steps: [(i64, usize); 4] = [(999, 1), (1, 2), (1_999, 2), (1, 3)];
    for (step, expected_hits) in steps {
        h.clock.advance(step);
        h.runtime.deliver_due_outbox().await.unwrap();
        assert_eq!(
            receiver.received().len(),
            expected_hits,
            "after advancing {step} ms"
        );
    }
    let outbox = h.store.outbox_of(created.id).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].dead_at.is_some(), "attempts ran out: {outbox:?}");
    assert_eq!(outbox[0].attempts, 3);
    assert!(outbox[0].last_error.as_deref().unwrap().contains("500"));
    let attempts: Vec<String> = receiver
        .received()
        .iter()
        .map(|request| header(request, ATTEMPT_HEADER).to_owned())
        .collect();
    assert_eq!(attempts, vec!["1", "2", "3"]);

    let incidents = h.store.incidents(Some(created.id), true).await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, IncidentKind::Webhook);
    assert!(
        incidents[0].message.contains("crm") && incidents[0].message.contains("500"),
        "{}",
        incidents[0].message
    );
    let stuck = h.runtime.stuck().await.unwrap();
    assert!(
        stuck[0]
            .reasons
            .contains(&StuckReason::OpenIncidents { count: 1 })
    );
    h.clock.advance(86_400_000);
    let idle = h.runtime.deliver_due_outbox().await.unwrap();
    assert_eq!(
        idle,
        DeliveryRound::default(),
        "a dead row is not retried by itself"
    );
    assert_eq!(receiver.received().len(), 3);

    // The receiver is fixed; the administrator retries.
    receiver.status.store(200, Ordering::SeqCst);
    let report = h.runtime.retry(&target, &actor("ops")).await.unwrap();
    assert_eq!(
        (report.incidents_resolved, report.deliveries_requeued),
        (1, 1)
    );
    assert!(
        h.store
            .incidents(Some(created.id), true)
            .await
            .unwrap()
            .is_empty()
    );
    let history = h.store.history(created.id).await.unwrap();
    let audit = history.last().unwrap();
    assert_eq!(audit.entry.actor, "ops");
    assert!(
        matches!(
            audit.entry.data,
            HistoryData::Admin(AdminChange::Retry { .. })
        ),
        "{audit:?}"
    );

    let round = h.runtime.deliver_due_outbox().await.unwrap();
    assert_eq!(round.delivered, 1);
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    assert_eq!(
        header(&received[3], IDEMPOTENCY_HEADER),
        header(&received[0], IDEMPOTENCY_HEADER),
        "the same delivery, so the receiver can deduplicate"
    );
    assert_eq!(received[3].body, json!({ "ticket": "T-2", "count": 5 }));
    assert!(h.runtime.stuck().await.unwrap().is_empty());

    let unknown = h
        .runtime
        .retry(&Target::Id(Uuid::nil()), &actor("admin"))
        .await;
    assert!(
        matches!(unknown, Err(RuntimeError::NotFound(_))),
        "{unknown:?}"
    );
}
