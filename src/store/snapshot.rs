//! Every table as plain rows, for backups and restores: a consistent read
//! of the whole store ([`Snapshot`]) and the writes that fill an empty one
//! ([`WriteTx::restore_rows`]).
//!
//! Nothing here knows a table's columns: they are read from the database
//! itself for each table of [`TABLES`], so a new table or column is backed
//! up without touching this file. A value is one of three portable kinds —
//! an integer, a text or NULL — which is all the schema uses (PostgreSQL's
//! JSONB columns travel as their JSON text).

use futures_util::stream::{BoxStream, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sqlx::AssertSqlSafe;

use super::db::{Arg, Backend, Db, Sql};
use super::schema::TABLES;
use super::{Store, StoreError, WriteTx, audit};

/// The kind of a column's values, as carried in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Int,
    Text,
}

/// A column of a table as the database declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    /// PostgreSQL JSONB: read as its text, written through a cast.
    jsonb: bool,
    /// Position in the primary key (1-based), which orders a dump.
    key_position: Option<i64>,
}

/// A consistent, read-only view of the whole store: a SQLite read
/// transaction over the WAL, or a PostgreSQL `REPEATABLE READ READ ONLY`
/// transaction. Writers carry on meanwhile; they are simply not seen.
/// Dropped, it rolls back.
pub struct Snapshot {
    conn: SnapshotConn,
}

enum SnapshotConn {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Store {
    /// Opens a [`Snapshot`]; the first read fixes what it sees (every read
    /// through it sees the same committed state).
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let conn = match &self.pool {
            super::db::Pool::Sqlite(pool) => SnapshotConn::Sqlite(pool.begin_with("BEGIN").await?),
            super::db::Pool::Postgres(pool) => SnapshotConn::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        };
        Ok(Snapshot { conn })
    }
}

impl Snapshot {
    fn db(&mut self) -> Db<'_> {
        match &mut self.conn {
            SnapshotConn::Sqlite(tx) => Db::Sqlite(tx),
            SnapshotConn::Postgres(tx) => Db::Postgres(tx),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            SnapshotConn::Sqlite(_) => Backend::Sqlite,
            SnapshotConn::Postgres(_) => Backend::Postgres,
        }
    }

    /// The number of the last migration applied: which schema the rows
    /// belong to.
    pub async fn schema_version(&mut self) -> Result<i64, StoreError> {
        schema_version(&mut self.db()).await
    }

    /// The columns of `table`, in their declared order.
    pub async fn columns(&mut self, table: &str) -> Result<Vec<Column>, StoreError> {
        columns(&mut self.db(), table).await
    }

    /// How many rows `table` holds in this snapshot.
    pub async fn count(&mut self, table: &str) -> Result<i64, StoreError> {
        known(table)?;
        let sql = Sql::new(format!("SELECT COUNT(*) FROM {table}"));
        let (count,): (i64,) = self.db().fetch_one(sql).await?;
        Ok(count)
    }

    /// Streams the rows of `table` in primary-key order (text in byte
    /// order on both backends), each as one value per column of `columns`
    /// (from [`Snapshot::columns`]): integers, texts and nulls.
    pub fn rows<'s>(
        &'s mut self,
        table: &str,
        columns: &'s [Column],
    ) -> BoxStream<'s, Result<Vec<Json>, StoreError>> {
        if let Err(error) = known(table) {
            return futures_util::stream::once(async { Err(error) }).boxed();
        }
        let backend = self.backend();
        let list: Vec<String> = columns
            .iter()
            .map(|column| match (backend, column.jsonb) {
                (Backend::Postgres, true) => format!("{}::text", column.name),
                _ => column.name.clone(),
            })
            .collect();
        let mut keys: Vec<&Column> = columns
            .iter()
            .filter(|column| column.key_position.is_some())
            .collect();
        keys.sort_by_key(|column| column.key_position);
        let order: Vec<String> = keys
            .iter()
            .map(|column| match column.kind {
                ColumnKind::Text => format!("{}{}", column.name, backend.byte_order()),
                ColumnKind::Int => column.name.clone(),
            })
            .collect();
        let mut text = format!("SELECT {} FROM {table}", list.join(", "));
        if !order.is_empty() {
            text.push_str(&format!(" ORDER BY {}", order.join(", ")));
        }
        let text = AssertSqlSafe(text);
        match &mut self.conn {
            SnapshotConn::Sqlite(tx) => sqlx::query(text)
                .fetch(&mut **tx)
                .map(move |row| decode_row(&row?, columns))
                .boxed(),
            SnapshotConn::Postgres(tx) => sqlx::query(text)
                .fetch(&mut **tx)
                .map(move |row| decode_row(&row?, columns))
                .boxed(),
        }
    }
}

