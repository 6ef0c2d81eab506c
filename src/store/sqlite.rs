//! The SQLite backend: one file, zero set-up, the default.
//!
//! WAL lets readers run beside the single writer; the busy timeout makes a
//! second writer wait instead of failing; write transactions start with
//! `BEGIN IMMEDIATE` so they take the write lock up front (a deferred
//! transaction that upgrades later gets SQLITE_BUSY without waiting). With
//! writers serialized, no row locks are needed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex as StdMutex, OnceLock, PoisonError};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::StoreError;

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// NORMAL in WAL mode loses nothing when the process dies; only an OS
/// crash may drop the last commits. (The benchmarks' raw baseline opens
/// its file the same way.)
pub(super) const SYNCHRONOUS: SqliteSynchronous = SqliteSynchronous::Normal;

/// Opens (creating if missing) the database file and brings its schema up to date.
pub(super) async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SYNCHRONOUS)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    // Every connection to `:memory:` would be a different empty database.
    let max_connections = if url.contains(":memory:") {
        1
    } else {
        max_connections
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// The in-process write gate of the pool's database file, locked; `None`
/// for `:memory:`, whose single connection already serializes.
///
/// SQLite admits one writer at a time; the others wait in its busy
/// handler, which sleeps in growing steps (up to 100 ms) and lets a late
/// arrival overtake: with 32 concurrent writers the p99 latency went to
/// seconds. Queuing for the gate first hands the file over in FIFO order
/// the moment the last writer commits. Other processes on the same file
/// still meet the busy timeout, as before.
pub(super) async fn write_gate(pool: &SqlitePool) -> Option<OwnedMutexGuard<()>> {
    let options = pool.connect_options();
    let file = options.get_filename();
    match file.to_str() {
        Some(":memory:") => None,
        _ => Some(gate_of(file).lock_owned().await),
    }
}

/// The gate of one database file, shared by every pool of this process
/// that opens it.
fn gate_of(file: &Path) -> Arc<Mutex<()>> {
    static GATES: OnceLock<StdMutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut gates = GATES
        .get_or_init(StdMutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    Arc::clone(gates.entry(file.to_owned()).or_default())
}

/// Opens an existing database file to read it only: nothing is created,
/// no migration runs, and every connection refuses writes.
pub(super) async fn open_read_only(
    url: &str,
    max_connections: u32,
) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?;
    let file = options.get_filename();
    if file.to_str() != Some(":memory:") && !file.exists() {
        return Err(StoreError::NoDatabaseFile(file.to_owned()));
    }
    let options = options
        .create_if_missing(false)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    Ok(pool)
}
