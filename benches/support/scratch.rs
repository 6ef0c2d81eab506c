//! The database a benchmark runs on, made for the run and undone after
//! it: a fresh SQLite file in a temporary folder, or a fresh schema of a
//! PostgreSQL database. Shared by the benchmarks that print the engine
//! beside the raw database (`store::baseline`).

use anyhow::Context;
use flowkeeper::store::baseline::Baseline;
use flowkeeper::store::{Store, StoreOptions, testing};

/// What to undo at the end.
pub enum Cleanup {
    /// The temporary folder goes when this is dropped.
    SqliteDir(tempfile::TempDir),
    PostgresSchema(String),
}

impl Cleanup {
    pub async fn run(self, store: &Store) -> anyhow::Result<()> {
        match self {
            Cleanup::SqliteDir(dir) => dir.close()?,
            Cleanup::PostgresSchema(schema) => testing::drop_schema(store, &schema).await?,
        }
        Ok(())
    }
}

/// On `database` (`sqlite`, or a `postgres://` URL): the store, the raw
/// baseline's own pool on the same database (its own tables beside the
/// store's), each with `connections`, and what to undo at the end.
pub async fn open(database: &str, connections: u32) -> anyhow::Result<(Store, Baseline, Cleanup)> {
    if database == "sqlite" {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let options = StoreOptions {
            max_connections: connections,
            ..StoreOptions::new(url.clone())
        };
        let store = Store::connect_with(&options).await?;
        let raw = Baseline::open(&url, connections).await?;
        return Ok((store, raw, Cleanup::SqliteDir(dir)));
    }
    let (store, schema) = testing::fresh_schema(database, "bench", connections)
        .await
        .with_context(|| format!("while connecting to {database}"))?;
    let url = testing::url_with_schema(database, &schema);
    let raw = Baseline::open(&url, connections).await?;
    Ok((store, raw, Cleanup::PostgresSchema(schema)))
}
