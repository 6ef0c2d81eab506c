//! Where a statement runs, and the one place that tells the two backends
//! apart.
//!
//! Every concept module writes its SQL once, as a [`Sql`] (text in the
//! dialect both databases accept, `$1…` placeholders, plus its bound
//! values), and runs it on a [`Db`]: the pool, or the connection of an open
//! write transaction. Only the methods of [`Db`] and [`Pool`] match on the
//! backend; what differs between the dialects beyond that (row locks, byte
//! order) is a question to [`Backend`].

use std::borrow::Cow;

use futures_util::stream::{BoxStream, StreamExt as _, TryStreamExt as _};
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::types::Json as SqlJson;
use sqlx::{Arguments as _, AssertSqlSafe, Database, Encode, FromRow, Type};
use uuid::Uuid;

use super::StoreError;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Appended to a select that loads a row in order to change it.
    /// PostgreSQL locks the row until the transaction ends; SQLite needs no
    /// lock, its writers being serialized already (`BEGIN IMMEDIATE`).
    pub(super) fn lock_row(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Appended to a select that picks rows to claim, so that several
    /// runners claim disjoint rows.
    pub(super) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// Appended to a text column in `ORDER BY` to sort it in byte order,
    /// which SQLite's default `BINARY` collation gives and PostgreSQL's
    /// gives only under `"C"` (a database created with a language
    /// collation sorts text differently).
    pub(super) fn byte_order(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " COLLATE \"C\"",
        }
    }
}

