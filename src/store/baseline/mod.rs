//! The raw database of the benchmarks (`benches/runtime.rs`,
//! `benches/timers.rs`, `loadgen`): the engine's writes done by hand, on
//! tables of their own, through a pool of its own opened like the store's,
//! so that a benchmark prints the engine beside what the same database
//! does with the same writes in the same run.
//!
//! Both kinds of work change a row as a step changes an instance: load
//! the row (locked on PostgreSQL), update it, number and insert its log
//! line. An event (`events.rs`) adds an idempotency key read before and an
//! answer remembered after; a timer (`timers.rs`) is claimed first and
//! deleted after, as the runner does.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use super::StoreError;

pub use events::Batcher;

const TABLES: [&str; 5] = [
    "CREATE TABLE IF NOT EXISTS raw_rows (id TEXT PRIMARY KEY, count BIGINT NOT NULL, \
     data TEXT NOT NULL, revision BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS raw_log (row_id TEXT NOT NULL, seq BIGINT NOT NULL, \
     data TEXT NOT NULL, at BIGINT, PRIMARY KEY (row_id, seq))",
    "CREATE TABLE IF NOT EXISTS raw_keys (key TEXT PRIMARY KEY, answer TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS raw_timers (row_id TEXT PRIMARY KEY, due_at BIGINT NOT NULL, \
     claimed_by TEXT, claimed_until BIGINT)",
    "CREATE INDEX IF NOT EXISTS raw_timers_due ON raw_timers (due_at)",
];

/// A fresh row, `$1` its id.
const INSERT_ROW: &str = "INSERT INTO raw_rows (id, count, data, revision) VALUES ($1, 0, '{}', 1)";

/// Runs the same statement on either pool.
macro_rules! on_pool {
    ($baseline:expr, |$pool:ident| $body:expr) => {
        match $baseline {
            Baseline::Sqlite($pool) => $body,
            Baseline::Postgres($pool) => $body,
        }
    };
}

/// One row changed in the open transaction `$tx`, as a step changes an
/// instance: loaded (with `$lock`) and updated, its log line numbered and
/// inserted with the time `$at` (`None` for events, which keep none).
/// Gives the row's new data.
macro_rules! change_row {
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
        data
    }};
}

// After the macros, which they use.
mod events;
mod timers;

/// A pool on the benchmark's database, beside the store's tables.
#[derive(Clone)]
pub enum Baseline {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Why the baseline failed: the database, or a key written twice (the
/// benchmark's own bug).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("key {0} used twice")]
    KeyUsedTwice(String),
    #[error("the batching writer stopped")]
    WriterGone,
}

impl Baseline {
    /// `sqlite://PATH` with the store's settings (WAL, the same
    /// `synchronous`, a busy timeout), or a `postgres://` URL (a schema
    /// chosen through its `search_path` option); creates the tables.
    pub async fn open(url: &str, connections: u32) -> Result<Self, StoreError> {
        let baseline = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(super::sqlite::SYNCHRONOUS)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(connections)
                .connect_with(options)
                .await?;
            Baseline::Sqlite(pool)
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(connections)
                .connect_with(PgConnectOptions::from_str(url)?)
                .await?;
            Baseline::Postgres(pool)
        };
        for statement in TABLES {
            on_pool!(&baseline, |pool| {
                sqlx::query(statement).execute(pool).await?;
            });
        }
        Ok(baseline)
    }

    /// A row for events to change.
    pub async fn insert_row(&self, id: &str) -> Result<(), BaselineError> {
        on_pool!(self, |pool| {
            sqlx::query(INSERT_ROW).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}
