//! The runtime's throughput and latency on a real database, beside the raw
//! rate of the same database doing a comparable transaction without the
//! engine, so the engine's overhead is visible.
//!
//! ```text
//! cargo bench --bench runtime -- --database sqlite
//! cargo bench --bench runtime -- --database postgres://postgres@127.0.0.1/test
//! ```
//!
//! `sqlite` means a fresh file in a temporary folder; a PostgreSQL URL gets
//! a fresh schema, dropped at the end. Every event is posted with a client
//! event id (the idempotent path the API recommends), so one event is:
//! read the idempotency key, load the instance (locked), update it, number
//! and insert its history line, remember the answer — the raw baseline runs
//! the same six statements in one transaction on tables of its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use flowkeeper::engine::{AccountName, Actor, Millis};
use flowkeeper::model::{Catalog, load_str};
use flowkeeper::runtime::{ManualClock, Runtime, RuntimeConfig, Target};
use flowkeeper::store::{Store, StoreOptions, testing};
use serde_json::{Map, json};

const WORKFLOW: &str = r#"
id = "bench"
version = 1
title = "Benchmark"
start = "open"

[data.count]
type = "integer"
default = 0

[states.open]
on.bump = { set = { count = "data.count + 1" } }
on.tick = { set = { count = "data.count + 1" } }
on.close = "closed"

[states.closed]
terminal = true

[events.bump]
fields.note = { type = "string" }
[events.tick]
[events.close]

[timers.tick]
after = "1m"
event = "tick"
"#;

#[derive(Debug, Parser)]
struct Args {
    /// `sqlite` (a fresh temporary file) or a `postgres://` URL.
    #[arg(long)]
    database: String,
    /// Events per run, split evenly between the writers.
    #[arg(long, default_value_t = 4_000)]
    events: usize,
    /// The writer counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    writers: Vec<usize>,
    /// Timers to fire in the timer run.
    #[arg(long, default_value_t = 4_000)]
    timers: usize,
    /// Connections in the pool.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// 2026-01-01T00:00:00Z: the manual clock's start.
const START: Millis = 1_767_225_600_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (store, raw, cleanup) = open(&args).await?;
    let clock = ManualClock::new(START);
    let config = RuntimeConfig {
        timer_batch: 200,
        ..RuntimeConfig::default()
    };
    let catalog =
        Catalog::from_definitions([load_str("bench.toml".as_ref(), WORKFLOW)
            .map_err(|errors| anyhow::anyhow!("{errors}"))?]);
    let runtime = Arc::new(
        Runtime::with_config(store.clone(), catalog, Arc::new(clock.clone()), config).await?,
    );
    raw.prepare().await?;
    // Warm up: every pooled connection prepares its statements once, and the
    // first measured run should not pay for that.
    let warm_up = args.connections as usize;
    engine_run(&runtime, usize::MAX, warm_up, 5).await?;
    raw_run(&raw, usize::MAX, warm_up, 5).await?;

    println!("database: {}", label(&args.database));
    println!(
        "| writers | events | engine events/s | p50 ms | p99 ms | raw tx/s | raw p50 ms | raw p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (run, &writers) in args.writers.iter().enumerate() {
        let per_writer = (args.events / writers.max(1)).max(1);
        let engine = engine_run(&runtime, run, writers, per_writer).await?;
        let raw = raw_run(&raw, run, writers, per_writer).await?;
        println!(
            "| {writers} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} |",
            engine.count,
            engine.rate(),
            engine.percentile(50.0),
            engine.percentile(99.0),
            raw.rate(),
            raw.percentile(50.0),
            raw.percentile(99.0),
        );
    }
    let (fired, took) = timer_run(&runtime, &clock, args.timers).await?;
    println!(
        "timers: {fired} fired in {:.2} s = {:.0} timers/s (one runner)",
        took.as_secs_f64(),
        fired as f64 / took.as_secs_f64()
    );
    raw.close().await;
    cleanup.run(&store).await
}

/// A run's latencies (ms) and wall time.
struct Measured {
    count: usize,
    wall: Duration,
    latencies: Vec<f64>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.count as f64 / self.wall.as_secs_f64()
    }

    fn percentile(&self, percent: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = (percent / 100.0 * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }
}

/// Runs `writers` tasks of `per_writer` operations each and gathers timings.
async fn measure<F, Fut>(
    writers: usize,
    per_writer: usize,
    operation: F,
) -> anyhow::Result<Measured>
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let operation = operation.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_writer);
                for n in 0..per_writer {
                    let began = Instant::now();
                    operation(writer, n).await?;
                    latencies.push(began.elapsed().as_secs_f64() * 1_000.0);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(writers * per_writer);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let wall = started.elapsed();
    latencies.sort_by(f64::total_cmp);
    Ok(Measured {
        count: latencies.len(),
        wall,
        latencies,
    })
}

