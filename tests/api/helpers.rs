//! A fresh application per test: its own database (a SQLite file in a temp
//! folder, or a fresh PostgreSQL schema), the test workflow, a manual clock
//! and an admin token. Requests go through the real router in-process with
//! `tower::ServiceExt::oneshot`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use flowkeeper::api::auth::Secret;
use flowkeeper::api::limits::Limits;
use flowkeeper::api::{AppState, DEFAULT_MAX_BODY, router_with};
use flowkeeper::model::Catalog;
use flowkeeper::runtime::{Clock, ManualClock, Runtime, SystemClock};
use flowkeeper::store::{Store, testing};
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;

/// 2026-10-01T08:00:00Z, where every manual clock starts.
pub const START: i64 = 1_790_841_600_000;

pub const ADMIN: &str = "test-admin-token-0123456789abcdef";

pub const HOUR: i64 = 3_600_000;

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    pub folder: TempDir,
    pub runtime: Arc<Runtime>,
    /// The runtime's real clock (account and token expiry, sessions, audit
    /// times), manual so tests decide when time passes; starts at START.
    pub real_clock: ManualClock,
}

/// An answer: status, headers and the body as JSON (`Value::String` for
/// text bodies, `Null` for empty ones).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The problem `type` slug, e.g. `event-not-allowed`.
    pub fn problem(&self) -> &str {
        self.body["type"]
            .as_str()
            .and_then(|kind| kind.strip_prefix("/problems/"))
            .unwrap_or("")
    }
}

pub struct Options {
    pub manual_clock: bool,
    pub max_body: usize,
    /// Serve the repository's `workflows/` (with `assessment.toml`)
    /// instead of the small test workflow.
    pub shipped_workflows: bool,
    /// The `[limits]` the router runs under.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            manual_clock: true,
            max_body: DEFAULT_MAX_BODY,
            shipped_workflows: false,
            limits: Limits::default(),
        }
    }
}

/// The store a test's applications run on; `on_both!` runs each test once
/// per backend.
#[derive(Clone, Debug)]
pub enum Backend {
    /// A fresh file in each application's temp folder.
    Sqlite,
    /// A fresh schema per application, dropped once the test has passed
    /// (a failed test leaves its schemas behind to be inspected).
    Postgres(Arc<Postgres>),
}

#[derive(Debug)]
pub struct Postgres {
    url: String,
    /// Every schema this test created, with a pool that can drop it.
    schemas: Mutex<Vec<(Store, String)>>,
}

impl Backend {
    /// PostgreSQL from `FLOWKEEPER_TEST_DATABASE_URL`; `None` (and a note)
    /// when it is not set. A set but unreachable database fails the test
    /// at its first `spawn`, never skips it.
    pub fn postgres() -> Option<Self> {
        let url = testing::postgres_url()?;
        Some(Self::Postgres(Arc::new(Postgres {
            url,
            schemas: Mutex::new(Vec::new()),
        })))
    }

    /// Opens (and migrates) a fresh database: `test.db` in `folder`, or a
    /// new schema.
    pub async fn store(&self, folder: &Path) -> Store {
        match self {
            Self::Sqlite => {
                let url = format!("sqlite://{}", folder.join("test.db").display());
                Store::connect(&url)
                    .await
                    .expect("the SQLite test database")
            }
            Self::Postgres(postgres) => postgres.fresh_schema().await.0,
        }
    }

    /// A URL a separate server (`serve`) opens with plain `Store::connect`:
    /// for PostgreSQL a fresh, migrated schema selected through the
    /// connection's `search_path` option.
    pub async fn url(&self, folder: &Path) -> String {
        match self {
            Self::Sqlite => format!("sqlite://{}", folder.join("serve.db").display()),
            Self::Postgres(postgres) => {
                let (_, schema) = postgres.fresh_schema().await;
                testing::url_with_schema(&postgres.url, &schema)
            }
        }
    }

    /// Drops the schemas the test created; nothing to do for SQLite, whose
    /// files go with their temp folders.
    pub async fn drop_schemas(&self) {
        let Self::Postgres(postgres) = self else {
            return;
        };
        let schemas = std::mem::take(&mut *postgres.schemas.lock().expect("the schema list"));
        for (store, schema) in schemas {
            testing::drop_schema(&store, &schema)
                .await
                .expect("drop the test schema");
        }
    }
}

