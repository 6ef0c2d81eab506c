//! Support for tests and benchmarks: fresh PostgreSQL schemas to run in
//! parallel, and writing history wholesale. Here so that no test or
//! benchmark writes SQL against the schema itself.

use uuid::Uuid;

use super::db::Sql;
use super::{Store, StoreError, StoreOptions, history, postgres};
use crate::engine::HistoryEntry;

/// The variable naming the PostgreSQL database tests run against.
pub const DATABASE_URL_VARIABLE: &str = "FLOWKEEPER_TEST_DATABASE_URL";

/// The PostgreSQL URL tests run against; `None`, with the reason printed,
/// when [`DATABASE_URL_VARIABLE`] is not set.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var(DATABASE_URL_VARIABLE).ok();
    if url.is_none() {
        eprintln!("skipping PostgreSQL: {DATABASE_URL_VARIABLE} not set");
    }
    url
}

/// A store in a new, migrated schema of the database at `url`, named
/// `<prefix>_<random>`; returns the store and the schema's name.
pub async fn fresh_schema(
    url: &str,
    prefix: &str,
    max_connections: u32,
) -> Result<(Store, String), StoreError> {
    let schema = format!("{prefix}_{:016x}", rand::random::<u64>());
    let options = StoreOptions {
        schema: Some(schema.clone()),
        max_connections,
        ..StoreOptions::new(url)
    };
    Ok((Store::connect_with(&options).await?, schema))
}

/// The URL under which a separate process (a server, the driver) opens
/// `schema` with a plain [`Store::connect`]: the connection's
/// `search_path` option selects it.
pub fn url_with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// Drops a schema made by [`fresh_schema`] and everything in it, then
/// closes the store. Nothing to do on SQLite, whose files go with their
/// folders.
pub async fn drop_schema(store: &Store, schema: &str) -> Result<(), StoreError> {
    if !postgres::is_plain_identifier(schema) {
        return Err(StoreError::InvalidSchema(schema.to_owned()));
    }
    if store.backend() == super::Backend::Postgres {
        let sql = Sql::new(format!("DROP SCHEMA {schema} CASCADE"));
        store.db().execute(sql).await?;
    }
    store.close().await;
    Ok(())
}

/// Writes whole histories at once, as if recorded (instance, workflow,
/// lines numbered from 1), in one transaction: a fixture for reads that
/// are measured or checked without running the engine to make it.
pub async fn insert_histories<'a>(
    store: &Store,
    histories: impl IntoIterator<Item = (Uuid, &'a str, &'a [HistoryEntry])>,
) -> Result<(), StoreError> {
    /// Lines per statement: 10 values each, well under SQLite's 32 766.
    const LINES_PER_INSERT: usize = 1_000;
    let mut tx = store.begin().await?;
    for (instance_id, workflow, entries) in histories {
        for (chunk, lines) in entries.chunks(LINES_PER_INSERT).enumerate() {
            let first_seq = (chunk * LINES_PER_INSERT) as i64 + 1;
            history::insert(&mut tx.db(), instance_id, workflow, first_seq, lines).await?;
        }
    }
    tx.commit().await
}
