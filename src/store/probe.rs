//! One connection attempt before a pool is opened, for commands run by
//! hand: the pool retries a refused or unknown host until its acquire
//! timeout (30 s) and then reports only "pool timed out"; one attempt
//! fails at once with the reason.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::StoreError;

/// How long one attempt may take (a host that drops packets).
const PATIENCE: Duration = Duration::from_secs(10);

/// Connects once to a PostgreSQL `url` and closes again; nothing to do
/// for SQLite, whose file opens or not at once.
pub async fn probe(url: &str) -> Result<(), StoreError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Ok(());
    }
    let options = PgConnectOptions::from_str(url)?;
    let attempt = tokio::time::timeout(PATIENCE, PgConnection::connect_with(&options)).await;
    match attempt {
        Ok(connected) => Ok(connected?.close().await?),
        Err(_) => Err(StoreError::Database(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {} s", PATIENCE.as_secs()),
        )))),
    }
}
