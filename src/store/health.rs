//! Questions operations ask of the database: is it there, and how much
//! work is waiting. Read-only, cheap, safe to call on every scrape.

use super::{Store, StoreError};

impl Store {
    /// A round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
            Store::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
        }
        Ok(())
    }

    /// Webhook deliveries not yet made, for the `outbox_backlog` gauge.
    pub async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL";
        Ok(match self {
            Store::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
            Store::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
        })
    }
}
