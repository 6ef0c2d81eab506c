//! Backup, verification and restore of a store with one million history
//! rows (10 000 instances' worth, 100 lines each), on SQLite and, when
//! `FLOWKEEPER_TEST_DATABASE_URL` is set, PostgreSQL: how long each takes
//! and how large the file is, beside the raw database doing the same work
//! in the same run:
//!
//! - a backup beside a plain `SELECT *` of every table (the rows a backup
//!   reads, without turning them into lines, hashing or compressing them);
//! - a restore beside `INSERT INTO … SELECT * FROM …` of every table into a
//!   freshly migrated database of the same kind, in one transaction (the
//!   same rows through the same indexes, without reading a file).
//!
//! `cargo bench --bench backup`; ends with `metric <name> <value>` lines.

use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use flowkeeper::backup::{self, Progress, RestoreOptions};
use flowkeeper::engine::{HistoryData, HistoryEntry};
use flowkeeper::store::{Store, TABLES, testing};
use futures_util::TryStreamExt as _;
use serde_json::{Map, Value as Json};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use uuid::Uuid;

const INSTANCES: u128 = 10_000;
const LINES: usize = 100;
/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

fn history(number: u128) -> Vec<HistoryEntry> {
    (0..LINES)
        .map(|line| HistoryEntry {
            at: START + number as i64 * 60_000 + line as i64 * 1_000,
            event: (line > 0).then(|| "note".into()),
            from: (line > 0).then(|| "handling".into()),
            to: Some("handling".into()),
            actor: format!("operator{}", number % 40).into(),
            data: {
                let mut data = Map::new();
                data.insert(
                    "text".into(),
                    Json::from(format!("called the customer back, attempt {line}")),
                );
                data.insert("group".into(), Json::from("bss"));
                if line == 0 {
                    HistoryData::Created(data)
                } else {
                    HistoryData::Event(data)
                }
            },
        })
        .collect()
}

async fn filled(store: &Store) {
    let histories: Vec<(Uuid, Vec<HistoryEntry>)> = (0..INSTANCES)
        .map(|number| (Uuid::from_u128(number + 1), history(number)))
        .collect();
    for chunk in histories.chunks(1_000) {
        let rows = chunk
            .iter()
            .map(|(id, entries)| (*id, "service_desk", entries.as_slice()));
        testing::insert_histories(store, rows)
            .await
            .expect("write the history");
    }
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

fn options() -> RestoreOptions {
    RestoreOptions {
        force: false,
        actor: "admin".into(),
        remote_addr: None,
        now: START,
    }
}

/// What the bench measured for one backend.
struct Figures {
    backup: f64,
    raw_read: f64,
    restore: f64,
    raw_fill: f64,
}

impl Figures {
    fn print(&self, backend: &str) {
        println!(
            "{backend}: backup {:.2} s (raw SELECT of every row {:.2} s, {:.1}x); \
             restore {:.2} s (raw INSERT … SELECT of every row {:.2} s, {:.1}x)",
            self.backup,
            self.raw_read,
            self.backup / self.raw_read,
            self.restore,
            self.raw_fill,
            self.restore / self.raw_fill
        );
    }

    fn metrics(&self, backend: &str) {
        println!("metric backup_{backend}_seconds {:.2}", self.backup);
        println!("metric raw_read_{backend}_seconds {:.2}", self.raw_read);
        println!("metric restore_{backend}_seconds {:.2}", self.restore);
        println!("metric raw_fill_{backend}_seconds {:.2}", self.raw_fill);
    }
}

#[tokio::main]
async fn main() {
    let folder = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temp folder");
    let source_path = folder.path().join("source.db");
    let source_url = format!("sqlite://{}", source_path.display());
    let source = Store::connect(&source_url).await.expect("the source");
    filled(&source).await;
    let rows: i64 = source.row_counts().await.expect("counts").values().sum();
    let database_bytes = std::fs::metadata(&source_path).expect("size").len();
    println!("store: {rows} rows, SQLite file {database_bytes} bytes");

    // SQLite: the raw read, then the backup.
    let raw = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::from_str(&source_url).expect("a SQLite URL"))
        .await
        .expect("a raw SQLite pool");
    let started = Instant::now();
    let read = read_every_row_sqlite(&raw).await;
    let raw_read = seconds(started);
    assert_eq!(read, rows as u64);
    raw.close().await;

    let file = folder.path().join("store.fkb");
    let started = Instant::now();
    let taken = backup::take(&source, &file, START, &Progress::hidden())
        .await
        .expect("backup");
    let backup_sqlite = seconds(started);
    let file_mb = taken.bytes as f64 / 1_000_000.0;
    println!(
        "backup file: {} bytes ({:.1}x smaller than the SQLite file)",
        taken.bytes,
        database_bytes as f64 / taken.bytes as f64
    );

    let started = Instant::now();
    let manifest = backup::verify(&file, &Progress::hidden()).expect("verify");
    let verify = seconds(started);
    println!("verify: {verify:.2} s");

    // SQLite: the raw fill of a fresh database, then the restore (which
    // verifies the file first, as `flowkeeper restore` does).
    let raw_fill = fill_sqlite_raw(&folder.path().join("raw.db"), &source_path).await;
    let target = Store::connect(&format!(
        "sqlite://{}",
        folder.path().join("target.db").display()
    ))
    .await
    .expect("the target");
    let started = Instant::now();
    let manifest_again = backup::verify(&file, &Progress::hidden()).expect("verify");
    assert_eq!(manifest_again, manifest);
    backup::restore(&target, &file, manifest, &options(), &Progress::hidden())
        .await
        .expect("restore");
    let restore_sqlite = seconds(started);
    target.close().await;
    let sqlite = Figures {
        backup: backup_sqlite,
        raw_read,
        restore: restore_sqlite,
        raw_fill,
    };
    sqlite.print("SQLite");

    let postgres = match testing::postgres_url() {
        Some(url) => Some(postgres(&url, &file, folder.path()).await),
        None => None,
    };

    println!("metric backup_file_mb {file_mb:.1}");
    println!("metric verify_seconds {verify:.2}");
    println!(
        "metric sqlite_database_mb {:.1}",
        database_bytes as f64 / 1e6
    );
    sqlite.metrics("sqlite");
    if let Some(postgres) = postgres {
        postgres.metrics("postgres");
    }
}

