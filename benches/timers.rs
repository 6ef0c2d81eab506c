//! Timers fired by one runner, beside the raw database doing the same
//! claim and update work in the same run.
//!
//! ```text
//! cargo bench --bench timers -- --database sqlite
//! cargo bench --bench timers -- --database postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! Two runs per database:
//!
//! - **burst**: `--burst` timers (20 000) all due at once; one runner
//!   (`Runtime::fire_due_timers`) fires them, timed from the first claim
//!   to the last commit.
//! - **paced**: `--rate` timers (2 000) fall due every second for
//!   `--seconds` (30); the scheduler's timer loop fires them as they fall
//!   due, and the lag of each (its timer line's time minus its due time,
//!   in whole milliseconds of the runner's clock) gives p50 / p99.
//!
//! The raw baseline, on tables of its own through a pool of its own,
//! claims with the same statement shape (`UPDATE … RETURNING`, with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL) and fires each timer as five
//! statements (load the row locked, update it, number and insert its log
//! line, delete the timer), 50 per transaction, in 4 lanes at once on
//! PostgreSQL, as the runner does.
//! The last lines are `metric <name> <value>`, named `sqlite_…` or `pg_…`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use flowkeeper::engine::{AccountName, Actor, HistoryKind, Millis};
use flowkeeper::model::{Catalog, load_str};
use flowkeeper::runtime::{
    Clock, CreateInstance, ManualClock, Principal, Runtime, RuntimeConfig, SchedulerConfig,
    SystemClock,
};
use flowkeeper::store::{Store, StoreOptions, testing};
use serde_json::Map;
use uuid::Uuid;

const WORKFLOW: &str = r#"
id = "bench"
version = 1
title = "Benchmark"
start = "open"

[data.count]
type = "integer"
default = 0

[states.open]
on.tick = { set = { count = "data.count + 1" } }
on.close = "closed"

[states.closed]
terminal = true

[events.tick]
[events.close]

[timers.tick]
after = "1m"
event = "tick"
"#;

/// The timer's `after`.
const AFTER: Millis = 60_000;

#[derive(Debug, Parser)]
struct Args {
    /// `sqlite` (a fresh temporary file) or a `postgres://` URL.
    #[arg(long)]
    database: String,
    /// Timers due at once in the burst run.
    #[arg(long, default_value_t = 20_000)]
    burst: usize,
    /// Timers falling due per second in the paced run.
    #[arg(long, default_value_t = 2_000)]
    rate: usize,
    /// How long the paced run lasts.
    #[arg(long, default_value_t = 30)]
    seconds: usize,
    /// Timers claimed per statement (`RuntimeConfig::timer_batch`).
    #[arg(long, default_value_t = 200)]
    batch: u32,
    /// Connections in the pool.
    #[arg(long, default_value_t = 8)]
    connections: u32,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// 2026-01-01T00:00:00Z: the manual clock's start.
const START: Millis = 1_767_225_600_000;

/// Instances created per transaction while setting up.
const CREATED_PER_TRANSACTION: usize = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (store, raw, cleanup) = open(&args).await?;
    let prefix = if args.database.starts_with("postgres") {
        "pg"
    } else {
        "sqlite"
    };
    let clock = ManualClock::new(START);
    let config = RuntimeConfig {
        timer_batch: args.batch,
        ..RuntimeConfig::default()
    };
    let catalog = || -> anyhow::Result<Catalog> {
        let definition = load_str("bench.toml".as_ref(), WORKFLOW)
            .map_err(|errors| anyhow::anyhow!("{errors}"))?;
        Ok(Catalog::from_definitions([definition]))
    };
    let runtime = Runtime::with_config(
        store.clone(),
        catalog()?,
        Arc::new(clock.clone()),
        config.clone(),
    )
    .await?;
    raw.prepare().await?;
    println!("database: {prefix}, one runner, {} per claim", args.batch);

    // Burst: every timer due at once.
    create(&runtime, &clock, args.burst, None).await?;
    clock.advance(AFTER + 1_000);
    let started = Instant::now();
    let fired = runtime.fire_due_timers().await?;
    let burst = started.elapsed();
    anyhow::ensure!(fired == args.burst, "fired {fired} of {}", args.burst);
    let raw_burst = raw.burst(args.burst, args.batch).await?;
    let rate = |count: usize, took: Duration| count as f64 / took.as_secs_f64();
    println!("| burst | timers | seconds | timers/s |");
    println!("|---|---|---|---|");
    println!(
        "| engine | {fired} | {:.2} | {:.0} |",
        burst.as_secs_f64(),
        rate(fired, burst)
    );
    println!(
        "| raw | {} | {:.2} | {:.0} |",
        args.burst,
        raw_burst.as_secs_f64(),
        rate(args.burst, raw_burst)
    );

