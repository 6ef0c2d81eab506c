//! The API over a store, in-process through the real router: every read
//! answer a client could get about the stored data, collected by path, so
//! that a round trip can hold the answers before a backup against the
//! answers after its restore.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use flowkeeper::api::auth::Secret;
use flowkeeper::api::limits::Limits;
use flowkeeper::api::{AppState, DEFAULT_MAX_BODY, router_with};
use flowkeeper::model::Catalog;
use flowkeeper::runtime::{ManualClock, Runtime};
use flowkeeper::store::Store;
use serde_json::{Value as Json, json};
use tower::ServiceExt as _;

use crate::support::{REAL_START, shipped_workflows};

/// The bootstrap admin's token on every store built here; only its hash
/// is stored, so it working after a restore shows tokens survive.
pub const ADMIN: &str = "backup-test-admin-token-0123456789";

/// Makes `ADMIN` a token of the bootstrap admin of `store`.
pub async fn bootstrap_admin(runtime: &Runtime) {
    runtime
        .bootstrap_admin(Some(&Secret::given(ADMIN)))
        .await
        .expect("the bootstrap admin");
}

/// One answer: its status and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Json,
}

impl Answer {
    /// Status and body as one value, for comparing.
    fn value(&self) -> Json {
        json!({"status": self.status, "body": self.body})
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The router of a server on `store` with the shipped workflows, its
/// workflow clock at `at` and its real clock at [`REAL_START`].
pub struct Api {
    router: Router,
}

impl Api {
    pub async fn on(store: &Store, at: i64) -> Self {
        let workflows = shipped_workflows();
        let catalog =
            Catalog::load(std::slice::from_ref(&workflows)).expect("the shipped workflows");
        let runtime = Runtime::new(store.clone(), catalog, Arc::new(ManualClock::new(at)))
            .await
            .expect("a runtime")
            .with_real_clock(Arc::new(ManualClock::new(REAL_START)));
        let state = AppState::new(Arc::new(runtime), true, workflows);
        Self {
            router: router_with(state, DEFAULT_MAX_BODY, &Limits::default()),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Json>,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"));
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("a request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, None).await
    }

    /// Every page of a listing that pages with `next_cursor`, by path.
    async fn pages(&self, first: &str, answers: &mut BTreeMap<String, Json>) -> Vec<Json> {
        let mut items = Vec::new();
        let mut path = first.to_owned();
        loop {
            let answer = self.get(&path).await;
            assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
            items.extend(answer.body["items"].as_array().cloned().unwrap_or_default());
            let next = answer.body["next_cursor"].as_str().map(str::to_owned);
            answers.insert(path.clone(), answer.value());
            match next {
                Some(cursor) => {
                    let separator = if first.contains('?') { '&' } else { '?' };
                    path = format!("{first}{separator}cursor={cursor}");
                }
                None => return items,
            }
        }
    }

    /// Every page of an instance's history (paged by `X-Next-Cursor`).
    async fn history(&self, id: &str, answers: &mut BTreeMap<String, Json>) {
        let first = format!("/v1/instances/{id}/history");
        let mut path = first.clone();
        loop {
            let answer = self.get(&path).await;
            assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
            let next = answer.header("x-next-cursor").map(str::to_owned);
            answers.insert(path.clone(), answer.value());
            match next {
                Some(cursor) => path = format!("{first}?cursor={cursor}"),
                None => return,
            }
        }
    }
}

/// Every read answer about the stored data, by path: every instance (by
/// id and by key, with its timers, SLA clocks and incident), its whole
/// history, the listings (all, by status, stuck), the stuck report, the
/// assessment of every month the shipped scenarios run in and of the
/// year, the workflows and their versions, the accounts and tokens. The
/// audit log is [`audit_entries`].
pub async fn answers(api: &Api) -> BTreeMap<String, Json> {
    let mut answers = BTreeMap::new();
    let instances = api.pages("/v1/instances?limit=500", &mut answers).await;
    assert!(!instances.is_empty(), "the store has instances");
    for status in ["active", "completed", "cancelled"] {
        api.pages(
            &format!("/v1/instances?status={status}&limit=500"),
            &mut answers,
        )
        .await;
    }
    api.pages("/v1/instances?stuck=true&limit=500", &mut answers)
        .await;
    for instance in &instances {
        let id = instance["id"].as_str().expect("an id");
        for path in [
            format!("/v1/instances/{id}"),
            format!(
                "/v1/workflows/{}/instances/{}",
                instance["workflow"].as_str().expect("a workflow"),
                instance["key"].as_str().expect("a key")
            ),
        ] {
            answers.insert(path.clone(), api.get(&path).await.value());
        }
        api.history(id, &mut answers).await;
    }
    let mut paths: Vec<String> = [
        "/v1/admin/stuck",
        "/v1/assessment?month=2026-01",
        "/v1/assessment?month=2026-10",
        "/v1/assessment?year=2026",
        "/v1/workflows",
        "/v1/admin/accounts",
        "/v1/admin/tokens",
        "/v1/me",
    ]
    .map(str::to_owned)
    .into();
    let workflows = api.get("/v1/workflows").await.body;
    for workflow in workflows.as_array().expect("a workflow list") {
        let id = workflow["id"].as_str().expect("a workflow id");
        paths.push(format!("/v1/workflows/{id}"));
        paths.push(format!("/v1/workflows/{id}/versions"));
    }
    let accounts = api.get("/v1/admin/accounts").await.body;
    for account in accounts.as_array().expect("an account list") {
        let name = account["name"].as_str().expect("an account name");
        paths.push(format!("/v1/admin/accounts/{name}"));
    }
    for path in paths {
        let answer = api.get(&path).await;
        assert!(answer.status < 500, "{path}: {:?}", answer.body);
        answers.insert(path, answer.value());
    }
    answers
}

/// Every entry of the audit log as `/v1/admin/audit` lists it.
pub async fn audit_entries(api: &Api) -> Vec<Json> {
    let mut pages = BTreeMap::new();
    api.pages("/v1/admin/audit?limit=500", &mut pages).await
}

/// The paths whose answers differ, with both answers, for a readable
/// failure.
pub fn differences(before: &BTreeMap<String, Json>, after: &BTreeMap<String, Json>) -> Vec<String> {
    let mut differences = Vec::new();
    for (path, answer) in before {
        match after.get(path) {
            Some(other) if other == answer => {}
            Some(other) => {
                differences.push(format!("{path}:\n  before {answer}\n  after  {other}"))
            }
            None => differences.push(format!("{path}: not asked after")),
        }
    }
    for path in after.keys().filter(|path| !before.contains_key(*path)) {
        differences.push(format!("{path}: only asked after"));
    }
    differences
}