impl Postgres {
    /// Creates and migrates a new schema, remembered for `drop_schemas`.
    async fn fresh_schema(&self) -> (Store, String) {
        let (store, schema) = testing::fresh_schema(&self.url, "api", 4)
            .await
            .expect("connect to FLOWKEEPER_TEST_DATABASE_URL");
        self.schemas
            .lock()
            .expect("the schema list")
            .push((store.clone(), schema.clone()));
        (store, schema)
    }
}

pub async fn spawn(backend: &Backend) -> TestApp {
    spawn_with(backend, Options::default()).await
}

pub async fn spawn_with(backend: &Backend, options: Options) -> TestApp {
    let folder = tempfile::tempdir().expect("a temp folder");
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).expect("the workflows folder");
    if options.shipped_workflows {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
        for entry in std::fs::read_dir(shipped).expect("the shipped workflows") {
            let path = entry.expect("a workflow file").path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                std::fs::copy(&path, workflows.join(path.file_name().unwrap()))
                    .expect("a copy of the workflow");
            }
        }
    } else {
        std::fs::copy(fixture("ticket.toml"), workflows.join("ticket.toml"))
            .expect("the test workflow");
    }
    let store = backend.store(folder.path()).await;
    let catalog = Catalog::load(std::slice::from_ref(&workflows)).expect("the test workflow loads");
    let clock: Arc<dyn Clock> = if options.manual_clock {
        Arc::new(ManualClock::new(START))
    } else {
        Arc::new(SystemClock)
    };
    let real_clock = ManualClock::new(START);
    let runtime = Runtime::new(store.clone(), catalog, clock)
        .await
        .expect("the runtime")
        .with_real_clock(Arc::new(real_clock.clone()));
    let runtime = Arc::new(runtime);
    let state = AppState::new(Arc::clone(&runtime), options.manual_clock, workflows);
    runtime
        .bootstrap_admin(Some(&Secret::given(ADMIN)))
        .await
        .expect("the admin account and token");
    TestApp {
        router: router_with(state, options.max_body, &options.limits),
        store,
        folder,
        runtime,
        real_clock,
    }
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api")
        .join(name)
}

impl TestApp {
    /// Sends a request; `body` is sent as JSON when given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("a valid request");
        self.raw(request).await
    }

    /// Sends a request built by the test (odd headers, raw bodies).
    pub async fn raw(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, Some(ADMIN), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(ADMIN), Some(body)).await
    }

    /// Revokes the token with `id`, as the admin.
    pub async fn revoke_token(&self, id: &str) -> Answer {
        let path = format!("/v1/admin/tokens/{id}");
        self.send(Method::DELETE, &path, Some(ADMIN), None).await
    }

    /// Creates a `ticket` instance with `key`; panics unless 201.
    pub async fn create(&self, key: &str) -> Value {
        let answer = self
            .post(
                "/v1/instances",
                json!({"workflow": "ticket", "key": key, "data": {"level": 2}}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body
    }

    /// Posts `event` to instance `id`.
    pub async fn event(&self, id: &str, event: &str, data: Value) -> Answer {
        self.post(
            &format!("/v1/instances/{id}/events"),
            json!({"event": event, "data": data}),
        )
        .await
    }

    /// Issues a token with `role` and returns its secret.
    pub async fn token(&self, name: &str, role: &str) -> String {
        let answer = self
            .post("/v1/admin/tokens", json!({"name": name, "role": role}))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["token"].as_str().expect("a token").to_owned()
    }

    /// Creates an account with `role` and `teams` (vendors: for a day, with
    /// an approval) and returns a token of it.
    pub async fn account_token(&self, name: &str, role: &str, teams: &[&str]) -> String {
        let mut account = json!({"name": name, "role": role, "teams": teams});
        if role == "vendor" {
            account["expires_at"] = json!("2026-10-02T08:00:00Z");
            account["approval"] = json!("approved by the test");
        }
        let created = self.post("/v1/admin/accounts", account).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        let issued = self
            .post(
                &format!("/v1/admin/accounts/{name}/tokens"),
                json!({"name": "test"}),
            )
            .await;
        assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
        issued.body["token"].as_str().expect("a token").to_owned()
    }

    /// Moves the manual clock forward.
    pub async fn advance(&self, by: &str) -> Answer {
        self.post("/v1/admin/clock", json!({"advance": by})).await
    }
}
