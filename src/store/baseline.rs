//! The raw database of the benchmarks (`benches/runtime.rs`, `loadgen`):
//! the statements of one idempotent event written by hand, on tables of
//! their own, through a pool of its own opened like the store's, so that a
//! benchmark prints the engine beside what the same database does with the
//! same writes in the same run.
//!
//! One event is: read the idempotency key, load the row (locked on
//! PostgreSQL), update it, number and insert its log line, remember the
//! answer. [`Baseline::event`] commits each event alone; a [`Batcher`]
//! commits the events of concurrent callers together, as group commit
//! does, without savepoints or anything else of the engine's.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::StoreError;

const TABLES: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS raw_rows (id TEXT PRIMARY KEY, count BIGINT NOT NULL, \
     data TEXT NOT NULL, revision BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS raw_log (row_id TEXT NOT NULL, seq BIGINT NOT NULL, \
     data TEXT NOT NULL, PRIMARY KEY (row_id, seq))",
    "CREATE TABLE IF NOT EXISTS raw_keys (key TEXT PRIMARY KEY, answer TEXT NOT NULL)",
];

/// The six statements of one event, shaped like an idempotent event.
macro_rules! event_on {
    ($tx:expr, $lock:literal, $row:expr, $key:expr) => {{
        let tx = &mut $tx;
        let seen: Option<String> = sqlx::query_scalar("SELECT answer FROM raw_keys WHERE key = $1")
            .bind($key)
            .fetch_optional(&mut **tx)
            .await?;
        if seen.is_some() {
            return Err(BaselineError::KeyUsedTwice($key.to_owned()));
        }
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
            match &baseline {
                Baseline::Sqlite(pool) => {
                    sqlx::query(statement).execute(pool).await?;
                }
                Baseline::Postgres(pool) => {
                    sqlx::query(statement).execute(pool).await?;
                }
            }
        }
        Ok(baseline)
    }

    /// A row for events to change.
    pub async fn insert_row(&self, id: &str) -> Result<(), BaselineError> {
        let statement = "INSERT INTO raw_rows (id, count, data, revision) VALUES ($1, 0, '{}', 1)";
        match self {
            Baseline::Sqlite(pool) => {
                sqlx::query(statement).bind(id).execute(pool).await?;
            }
            Baseline::Postgres(pool) => {
                sqlx::query(statement).bind(id).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// One event on `row` under idempotency `key`, in a transaction of its own.
    pub async fn event(&self, row: &str, key: &str) -> Result<(), BaselineError> {
        self.events(&[(row.to_owned(), key.to_owned())]).await
    }

    /// The events `(row, key)` in one transaction.
    pub async fn events(&self, events: &[(String, String)]) -> Result<(), BaselineError> {
        match self {
            Baseline::Sqlite(pool) => {
                // Queued in-process like the store's writers, for a fair comparison.
                static GATE: Mutex<()> = Mutex::const_new(());
                let _gate = GATE.lock().await;
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                for (row, key) in events {
                    event_on!(tx, "", row, key);
                }
                tx.commit().await?;
            }
            Baseline::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for (row, key) in events {
                    event_on!(tx, " FOR UPDATE", row, key);
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Baseline::Sqlite(pool) => pool.close().await,
            Baseline::Postgres(pool) => pool.close().await,
        }
    }
}

/// Group commit of the raw events: callers queue an event and wait;
/// `lanes` writer tasks each take every event waiting (up to `max_batch`)
/// and commit them in one transaction.
#[derive(Clone)]
pub struct Batcher {
    queue: mpsc::UnboundedSender<Queued>,
}

type Queued = ((String, String), oneshot::Sender<Result<(), BaselineError>>);

impl Batcher {
    pub fn start(baseline: Baseline, lanes: usize, max_batch: usize) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel::<Queued>();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..lanes.max(1) {
            let (baseline, receiver) = (baseline.clone(), Arc::clone(&receiver));
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::new();
                    {
                        let mut receiver = receiver.lock().await;
                        if receiver.recv_many(&mut batch, max_batch).await == 0 {
                            return;
                        }
                    }
                    let (events, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                    match baseline.events(&events).await {
                        Ok(()) => replies.into_iter().for_each(|reply| {
                            let _ = reply.send(Ok(()));
                        }),
                        Err(error) => {
                            let message = error.to_string();
                            for reply in replies {
                                let error = sqlx::Error::Protocol(message.clone());
                                let _ = reply.send(Err(error.into()));
                            }
                        }
                    }
                }
            });
        }
        Self { queue }
    }

    /// One event, committed with whatever else is waiting.
    pub async fn event(&self, row: &str, key: &str) -> Result<(), BaselineError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(((row.to_owned(), key.to_owned()), reply))
            .map_err(|_| BaselineError::WriterGone)?;
        answer.await.map_err(|_| BaselineError::WriterGone)?
    }
}