/// Restores `file` into a fresh PostgreSQL schema, backs that up, and
/// times the raw baselines on the same database.
async fn postgres(url: &str, file: &Path, folder: &Path) -> Figures {
    let (store, schema) = testing::fresh_schema(url, "bench_backup", 4)
        .await
        .expect("a PostgreSQL schema");
    let started = Instant::now();
    let manifest = backup::verify(file, &Progress::hidden()).expect("verify");
    backup::restore(&store, file, manifest, &options(), &Progress::hidden())
        .await
        .expect("restore into PostgreSQL");
    let restore = seconds(started);

    let from_postgres = folder.join("postgres.fkb");
    let started = Instant::now();
    backup::take(&store, &from_postgres, START, &Progress::hidden())
        .await
        .expect("backup from PostgreSQL");
    let backup = seconds(started);

    let raw = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("a raw PostgreSQL pool");
    let started = Instant::now();
    let mut read = 0;
    for table in TABLES {
        let statement = AssertSqlSafe(format!("SELECT * FROM {schema}.{table}"));
        read += sqlx::query(statement)
            .fetch(&raw)
            .try_fold(0u64, |count, _| async move { Ok(count + 1) })
            .await
            .expect("read a table");
    }
    let raw_read = seconds(started);
    let (empty, empty_schema) = testing::fresh_schema(url, "bench_backup_raw", 1)
        .await
        .expect("a PostgreSQL schema");
    let started = Instant::now();
    let mut tx = raw.begin().await.expect("begin");
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM {empty_schema}.audit_head"
    )))
    .execute(&mut *tx)
    .await
    .expect("empty the fresh chain head");
    for table in TABLES {
        let statement =
            format!("INSERT INTO {empty_schema}.{table} SELECT * FROM {schema}.{table}");
        sqlx::query(AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .expect("copy a table");
    }
    tx.commit().await.expect("commit");
    let raw_fill = seconds(started);
    assert!(read > 1_000_000);
    raw.close().await;
    testing::drop_schema(&empty, &empty_schema)
        .await
        .expect("drop the schema");
    testing::drop_schema(&store, &schema)
        .await
        .expect("drop the schema");
    let figures = Figures {
        backup,
        raw_read,
        restore,
        raw_fill,
    };
    figures.print("PostgreSQL");
    figures
}

/// Every row of every table through a plain `SELECT *`; returns how many.
async fn read_every_row_sqlite(pool: &sqlx::SqlitePool) -> u64 {
    let mut read = 0;
    for table in TABLES {
        let statement = AssertSqlSafe(format!("SELECT * FROM {table}"));
        read += sqlx::query(statement)
            .fetch(pool)
            .try_fold(0u64, |count, _| async move { Ok(count + 1) })
            .await
            .expect("read a table");
    }
    read
}

/// A freshly migrated SQLite database at `path` filled from `source` with
/// `INSERT INTO … SELECT * FROM …` in one transaction; returns the seconds
/// the fill took.
async fn fill_sqlite_raw(path: &Path, source: &Path) -> f64 {
    let url = format!("sqlite://{}", path.display());
    Store::connect(&url)
        .await
        .expect("a fresh SQLite database")
        .close()
        .await;
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::from_str(&url).expect("a SQLite URL"))
        .await
        .expect("a raw SQLite pool");
    let started = Instant::now();
    let mut connection = pool.acquire().await.expect("a connection");
    let attach = format!("ATTACH DATABASE '{}' AS source", source.display());
    sqlx::query(AssertSqlSafe(attach))
        .execute(&mut *connection)
        .await
        .expect("attach the source");
    let mut tx = sqlx::Connection::begin(&mut *connection)
        .await
        .expect("begin");
    sqlx::query("DELETE FROM main.audit_head")
        .execute(&mut *tx)
        .await
        .expect("empty the fresh chain head");
    for table in TABLES {
        let statement = format!("INSERT INTO main.{table} SELECT * FROM source.{table}");
        sqlx::query(AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .expect("copy a table");
    }
    tx.commit().await.expect("commit");
    let took = seconds(started);
    drop(connection);
    pool.close().await;
    took
}