/// A pool of connections to one of the two backends. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Where one statement runs: a connection of the pool, or the connection
/// of an open transaction.
pub(super) enum Db<'c> {
    SqlitePool(&'c SqlitePool),
    PostgresPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// Runs `$body` with `$executor` bound to the sqlx executor of `$db` and
/// `$database` naming its sqlx database type. The statements are the same
/// text for every arm; only the types differ.
macro_rules! on_db {
    ($db:expr, |$executor:ident, $database:ident| $body:expr) => {
        match $db {
            Db::SqlitePool(pool) => {
                type $database = sqlx::Sqlite;
                let $executor = *pool;
                $body
            }
            Db::PostgresPool(pool) => {
                type $database = sqlx::Postgres;
                let $executor = *pool;
                $body
            }
            Db::Sqlite(connection) => {
                type $database = sqlx::Sqlite;
                let $executor = &mut **connection;
                $body
            }
            Db::Postgres(connection) => {
                type $database = sqlx::Postgres;
                let $executor = &mut **connection;
                $body
            }
        }
    };
}

impl Pool {
    pub(super) fn db(&self) -> Db<'_> {
        match self {
            Pool::Sqlite(pool) => Db::SqlitePool(pool),
            Pool::Postgres(pool) => Db::PostgresPool(pool),
        }
    }

    pub(super) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Streams the rows of a read, so that a large result is never held
    /// at once.
    pub(super) fn stream<T: Decoded>(&self, sql: Sql<'_>) -> BoxStream<'_, Result<T, StoreError>> {
        let text = AssertSqlSafe(sql.text);
        let stream = match self {
            Pool::Sqlite(pool) => match arguments::<sqlx::Sqlite>(sql.args) {
                Ok(args) => sqlx::query_as_with(text, args).fetch(pool),
                Err(error) => return failed(error),
            },
            Pool::Postgres(pool) => match arguments::<sqlx::Postgres>(sql.args) {
                Ok(args) => sqlx::query_as_with(text, args).fetch(pool),
                Err(error) => return failed(error),
            },
        };
        stream.map_err(StoreError::from).boxed()
    }

    /// Closes every connection; later use fails.
    pub(super) async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

fn failed<'a, T: Send + 'a>(error: StoreError) -> BoxStream<'a, Result<T, StoreError>> {
    futures_util::stream::once(async { Err(error) }).boxed()
}

impl Db<'_> {
    pub(super) fn backend(&self) -> Backend {
        match self {
            Db::SqlitePool(_) | Db::Sqlite(_) => Backend::Sqlite,
            Db::PostgresPool(_) | Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; returns how many rows it changed.
    pub(super) async fn execute(&mut self, sql: Sql<'_>) -> Result<u64, StoreError> {
        let text = AssertSqlSafe(sql.text);
        on_db!(self, |executor, Database| {
            let args = arguments::<Database>(sql.args)?;
            let done = sqlx::query_with(text, args).execute(executor).await?;
            Ok(done.rows_affected())
        })
    }

    pub(super) async fn fetch_all<T: Decoded>(
        &mut self,
        sql: Sql<'_>,
    ) -> Result<Vec<T>, StoreError> {
        let text = AssertSqlSafe(sql.text);
        on_db!(self, |executor, Database| {
            let args = arguments::<Database>(sql.args)?;
            Ok(sqlx::query_as_with(text, args).fetch_all(executor).await?)
        })
    }

    pub(super) async fn fetch_optional<T: Decoded>(
        &mut self,
        sql: Sql<'_>,
    ) -> Result<Option<T>, StoreError> {
        let text = AssertSqlSafe(sql.text);
        on_db!(self, |executor, Database| {
            let args = arguments::<Database>(sql.args)?;
            Ok(sqlx::query_as_with(text, args)
                .fetch_optional(executor)
                .await?)
        })
    }

    pub(super) async fn fetch_one<T: Decoded>(&mut self, sql: Sql<'_>) -> Result<T, StoreError> {
        let text = AssertSqlSafe(sql.text);
        on_db!(self, |executor, Database| {
            let args = arguments::<Database>(sql.args)?;
            Ok(sqlx::query_as_with(text, args).fetch_one(executor).await?)
        })
    }
}

/// A row type both drivers can decode (`#[derive(sqlx::FromRow)]` and
/// tuples are).
pub(super) trait Decoded:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

impl<T> Decoded for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// One statement: its text and the values bound to `$1`, `$2`, …
#[derive(Debug)]
pub(super) struct Sql<'a> {
    text: Cow<'static, str>,
    args: Vec<Arg<'a>>,
}

impl<'a> Sql<'a> {
    pub(super) fn new(text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Binds the next placeholder.
    pub(super) fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Appends text to a statement being built.
    pub(super) fn push(&mut self, text: &str) -> &mut Self {
        self.text.to_mut().push_str(text);
        self
    }

    /// Appends the next placeholder (`$N`) and binds `value` to it.
    pub(super) fn push_bind(&mut self, value: impl Into<Arg<'a>>) -> &mut Self {
        self.args.push(value.into());
        let placeholder = format!("${}", self.args.len());
        self.push(&placeholder)
    }

    /// Appends one placeholder per value, comma-separated, for `IN (…)`.
    pub(super) fn push_list<V: Into<Arg<'a>>>(
        &mut self,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }
}

/// A value bound to a placeholder.
#[derive(Debug)]
pub(super) enum Arg<'a> {
    Int(i64),
    MaybeInt(Option<i64>),
    Text(Cow<'a, str>),
    MaybeText(Option<Cow<'a, str>>),
    /// JSON, already serialized (TEXT in SQLite, JSONB in PostgreSQL).
    Json(Box<RawValue>),
}

impl Arg<'_> {
    /// A value as JSON. The store's own row types always serialize; a
    /// failure means a value the database cannot hold (a non-finite number).
    pub(super) fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, StoreError> {
        serde_json::value::to_raw_value(value)
            .map(Arg::Json)
            .map_err(|error| StoreError::Corrupt(format!("cannot encode JSON: {error}")))
    }
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}

impl From<u32> for Arg<'_> {
    fn from(value: u32) -> Self {
        Arg::Int(i64::from(value))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(value: Option<i64>) -> Self {
        Arg::MaybeInt(value)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(value))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(value))
    }
}

impl From<String> for Arg<'_> {
    fn from(value: String) -> Self {
        Arg::Text(Cow::Owned(value))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Arg::MaybeText(value.map(Cow::Borrowed))
    }
}

/// Ids are stored as hyphenated text in both databases.
impl From<Uuid> for Arg<'_> {
    fn from(value: Uuid) -> Self {
        Arg::Text(Cow::Owned(value.hyphenated().to_string()))
    }
}

/// The bound values in `DB`'s wire form.
fn arguments<DB: Database>(args: Vec<Arg<'_>>) -> Result<DB::Arguments, StoreError>
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> SqlJson<&'t RawValue>: Encode<'t, DB> + Type<DB>,
{
    let mut encoded = DB::Arguments::default();
    for arg in &args {
        let added: Result<(), BoxDynError> = match arg {
            Arg::Int(value) => encoded.add(*value),
            Arg::MaybeInt(value) => encoded.add(*value),
            Arg::Text(value) => encoded.add(value.as_ref()),
            Arg::MaybeText(value) => encoded.add(value.as_deref()),
            Arg::Json(value) => encoded.add(SqlJson(value.as_ref())),
        };
        added.map_err(|error| StoreError::Database(sqlx::Error::Encode(error)))?;
    }
    Ok(encoded)
}