/// Each writer posts to its own instance, with a client event id.
async fn engine_run(
    runtime: &Arc<Runtime>,
    run: usize,
    writers: usize,
    per_writer: usize,
) -> anyhow::Result<Measured> {
    let actor = bench_actor()?;
    let mut targets = Vec::with_capacity(writers);
    for writer in 0..writers {
        let key = format!("run{run}-w{writer}");
        let instance = runtime
            .create("bench", &key, Map::new(), &actor, None)
            .await?;
        targets.push(Target::Id(instance.id));
    }
    let targets = Arc::new(targets);
    let runtime = Arc::clone(runtime);
    let actor = Arc::new(actor);
    measure(writers, per_writer, move |writer, n| {
        let runtime = Arc::clone(&runtime);
        let targets = Arc::clone(&targets);
        let actor = Arc::clone(&actor);
        async move {
            let event_id = format!("run{run}-w{writer}-e{n}");
            let data = match json!({ "note": event_id }) {
                serde_json::Value::Object(data) => data,
                _ => unreachable!("a literal object"),
            };
            runtime
                .post_event(
                    &targets[writer],
                    "bump",
                    data,
                    actor.as_ref(),
                    Some(&event_id),
                )
                .await?;
            Ok(())
        }
    })
    .await
}

async fn raw_run(
    raw: &raw::Pool,
    run: usize,
    writers: usize,
    per_writer: usize,
) -> anyhow::Result<Measured> {
    for writer in 0..writers {
        raw.insert_row(&format!("run{run}-w{writer}")).await?;
    }
    let raw = raw.clone();
    measure(writers, per_writer, move |writer, n| {
        let raw = raw.clone();
        async move {
            let row = format!("run{run}-w{writer}");
            raw.event(&row, &format!("{row}-e{n}")).await
        }
    })
    .await
}

/// Who the benchmark's changes are recorded as.
fn bench_actor() -> anyhow::Result<Actor> {
    Ok(Actor::Account(AccountName::parse("bench")?))
}