/// One row as portable values, by the kinds of `columns`.
fn decode_row<R>(row: &R, columns: &[Column]) -> Result<Vec<Json>, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut values = Vec::with_capacity(columns.len());
    for (index, column) in columns.iter().enumerate() {
        let value = match column.kind {
            ColumnKind::Int => row
                .try_get::<Option<i64>, _>(index)?
                .map_or(Json::Null, Json::from),
            ColumnKind::Text => row
                .try_get::<Option<String>, _>(index)?
                .map_or(Json::Null, Json::String),
        };
        values.push(value);
    }
    Ok(values)
}

/// Refuses a table name that is not one of [`TABLES`]: names are spliced
/// into statements, and a backup file is input.
fn known(table: &str) -> Result<(), StoreError> {
    if TABLES.contains(&table) {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "`{table}` is not a table of the store"
        )))
    }
}

async fn schema_version(db: &mut Db<'_>) -> Result<i64, StoreError> {
    let sql = Sql::new("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success");
    let (version,): (i64,) = db.fetch_one(sql).await?;
    Ok(version)
}

async fn columns(db: &mut Db<'_>, table: &str) -> Result<Vec<Column>, StoreError> {
    known(table)?;
    let sql = match db.backend() {
        Backend::Sqlite => {
            Sql::new("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
        }
        Backend::Postgres => Sql::new(
            "SELECT c.column_name::text, c.data_type::text, \
                    COALESCE(k.ordinal_position, 0)::bigint \
             FROM information_schema.columns c \
             LEFT JOIN information_schema.table_constraints t \
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
              AND t.constraint_type = 'PRIMARY KEY' \
             LEFT JOIN information_schema.key_column_usage k \
               ON k.constraint_schema = t.constraint_schema \
              AND k.constraint_name = t.constraint_name AND k.column_name = c.column_name \
             WHERE c.table_schema = current_schema() AND c.table_name = $1 \
             ORDER BY c.ordinal_position",
        ),
    }
    .bind(table);
    let rows: Vec<(String, String, i64)> = db.fetch_all(sql).await?;
    if rows.is_empty() {
        return Err(StoreError::Corrupt(format!("table `{table}` is missing")));
    }
    Ok(rows
        .into_iter()
        .map(|(name, declared, key)| {
            let declared = declared.to_ascii_lowercase();
            let kind = if declared.contains("int") {
                ColumnKind::Int
            } else {
                ColumnKind::Text
            };
            Column {
                name,
                kind,
                jsonb: declared == "jsonb",
                key_position: (key > 0).then_some(key),
            }
        })
        .collect())
}

/// Rows per `INSERT`: well under SQLite's 32 766 and PostgreSQL's 65 535
/// bound values, and large enough that a million rows are a few thousand
/// statements.
const VALUES_PER_INSERT: usize = 30_000;
const MAX_ROWS_PER_INSERT: usize = 1_000;

impl WriteTx {
    /// The number of the last migration applied to this database.
    pub async fn schema_version(&mut self) -> Result<i64, StoreError> {
        schema_version(&mut self.db()).await
    }

    /// The columns of `table` in this database.
    pub async fn columns(&mut self, table: &str) -> Result<Vec<Column>, StoreError> {
        columns(&mut self.db(), table).await
    }

    /// Whether the store holds nothing yet: every table empty, the audit
    /// chain at its start (a freshly migrated database).
    pub async fn store_is_empty(&mut self) -> Result<bool, StoreError> {
        for table in TABLES {
            let sql = if table == audit::HEAD_TABLE {
                Sql::new(format!("SELECT COUNT(*) FROM {table} WHERE seq <> 0"))
            } else {
                Sql::new(format!("SELECT COUNT(*) FROM {table}"))
            };
            let (count,): (i64,) = self.db().fetch_one(sql).await?;
            if count > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Deletes every row of every table, children first, the audit log's
    /// append-only guard included (switched off for this transaction only:
    /// PostgreSQL disables the triggers, SQLite drops and re-creates them).
    /// A restore then fills the store as the backup had it, the chain's
    /// head among it.
    pub async fn clear_store(&mut self) -> Result<(), StoreError> {
        for table in TABLES.iter().rev() {
            let delete = Sql::new(format!("DELETE FROM {table}"));
            match self.db().backend() {
                Backend::Postgres => {
                    let mut db = self.db();
                    db.execute(Sql::new(format!(
                        "ALTER TABLE {table} DISABLE TRIGGER USER"
                    )))
                    .await?;
                    db.execute(delete).await?;
                    db.execute(Sql::new(format!("ALTER TABLE {table} ENABLE TRIGGER USER")))
                        .await?;
                }
                Backend::Sqlite => {
                    let mut db = self.db();
                    let triggers = Sql::new(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1",
                    )
                    .bind(*table);
                    let triggers: Vec<(String, String)> = db.fetch_all(triggers).await?;
                    for (name, _) in &triggers {
                        db.execute(Sql::new(format!("DROP TRIGGER \"{name}\"")))
                            .await?;
                    }
                    db.execute(delete).await?;
                    for (_, sql) in triggers {
                        db.execute(Sql::new(sql)).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Inserts `rows` into `table`, each one value per column of `columns`
    /// (this database's columns, in the order the values come in).
    pub async fn restore_rows(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: &[Vec<Json>],
    ) -> Result<(), StoreError> {
        known(table)?;
        if columns.is_empty() {
            return Ok(());
        }
        let per_insert = (VALUES_PER_INSERT / columns.len()).clamp(1, MAX_ROWS_PER_INSERT);
        let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
        let backend = self.db().backend();
        for chunk in rows.chunks(per_insert) {
            let mut sql = Sql::new(format!(
                "INSERT INTO {table} ({}) VALUES ",
                names.join(", ")
            ));
            for (row_index, row) in chunk.iter().enumerate() {
                if row.len() != columns.len() {
                    return Err(StoreError::Corrupt(format!(
                        "a row of `{table}` has {} values for {} columns",
                        row.len(),
                        columns.len()
                    )));
                }
                sql.push(if row_index == 0 { "(" } else { ", (" });
                for (index, (value, column)) in row.iter().zip(columns).enumerate() {
                    if index > 0 {
                        sql.push(", ");
                    }
                    sql.push_bind(arg(table, column, value)?);
                    if backend == Backend::Postgres && column.jsonb {
                        sql.push("::jsonb");
                    }
                }
                sql.push(")");
            }
            self.db().execute(sql).await?;
        }
        Ok(())
    }
}

/// A portable value as the bound value of `column`.
fn arg(table: &str, column: &Column, value: &Json) -> Result<Arg<'static>, StoreError> {
    let mismatch = || {
        StoreError::Corrupt(format!(
            "`{table}.{}` holds {value}, which is not {}",
            column.name,
            match column.kind {
                ColumnKind::Int => "an integer",
                ColumnKind::Text => "a text",
            }
        ))
    };
    match (column.kind, value) {
        (ColumnKind::Int, Json::Null) => Ok(Arg::MaybeInt(None)),
        (ColumnKind::Text, Json::Null) => Ok(Arg::MaybeText(None)),
        (ColumnKind::Int, Json::Number(number)) => number
            .as_i64()
            .map(|int| Arg::MaybeInt(Some(int)))
            .ok_or_else(mismatch),
        (ColumnKind::Text, Json::String(text)) => {
            Ok(Arg::MaybeText(Some(std::borrow::Cow::Owned(text.clone()))))
        }
        _ => Err(mismatch()),
    }
}

/// Columns of a table looked up by name, for a restore that maps a
/// backup's columns onto this database's.
pub fn find_column<'c>(columns: &'c [Column], name: &str) -> Option<&'c Column> {
    columns.iter().find(|column| column.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_store_tables_are_named_in_statements() {
        assert!(known("history").is_ok());
        assert!(known("history; DROP TABLE audit").is_err());
    }

    #[test]
    fn values_bind_only_as_their_column_kind() {
        let int = Column {
            name: "seq".into(),
            kind: ColumnKind::Int,
            jsonb: false,
            key_position: None,
        };
        assert!(arg("audit", &int, &Json::from(3)).is_ok());
        assert!(arg("audit", &int, &Json::Null).is_ok());
        assert!(arg("audit", &int, &Json::from("3")).is_err());
        assert!(arg("audit", &int, &Json::from(1.5)).is_err());
    }
}
