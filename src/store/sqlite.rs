//! The SQLite backend: one file, zero set-up, the default.
//!
//! WAL lets readers run beside the single writer; the busy timeout makes a
//! second writer wait instead of failing; write transactions start with
//! `BEGIN IMMEDIATE` so they take the write lock up front (a deferred
//! transaction that upgrades later gets SQLITE_BUSY without waiting). With
//! writers serialized, no row locks are needed.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Opens (creating if missing) the database file and brings its schema up to date.
pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode loses nothing when the process dies; only an OS
        // crash may drop the last commits.
        .synchronous(SqliteSynchronous::Normal)
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

pub(crate) async fn begin(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

super::sql::queries!(Sqlite, "", "");
