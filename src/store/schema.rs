//! The tables the store owns, as one list: whatever handles every table
//! alike (a backup, a restore, a row count) walks this list, and a test
//! holds it against the schema the migrations build, so a new table cannot
//! be forgotten here.

use std::collections::BTreeMap;

use super::db::{Backend, Sql};
use super::{
    Store, StoreError, accounts, assessment, audit, credentials, definitions, health, history,
    idempotency, incidents, instances, outbox, sessions, sla_cycles, timers, tokens,
};

/// Every table of the store's schema, parents before children (restoring in
/// this order satisfies the foreign keys). A concept module that adds a
/// table names it in a `TABLE` constant and adds it here.
pub const TABLES: [&str; 16] = [
    definitions::TABLE,
    instances::TABLE,
    history::TABLE,
    timers::TABLE,
    sla_cycles::TABLE,
    outbox::TABLE,
    incidents::TABLE,
    idempotency::TABLE,
    accounts::TABLE,
    tokens::TABLE,
    sessions::TABLE,
    credentials::TABLE,
    audit::TABLE,
    audit::HEAD_TABLE,
    assessment::TABLE,
    health::TABLE,
];

impl Store {
    /// The tables that exist in the database (migrations' bookkeeping
    /// aside), sorted by name.
    pub async fn schema_tables(&self) -> Result<Vec<String>, StoreError> {
        let mut db = self.db();
        let sql = match db.backend() {
            Backend::Sqlite => Sql::new(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
            ),
            Backend::Postgres => Sql::new(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 AND table_name <> '_sqlx_migrations' ORDER BY table_name",
            ),
        };
        let rows: Vec<(String,)> = db.fetch_all(sql).await?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    /// How many rows each table of [`TABLES`] holds.
    pub async fn row_counts(&self) -> Result<BTreeMap<&'static str, i64>, StoreError> {
        let mut counts = BTreeMap::new();
        for table in TABLES {
            let sql = Sql::new(format!("SELECT COUNT(*) FROM {table}"));
            let (count,): (i64,) = self.db().fetch_one(sql).await?;
            counts.insert(table, count);
        }
        Ok(counts)
    }
}