    // Paced: `rate` timers fall due per second.
    let count = args.rate * args.seconds;
    let pace = Pace {
        first_at: clock.now() + 1_000,
        rate: args.rate,
    };
    let due = create(&runtime, &clock, count, Some(pace)).await?;
    let lags = paced(&store, catalog()?, config, &due).await?;
    let raw_lags = raw.paced(count, args.rate, args.batch).await?;
    println!(
        "| paced {}/s for {} s | timers | lag p50 ms | lag p99 ms | lag max ms |",
        args.rate, args.seconds
    );
    println!("|---|---|---|---|---|");
    for (name, lags) in [("engine", &lags), ("raw", &raw_lags)] {
        println!(
            "| {name} | {} | {:.0} | {:.0} | {:.0} |",
            lags.len(),
            percentile(lags, 50.0),
            percentile(lags, 99.0),
            percentile(lags, 100.0)
        );
    }
    println!(
        "metric {prefix}_timers_burst_per_s {:.0}",
        rate(fired, burst)
    );
    println!(
        "metric {prefix}_timers_burst_seconds {:.3}",
        burst.as_secs_f64()
    );
    println!(
        "metric {prefix}_raw_timers_burst_per_s {:.0}",
        rate(args.burst, raw_burst)
    );
    println!(
        "metric {prefix}_timer_lag_p50_ms {:.0}",
        percentile(&lags, 50.0)
    );
    println!(
        "metric {prefix}_timer_lag_p99_ms {:.0}",
        percentile(&lags, 99.0)
    );
    println!(
        "metric {prefix}_raw_timer_lag_p50_ms {:.0}",
        percentile(&raw_lags, 50.0)
    );
    println!(
        "metric {prefix}_raw_timer_lag_p99_ms {:.0}",
        percentile(&raw_lags, 99.0)
    );
    raw.close().await;
    cleanup.run(&store).await
}

/// When paced instances are created: `rate` a second from `first_at`.
struct Pace {
    first_at: Millis,
    rate: usize,
}

impl Pace {
    /// When the `n`-th is created.
    fn at(&self, n: usize) -> Millis {
        let offset = n.saturating_mul(1_000) / self.rate.max(1);
        self.first_at + Millis::try_from(offset).unwrap_or(Millis::MAX)
    }
}

/// Creates `count` instances, many per transaction; paced, the n-th at
/// `pace.at(n)` on the manual clock (so their timers fall due at that
/// pace), else all at the clock's now. Returns each instance's id and due
/// time.
async fn create(
    runtime: &Runtime,
    clock: &ManualClock,
    count: usize,
    pace: Option<Pace>,
) -> anyhow::Result<Vec<(Uuid, Millis)>> {
    let by = Principal::Trusted(Actor::Account(AccountName::parse("bench")?));
    let mut created = Vec::with_capacity(count);
    let prefix = runtime.new_id();
    for chunk in (0..count)
        .collect::<Vec<_>>()
        .chunks(CREATED_PER_TRANSACTION)
    {
        let mut tx = runtime.store().begin().await?;
        let mut executed = Vec::with_capacity(chunk.len());
        for &n in chunk {
            if let Some(pace) = &pace {
                clock.set(pace.at(n));
            }
            let command = CreateInstance {
                workflow: "bench".into(),
                key: format!("{prefix}-{n}"),
                data: Map::new(),
                by: by.clone(),
                idempotency_key: None,
            };
            executed.push(runtime.execute(&mut tx, &command).await?);
        }
        tx.commit().await?;
        for executed in executed {
            let instance = runtime.committed(executed);
            created.push((instance.id, instance.created_at + AFTER));
        }
    }
    Ok(created)
}

/// The system clock shifted so that the paced timers start falling due
/// just after the run starts.
struct ShiftedClock {
    offset: AtomicI64,
}

impl Clock for ShiftedClock {
    fn now(&self) -> Millis {
        SystemClock.now() + self.offset.load(Ordering::Relaxed)
    }
}