/// Creates `count` instances with a 1-minute timer, then moves the clock
/// past it and times one runner firing them all.
async fn timer_run(
    runtime: &Arc<Runtime>,
    clock: &ManualClock,
    count: usize,
) -> anyhow::Result<(usize, Duration)> {
    let creators = 16;
    let actor = bench_actor()?;
    let tasks: Vec<_> = (0..creators)
        .map(|creator| {
            let runtime = Arc::clone(runtime);
            let actor = actor.clone();
            tokio::spawn(async move {
                for n in (creator..count).step_by(creators) {
                    let key = format!("timer-{n}");
                    runtime
                        .create("bench", &key, Map::new(), &actor, None)
                        .await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    clock.advance(120_000);
    let started = Instant::now();
    let fired = runtime.fire_due_timers().await?;
    Ok((fired, started.elapsed()))
}

/// What to undo at the end.
enum Cleanup {
    /// The temporary folder goes when this is dropped.
    SqliteDir(tempfile::TempDir),
    PostgresSchema(String),
}

impl Cleanup {
    async fn run(self, store: &Store) -> anyhow::Result<()> {
        match self {
            Cleanup::SqliteDir(dir) => dir.close()?,
            Cleanup::PostgresSchema(schema) => testing::drop_schema(store, &schema).await?,
        }
        Ok(())
    }
}

/// The store, the raw baseline's own pool on the same database (its own
/// tables beside the store's), and what to undo at the end.
async fn open(args: &Args) -> anyhow::Result<(Store, raw::Pool, Cleanup)> {
    if args.database == "sqlite" {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let options = StoreOptions {
            max_connections: args.connections,
            ..StoreOptions::new(url.clone())
        };
        let store = Store::connect_with(&options).await?;
        let raw = raw::Pool::sqlite(&url, args.connections).await?;
        return Ok((store, raw, Cleanup::SqliteDir(dir)));
    }
    let (store, schema) = testing::fresh_schema(&args.database, "bench", args.connections)
        .await
        .with_context(|| format!("while connecting to {}", args.database))?;
    let url = testing::url_with_schema(&args.database, &schema);
    let raw = raw::Pool::postgres(&url, args.connections).await?;
    Ok((store, raw, Cleanup::PostgresSchema(schema)))
}

fn label(database: &str) -> &str {
    if database.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// The baseline: the statements of one idempotent event, written by hand,
/// on tables of its own, through a pool of its own opened like the store's.
mod raw {
    use std::str::FromStr;
    use std::time::Duration;

    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };

    #[derive(Clone)]
    pub enum Pool {
        Sqlite(sqlx::SqlitePool),
        Postgres(sqlx::PgPool),
    }

    const TABLES: [&str; 3] = [
        "CREATE TABLE IF NOT EXISTS raw_rows (id TEXT PRIMARY KEY, count BIGINT NOT NULL, \
         data TEXT NOT NULL, revision BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS raw_log (row_id TEXT NOT NULL, seq BIGINT NOT NULL, \
         data TEXT NOT NULL, PRIMARY KEY (row_id, seq))",
        "CREATE TABLE IF NOT EXISTS raw_keys (key TEXT PRIMARY KEY, answer TEXT NOT NULL)",
    ];

    impl Pool {
        /// The SQLite file at `url`, with the store's settings (WAL,
        /// `synchronous = NORMAL`, a busy timeout).
        pub async fn sqlite(url: &str, connections: u32) -> anyhow::Result<Self> {
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(connections)
                .connect_with(options)
                .await?;
            Ok(Pool::Sqlite(pool))
        }

        pub async fn postgres(url: &str, connections: u32) -> anyhow::Result<Self> {
            let pool = PgPoolOptions::new()
                .max_connections(connections)
                .connect_with(PgConnectOptions::from_str(url)?)
                .await?;
            Ok(Pool::Postgres(pool))
        }

        pub async fn prepare(&self) -> anyhow::Result<()> {
            for statement in TABLES {
                match self {
                    Pool::Sqlite(pool) => {
                        sqlx::query(statement).execute(pool).await?;
                    }
                    Pool::Postgres(pool) => {
                        sqlx::query(statement).execute(pool).await?;
                    }
                }
            }
            Ok(())
        }

        pub async fn insert_row(&self, id: &str) -> anyhow::Result<()> {
            let statement =
                "INSERT INTO raw_rows (id, count, data, revision) VALUES ($1, 0, '{}', 1)";
            match self {
                Pool::Sqlite(pool) => {
                    sqlx::query(statement).bind(id).execute(pool).await?;
                }
                Pool::Postgres(pool) => {
                    sqlx::query(statement).bind(id).execute(pool).await?;
                }
            }
            Ok(())
        }

        pub async fn event(&self, row: &str, key: &str) -> anyhow::Result<()> {
            match self {
                Pool::Sqlite(pool) => {
                    // Queued in-process like the store's own writers, for a fair comparison.
                    static GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
                    let _gate = GATE.lock().await;
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    event_on!(tx, "", row, key);
                    tx.commit().await?;
                }
                Pool::Postgres(pool) => {
                    let mut tx = pool.begin().await?;
                    event_on!(tx, " FOR UPDATE", row, key);
                    tx.commit().await?;
                }
            }
            Ok(())
        }

        pub async fn close(&self) {
            match self {
                Pool::Sqlite(pool) => pool.close().await,
                Pool::Postgres(pool) => pool.close().await,
            }
        }
    }

    /// One transaction of six statements, shaped like an idempotent event.
    macro_rules! event_on {
        ($tx:expr, $lock:literal, $row:expr, $key:expr) => {{
            let tx = &mut $tx;
            let seen: Option<String> =
                sqlx::query_scalar("SELECT answer FROM raw_keys WHERE key = $1")
                    .bind($key)
                    .fetch_optional(&mut **tx)
                    .await?;
            anyhow::ensure!(seen.is_none(), "key {} used twice", $key);
            let (count, revision): (i64, i64) = sqlx::query_as(concat!(
                "SELECT count, revision FROM raw_rows WHERE id = $1",
                $lock
            ))
            .bind($row)
            .fetch_one(&mut **tx)
            .await?;
            let data = format!("{{\"count\": {}}}", count + 1);
            sqlx::query(
                "UPDATE raw_rows SET count = $2, data = $3, revision = revision + 1 \
                 WHERE id = $1 AND revision = $4",
            )
            .bind($row)
            .bind(count + 1)
            .bind(&data)
            .bind(revision)
            .execute(&mut **tx)
            .await?;
            let last: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM raw_log WHERE row_id = $1")
                    .bind($row)
                    .fetch_one(&mut **tx)
                    .await?;
            sqlx::query("INSERT INTO raw_log (row_id, seq, data) VALUES ($1, $2, $3)")
                .bind($row)
                .bind(last + 1)
                .bind(&data)
                .execute(&mut **tx)
                .await?;
            sqlx::query("INSERT INTO raw_keys (key, answer) VALUES ($1, $2)")
                .bind($key)
                .bind(&data)
                .execute(&mut **tx)
                .await?;
        }};
    }
    use event_on;
}
