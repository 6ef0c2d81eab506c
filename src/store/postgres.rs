//! The PostgreSQL backend: several engine processes share one database.
//!
//! An instance is loaded `FOR UPDATE`, so concurrent events on it queue on
//! the row lock; timers and outbox rows are claimed with `FOR UPDATE SKIP
//! LOCKED` and a lease, so runners split the work and one takes over the
//! leases of a runner that died.

use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::StoreError;

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connects, optionally inside `schema` (created if missing; tests use one
/// fresh schema each), and brings the schema up to date.
pub(super) async fn connect(
    url: &str,
    schema: Option<&str>,
    max_connections: u32,
) -> Result<PgPool, StoreError> {
    let mut options = PgConnectOptions::from_str(url)?;
    if let Some(schema) = schema {
        if !is_plain_identifier(schema) {
            return Err(StoreError::InvalidSchema(schema.to_owned()));
        }
        let mut connection = sqlx::PgConnection::connect_with(&options).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&mut connection)
        .await?;
        connection.close().await?;
        // The schema in the connection's name lets an operator (and a
        // test) tell this pool's connections apart in `pg_stat_activity`.
        options = options
            .options([("search_path", schema)])
            .application_name(&format!("flowkeeper:{schema}"));
    } else if options.get_application_name().is_none() {
        options = options.application_name("flowkeeper");
    }
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Lower-case letters, digits and `_`, not starting with a digit: safe to
/// splice into `CREATE SCHEMA` without quoting.
pub(super) fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

/// Connects to read only (every transaction `READ ONLY`), optionally inside
/// `schema`, which must exist: nothing is created and no migration runs.
pub(super) async fn open_read_only(
    url: &str,
    schema: Option<&str>,
    max_connections: u32,
) -> Result<PgPool, StoreError> {
    let mut settings = vec![("default_transaction_read_only", "on")];
    if let Some(schema) = schema {
        if !is_plain_identifier(schema) {
            return Err(StoreError::InvalidSchema(schema.to_owned()));
        }
        settings.push(("search_path", schema));
    }
    let options = PgConnectOptions::from_str(url)?
        .options(settings)
        .application_name("flowkeeper:read-only");
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    Ok(pool)
}