/// Runs the scheduler's timer loop on a runtime of its own (a shifted
/// system clock) until every timer of `due` fired; returns each one's lag
/// in milliseconds, read from its timer line.
async fn paced(
    store: &Store,
    catalog: Catalog,
    config: RuntimeConfig,
    due: &[(Uuid, Millis)],
) -> anyhow::Result<Vec<f64>> {
    let first_due = due.iter().map(|(_, due_at)| *due_at).min().unwrap_or(0);
    let clock = Arc::new(ShiftedClock {
        offset: AtomicI64::new(0),
    });
    clock
        .offset
        .store(first_due - 200 - SystemClock.now(), Ordering::Relaxed);
    let runtime =
        Arc::new(Runtime::with_config(store.clone(), catalog, clock.clone(), config).await?);
    let scheduler = runtime.start_scheduler(SchedulerConfig::default());
    let last_due = due.iter().map(|(_, due_at)| *due_at).max().unwrap_or(0);
    while clock.now() < last_due + 1_000 || store.row_counts().await?["timers"] > 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        anyhow::ensure!(
            clock.now() < last_due + 120_000,
            "timers still pending two minutes after the last was due"
        );
    }
    scheduler.stop().await;
    let mut lags = Vec::with_capacity(due.len());
    for (id, due_at) in due {
        let history = store.history(*id).await?;
        let fired = history
            .iter()
            .find(|line| line.entry.kind() == HistoryKind::Timer)
            .with_context(|| format!("instance {id} has no timer line"))?;
        lags.push((fired.entry.at - due_at) as f64);
    }
    lags.sort_by(f64::total_cmp);
    Ok(lags)
}

