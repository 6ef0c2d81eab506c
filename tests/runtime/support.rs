//! Fresh databases, the test workflows and a runtime on a manual clock.

use std::path::Path;
use std::sync::Arc;

use flowkeeper::engine::{AccountName, Actor, Millis};
use flowkeeper::model::{Catalog, Definition, load_str};
use flowkeeper::runtime::{ManualClock, Runtime, RuntimeConfig};
use flowkeeper::store::{Store, testing};
use serde_json::{Map, Value as Json};
use tempfile::TempDir;

/// 2026-01-01T00:00:00Z.
pub const START: Millis = 1_767_225_600_000;
pub const HOUR: Millis = 3_600_000;
pub const DAY: Millis = 24 * HOUR;

pub struct TestDb {
    pub store: Store,
    /// What a separate process connects to (with `schema` on PostgreSQL).
    pub url: String,
    pub schema: Option<String>,
    _dir: Option<TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("flowkeeper.db").display());
    let store = Store::connect(&url).await.expect("open SQLite");
    TestDb {
        store,
        url,
        schema: None,
        _dir: Some(dir),
    }
}

/// A store in a fresh schema; `None` (and a note) when no PostgreSQL is
/// configured. A configured but unreachable one fails the test.
pub async fn postgres() -> Option<TestDb> {
    let url = testing::postgres_url()?;
    let (store, schema) = testing::fresh_schema(&url, "t", 8)
        .await
        .expect("connect to FLOWKEEPER_TEST_DATABASE_URL");
    Some(TestDb {
        store,
        url,
        schema: Some(schema),
        _dir: None,
    })
}

impl TestDb {
    pub async fn drop_schema(self) {
        if let Some(schema) = &self.schema {
            testing::drop_schema(&self.store, schema)
                .await
                .expect("drop test schema");
        }
    }
}

pub const TICKET_V1: &str = r#"
id = "ticket"
version = 1
title = "Ticket"
start = "open"

[data.count]
type = "integer"
default = 0

[states.open]
stuck_after = "1h"
on.bump = { set = { count = "data.count + 1" } }
on.close = "closed"
on.wait = "waiting"
on.escalate = { to = "escalated", actions = [ { spawn = { workflow = "review", key = "key", data = { ticket = "key" } } } ] }
on.ping_review = { actions = [ { send = { workflow = "review", key = "key", event = "ping", start = true } } ] }
on.poke_missing = { actions = [ { send = { workflow = "review", key = "'nobody'", event = "ping" } } ] }

[states.waiting]
on.remind = "reminded"
on.close = "closed"

[states.reminded]
on_enter = [ { notify = { webhook = "crm", payload = { ticket = "key" } } } ]
on.followup = "followed_up"

[states.followed_up]
on.close = "closed"

[states.escalated]
on.close = "closed"

[states.closed]
terminal = true

[events.bump]
[events.close]
[events.wait]
[events.escalate]
[events.ping_review]
[events.poke_missing]
[events.remind]
[events.followup]

[timers.reminder]
after = "7d"
event = "remind"
states = ["waiting"]

[timers.followup]
after = "1d"
event = "followup"
states = ["reminded"]
"#;

/// Version 2 of `ticket`: closing now archives, and `waiting` is gone.
pub const TICKET_V2: &str = r#"
id = "ticket"
version = 2
title = "Ticket"
start = "open"

[data.count]
type = "integer"
default = 0

[states.open]
on.bump = { set = { count = "data.count + 1" } }
on.close = "archived"

[states.archived]
terminal = true

[events.bump]
[events.close]
"#;

pub const REVIEW: &str = r#"
id = "review"
version = 1
title = "Review"
start = "pending"

[data.ticket]
type = "string"

[data.pings]
type = "integer"
default = 0

[states.pending]
on.ping = { set = { pings = "data.pings + 1" } }
on.done = "done"

[states.done]
terminal = true

[events.ping]
[events.done]
"#;

pub fn definition(text: &str) -> Definition {
    load_str(Path::new("inline.toml"), text).unwrap_or_else(|errors| panic!("{errors}"))
}

pub fn catalog(texts: &[&str]) -> Catalog {
    Catalog::from_definitions(texts.iter().map(|text| definition(text)))
}

pub struct Harness {
    pub runtime: Arc<Runtime>,
    pub clock: ManualClock,
    pub store: Store,
}

pub async fn harness(store: Store) -> Harness {
    harness_with(store, &[TICKET_V1, REVIEW]).await
}

pub async fn harness_with(store: Store, texts: &[&str]) -> Harness {
    harness_configured(store, texts, test_config()).await
}

/// The settings the suite runs with; tests change a field and pass the
/// result to `harness_configured`.
pub fn test_config() -> RuntimeConfig {
    RuntimeConfig {
        timer_lease: 60_000,
        stuck_grace: 60_000,
        ..RuntimeConfig::default()
    }
}

pub async fn harness_configured(store: Store, texts: &[&str], config: RuntimeConfig) -> Harness {
    let clock = ManualClock::new(START);
    let runtime = Runtime::with_config(
        store.clone(),
        catalog(texts),
        Arc::new(clock.clone()),
        config,
    )
    .await
    .expect("start runtime");
    Harness {
        runtime: Arc::new(runtime),
        clock,
        store,
    }
}

pub fn data(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

impl Harness {
    pub fn clock_now(&self) -> Millis {
        use flowkeeper::runtime::Clock;
        self.clock.now()
    }
}

/// The account `name` as an actor.
pub fn actor(name: &str) -> Actor {
    Actor::Account(AccountName::parse(name).expect("a valid account name"))
}

/// A workflow whose one timer, `tick`, is due `after` entering `waiting`
/// (a duration such as `1s`) and counts itself in `ticks`: the timer
/// tests' fixture.
pub fn ticker(after: &str) -> String {
    TICKER.replace("{after}", after)
}

const TICKER: &str = r#"
id = "ticker"
version = 1
title = "Ticker"
start = "waiting"

[data.ticks]
type = "integer"
default = 0

[states.waiting]
on.tick = { set = { ticks = "data.ticks + 1" } }
on.stop = "stopped"

[states.stopped]
terminal = true

[events.tick]
[events.stop]

[timers.tick]
after = "{after}"
event = "tick"
"#;
