//! Test databases of either kind, a store built from the shipped
//! workflows, and a backend-neutral dump of every table to compare.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowkeeper::accounts::{AccountDraft, AccountName, Password, PasswordHash, Role};
use flowkeeper::engine::Actor;
use flowkeeper::model::Catalog;
use flowkeeper::runtime::{ManualClock, Runtime};
use flowkeeper::scenario::format::StepAction;
use flowkeeper::scenario::{load_file, scenario_files};
use flowkeeper::store::{Cell, Store, TABLES, testing};
use futures_util::TryStreamExt as _;
use serde_json::Value as Json;

/// 2026-10-01T08:00:00Z: the real clock of every runtime here.
pub const REAL_START: i64 = 1_790_841_600_000;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh database: its store and the URL a separate process opens it by.
pub struct Db {
    pub store: Store,
    pub url: String,
    schema: Option<String>,
}

impl Db {
    /// A new SQLite file in `folder` or a new PostgreSQL schema; `None`
    /// (with the reason printed) when PostgreSQL is not configured.
    pub async fn fresh(kind: Kind, folder: &Path, name: &str) -> Option<Self> {
        match kind {
            Kind::Sqlite => {
                let url = sqlite_url(&folder.join(format!("{name}.db")));
                let store = Store::connect(&url).await.expect("a SQLite database");
                Some(Self {
                    store,
                    url,
                    schema: None,
                })
            }
            Kind::Postgres => {
                let base = testing::postgres_url()?;
                let (store, schema) = testing::fresh_schema(&base, "backup", 4)
                    .await
                    .expect("connect to FLOWKEEPER_TEST_DATABASE_URL");
                Some(Self {
                    store,
                    url: testing::url_with_schema(&base, &schema),
                    schema: Some(schema),
                })
            }
        }
    }

    /// Drops a PostgreSQL schema (SQLite files go with their folder).
    pub async fn drop(self) {
        match &self.schema {
            Some(schema) => testing::drop_schema(&self.store, schema)
                .await
                .expect("drop the schema"),
            None => self.store.close().await,
        }
    }
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

pub fn shipped_workflows() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

/// A runtime on `store` with the shipped workflows, its workflow clock at
/// `at` and its real clock at [`REAL_START`].
pub async fn runtime(store: &Store, at: i64) -> Runtime {
    let catalog = Catalog::load(&[shipped_workflows()]).expect("the shipped workflows load");
    Runtime::new(store.clone(), catalog, Arc::new(ManualClock::new(at)))
        .await
        .expect("a runtime")
        .with_real_clock(Arc::new(ManualClock::new(REAL_START)))
}

/// The idempotency keys of the creates, before their scenario's number.
const IDEMPOTENT: &str = "backup-idem-";

/// Fills `store` by running the first two thirds of every shipped
/// scenario (each with its own clock and a key prefix, so that none stops
/// another): every workflow, with timers still pending and SLA cycles
/// still running; plus the bootstrap admin and its token, an operator who
/// signed in, and an idempotent create per scenario.
pub async fn drive_shipped(store: &Store) -> Vec<Created> {
    let mut created = Vec::new();
    let actor = Actor::Account(AccountName::parse("tester").unwrap());
    let files = scenario_files(&[shipped_workflows()]).expect("the shipped scenarios");
    assert!(files.len() > 20, "every shipped workflow has scenarios");
    let mut last = None;
    for (index, file) in files.iter().enumerate() {
        let scenario = load_file(file).expect("a shipped scenario");
        let runtime = runtime(store, scenario.start.at).await;
        let prefix = format!("s{index}-");
        let key = format!("{prefix}{}", scenario.start.key);
        // A create that does not take (a workflow started only by others)
        // is part of the story too: nothing is written.
        let idempotency_key = format!("{IDEMPOTENT}{index}");
        let made = runtime
            .create(
                &scenario.workflow,
                &key,
                scenario.start.data.clone(),
                &actor,
                Some(&idempotency_key),
            )
            .await;
        if let Ok(instance) = made {
            created.push(Created {
                workflow: scenario.workflow.clone(),
                key: key.clone(),
                data: scenario.start.data.clone(),
                idempotency_key,
                id: instance.id,
            });
        }
        let steps = scenario.steps.len() * 2 / 3;
        for step in &scenario.steps[..steps] {
            match &step.action {
                StepAction::Event { name, data } => {
                    let target_key = if step.target.key == scenario.start.key {
                        key.clone()
                    } else {
                        step.target.key.clone()
                    };
                    let found = store
                        .find_by_key(&step.target.workflow, &target_key)
                        .await
                        .expect("find by key");
                    if let Some(instance) = found {
                        let target = flowkeeper::runtime::Target::Id(instance.id);
                        let _ = runtime
                            .post_event(&target, name, data.clone(), &actor, None)
                            .await;
                    }
                }
                StepAction::Advance(by) => {
                    runtime.advance(by.as_millis()).await.expect("advance");
                }
                StepAction::Jump(by) => {
                    runtime.jump(by.as_millis()).await.expect("jump");
                }
            }
        }
        last = Some(runtime);
    }
    let runtime = last.expect("at least one scenario");
    crate::answers::bootstrap_admin(&runtime).await;
    let password = Password::parse("drill-2026").unwrap();
    let draft = AccountDraft {
        name: AccountName::parse("olga").unwrap(),
        role: Role::Operator,
        teams: vec!["service_desk".into()],
        title: "Olga".into(),
        password: Some(PasswordHash::create(&password)),
        expires_at: None,
        approval: None,
        emergency: false,
    };
    runtime
        .create_account(draft, &actor)
        .await
        .expect("an operator");
    runtime
        .sign_in("olga", "drill-2026".into(), Some("10.0.0.7"))
        .await
        .expect("a session");
    created
}

/// An instance created with an idempotency key.
pub struct Created {
    pub workflow: String,
    pub key: String,
    pub data: serde_json::Map<String, Json>,
    pub idempotency_key: String,
    pub id: uuid::Uuid,
}

/// Every table as rows of values; JSON text parsed, so that SQLite's text
/// and PostgreSQL's `jsonb` of the same value compare equal.
pub async fn dump(store: &Store) -> BTreeMap<&'static str, Vec<Vec<Json>>> {
    let mut snapshot = store.snapshot().await.expect("a snapshot");
    let mut tables = BTreeMap::new();
    for table in TABLES {
        let columns = snapshot.columns(table).await.expect("columns");
        let rows: Vec<Vec<Json>> = snapshot
            .rows(table, &columns)
            .map_ok(|row| row.into_iter().map(normalized).collect())
            .try_collect()
            .await
            .expect("rows");
        tables.insert(table, rows);
    }
    tables
}

fn normalized(value: Cell) -> Json {
    match value {
        Cell::Null => Json::Null,
        Cell::Int(int) => Json::from(int),
        Cell::Text(text) if text.starts_with('{') || text.starts_with('[') => {
            serde_json::from_str(&text).unwrap_or(Json::String(text))
        }
        Cell::Text(text) => Json::String(text),
    }
}

/// Runs the `flowkeeper` binary; returns its exit status, stdout and stderr.
pub fn flowkeeper(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
        .args(args)
        .env_remove("FLOWKEEPER_DATABASE_URL")
        .env("RUST_LOG", "error")
        .output()
        .expect("run flowkeeper");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