fn percentile(sorted: &[f64], percent: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (percent / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
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

/// The store, the raw baseline's own pool on the same database, and what
/// to undo at the end.
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

/// The baseline: claiming and firing timers by hand, on tables of its own.
mod raw {
    use std::str::FromStr;
    use std::time::{Duration, Instant};

    use flowkeeper::engine::Millis;
    use flowkeeper::runtime::{Clock, SystemClock};
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };

    /// Timers fired per transaction, as the runner does.
    const PER_TRANSACTION: usize = 50;

    /// Transactions at once on PostgreSQL, as the runner's lanes
    /// (`Store::firing_lanes`).
    const LANES: usize = 4;

    #[derive(Clone)]
    pub enum Pool {
        Sqlite(sqlx::SqlitePool),
        Postgres(sqlx::PgPool),
    }

    const TABLES: [&str; 3] = [
        "CREATE TABLE IF NOT EXISTS raw_rows (id TEXT PRIMARY KEY, count BIGINT NOT NULL, \
         data TEXT NOT NULL, revision BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS raw_log (row_id TEXT NOT NULL, seq BIGINT NOT NULL, \
         data TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (row_id, seq))",
        "CREATE TABLE IF NOT EXISTS raw_timers (row_id TEXT PRIMARY KEY, due_at BIGINT NOT NULL, \
         claimed_by TEXT, claimed_until BIGINT)",
    ];

    const INDEX: &str = "CREATE INDEX IF NOT EXISTS raw_timers_due ON raw_timers (due_at)";

    /// Runs the same statement on either pool.
    macro_rules! on_pool {
        ($pool:expr, |$executor:ident| $body:expr) => {
            match $pool {
                Pool::Sqlite($executor) => $body,
                Pool::Postgres($executor) => $body,
            }
        };
    }

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
            for statement in TABLES.into_iter().chain([INDEX]) {
                on_pool!(self, |pool| {
                    sqlx::query(statement).execute(pool).await?;
                });
            }
            Ok(())
        }

        /// Inserts `count` rows whose timers fall due from `first_due`,
        /// `per_second` a second, many per transaction.
        async fn insert(
            &self,
            run: &str,
            count: usize,
            first_due: Millis,
            per_second: usize,
        ) -> anyhow::Result<()> {
            for start in (0..count).step_by(500) {
                let end = (start + 500).min(count);
                on_pool!(self, |pool| {
                    let mut tx = pool.begin().await?;
                    for n in start..end {
                        let id = format!("{run}-{n}");
                        let due = first_due + (n * 1_000 / per_second.max(1)) as Millis;
                        sqlx::query(
                            "INSERT INTO raw_rows (id, count, data, revision) \
                             VALUES ($1, 0, '{}', 1)",
                        )
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query("INSERT INTO raw_timers (row_id, due_at) VALUES ($1, $2)")
                            .bind(&id)
                            .bind(due)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                });
            }
            Ok(())
        }

        /// `count` timers all due now, fired by one runner; returns how
        /// long it took.
        pub async fn burst(&self, count: usize, batch: u32) -> anyhow::Result<Duration> {
            let now = SystemClock.now();
            self.insert("burst", count, now - 1_000, usize::MAX).await?;
            let started = Instant::now();
            let mut fired = 0;
            loop {
                let claimed = self.fire_due(batch).await?;
                if claimed.is_empty() {
                    break;
                }
                fired += claimed.len();
            }
            anyhow::ensure!(fired == count, "raw fired {fired} of {count}");
            Ok(started.elapsed())
        }

        /// `rate` timers falling due per second, `count` in all, fired by
        /// one runner that sleeps a millisecond when nothing is due;
        /// returns the lags (fired − due, ms), sorted.
        pub async fn paced(
            &self,
            count: usize,
            rate: usize,
            batch: u32,
        ) -> anyhow::Result<Vec<f64>> {
            let first_due = SystemClock.now() + 2_000;
            self.insert("paced", count, first_due, rate).await?;
            let mut lags = Vec::with_capacity(count);
            while lags.len() < count {
                let fired = self.fire_due(batch).await?;
                if fired.is_empty() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                lags.extend(fired.into_iter().map(|(due, at)| (at - due) as f64));
            }
            lags.sort_by(f64::total_cmp);
            Ok(lags)
        }

        /// Claims up to `batch` due timers and fires them, 50 per
        /// transaction; returns each one's due time and firing time.
        async fn fire_due(&self, batch: u32) -> anyhow::Result<Vec<(Millis, Millis)>> {
            let now = SystemClock.now();
            let claimed: Vec<(String, i64)> = on_pool!(self, |pool| {
                let lock = match self {
                    Pool::Sqlite(_) => "",
                    Pool::Postgres(_) => " FOR UPDATE SKIP LOCKED",
                };
                let claim = format!(
                    "UPDATE raw_timers SET claimed_by = 'raw', claimed_until = $1 \
                     WHERE row_id IN (SELECT row_id FROM raw_timers WHERE due_at <= $2 \
                     AND (claimed_until IS NULL OR claimed_until < $2) \
                     ORDER BY due_at LIMIT $3{lock}) RETURNING row_id, due_at"
                );
                sqlx::query_as(sqlx::AssertSqlSafe(claim))
                    .bind(now + 60_000)
                    .bind(now)
                    .bind(i64::from(batch))
                    .fetch_all(pool)
                    .await?
            });
            // PostgreSQL: as many lanes at once as the runner uses, each
            // row in one lane; SQLite: one.
            let lanes = match self {
                Pool::Sqlite(_) => 1,
                Pool::Postgres(_) => LANES,
            };
            let mut split: Vec<Vec<(String, i64)>> = vec![Vec::new(); lanes];
            for (n, timer) in claimed.into_iter().enumerate() {
                split[n % lanes].push(timer);
            }
            let runs = split.iter().map(|lane| self.fire_lane(lane));
            let mut fired = Vec::new();
            for lane in futures_util::future::join_all(runs).await {
                fired.extend(lane?);
            }
            Ok(fired)
        }

        /// Fires one lane's timers, [`PER_TRANSACTION`] per transaction.
        async fn fire_lane(
            &self,
            timers: &[(String, i64)],
        ) -> anyhow::Result<Vec<(Millis, Millis)>> {
            let mut fired = Vec::with_capacity(timers.len());
            for chunk in timers.chunks(PER_TRANSACTION) {
                match self {
                    Pool::Sqlite(pool) => {
                        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                        for (row, due) in chunk {
                            let at = SystemClock.now();
                            fire_on!(tx, "", row, at);
                            fired.push((*due, at));
                        }
                        tx.commit().await?;
                    }
                    Pool::Postgres(pool) => {
                        let mut tx = pool.begin().await?;
                        for (row, due) in chunk {
                            let at = SystemClock.now();
                            fire_on!(tx, " FOR UPDATE", row, at);
                            fired.push((*due, at));
                        }
                        tx.commit().await?;
                    }
                }
            }
            Ok(fired)
        }

        pub async fn close(&self) {
            on_pool!(self, |pool| pool.close().await)
        }
    }

    /// One timer fired: its row loaded (locked) and updated, its log line
    /// numbered and inserted, the timer deleted.
    macro_rules! fire_on {
        ($tx:expr, $lock:literal, $row:expr, $at:expr) => {{
            let tx = &mut $tx;
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
            sqlx::query("INSERT INTO raw_log (row_id, seq, data, at) VALUES ($1, $2, $3, $4)")
                .bind($row)
                .bind(last + 1)
                .bind(&data)
                .bind($at)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM raw_timers WHERE row_id = $1")
                .bind($row)
                .execute(&mut **tx)
                .await?;
        }};
    }
    use fire_on;
}
