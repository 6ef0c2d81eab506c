//! Every table as plain rows, for backups and restores: a consistent read
//! of the whole store ([`Snapshot`]) and the writes that fill an empty one
//! ([`WriteTx::restore_rows`]).
//!
//! Nothing here knows a table's columns: they are read from the database
//! itself for each table of [`TABLES`], so a new table or column is backed
//! up without touching this file. A value is one of three portable kinds —
//! an integer, a text or NULL — which is all the schema uses (PostgreSQL's
//! JSONB columns travel as their JSON text).

use std::fmt;

use futures_util::stream::{BoxStream, StreamExt as _};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
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

/// One value of a row, in the three portable kinds the schema uses. It
/// travels in a backup as a JSON integer, string or `null`; it is a type of
/// its own (not `serde_json::Value`) so that a row reads straight into
/// what is bound, and a float, a boolean or an object is refused as the
/// row is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    /// Whether the value may stand in a column of `kind` (NULL may stand
    /// anywhere; the target's own NOT NULL constraints judge it).
    pub fn fits(&self, kind: ColumnKind) -> bool {
        matches!(
            (self, kind),
            (Cell::Null, _) | (Cell::Int(_), ColumnKind::Int) | (Cell::Text(_), ColumnKind::Text)
        )
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Null => serializer.serialize_unit(),
            Cell::Int(int) => serializer.serialize_i64(*int),
            Cell::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl Visitor<'_> for CellVisitor {
    type Value = Cell;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a 64-bit integer, a string or null")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Cell, E> {
        Ok(Cell::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Cell, E> {
        i64::try_from(value)
            .map(Cell::Int)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Cell, E> {
        Ok(Cell::Text(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Cell, E> {
        Ok(Cell::Text(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }
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
    ) -> BoxStream<'s, Result<Vec<Cell>, StoreError>> {
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
fn decode_row<R>(row: &R, columns: &[Column]) -> Result<Vec<Cell>, StoreError>
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
                .map_or(Cell::Null, Cell::Int),
            ColumnKind::Text => row
                .try_get::<Option<String>, _>(index)?
                .map_or(Cell::Null, Cell::Text),
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

/// SQLite binds at most 32 766 values per statement.
const SQLITE_MAX_VALUES: usize = 32_766;
/// Rows per SQLite `INSERT`: enough that the per-statement cost (a round
/// trip to the connection's worker thread, the bindings) is spread thin,
/// few enough that one statement's values stay in the CPU cache. Every
/// full chunk of a table runs the same text, so the statement is prepared
/// once and reused from the connection's cache.
const SQLITE_ROWS_PER_INSERT: usize = 256;
/// `COPY` data is sent to PostgreSQL in messages of about this size.
const COPY_CHUNK: usize = 1 << 20;

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

    /// Drops the secondary indexes of `table` (not those of its primary
    /// key or constraints) and returns the statements that make them
    /// again, for [`WriteTx::rebuild_indexes`] once the table is filled:
    /// building an index over loaded rows sorts once, where keeping it
    /// during the load inserts into it row by row. Inside the transaction,
    /// so a restore that fails leaves them as they were.
    pub async fn suspend_indexes(&mut self, table: &str) -> Result<Vec<String>, StoreError> {
        known(table)?;
        let sql = match self.db().backend() {
            Backend::Sqlite => Sql::new(
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
            ),
            Backend::Postgres => Sql::new(
                "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE i.indrelid = to_regclass($1) \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            ),
        }
        .bind(table);
        let indexes: Vec<(String, String)> = self.db().fetch_all(sql).await?;
        let mut rebuild = Vec::with_capacity(indexes.len());
        for (name, create) in indexes {
            self.db()
                .execute(Sql::new(format!("DROP INDEX \"{name}\"")))
                .await?;
            rebuild.push(create);
        }
        Ok(rebuild)
    }

    /// Runs the statements [`WriteTx::suspend_indexes`] returned.
    pub async fn rebuild_indexes(&mut self, statements: Vec<String>) -> Result<(), StoreError> {
        for statement in statements {
            self.db().execute(Sql::new(statement)).await?;
        }
        Ok(())
    }

    /// Inserts `rows` into `table`, each one value per column of `columns`
    /// (this database's columns, in the order the values come in): on
    /// SQLite through one prepared multi-row `INSERT` run again and again,
    /// on PostgreSQL through `COPY … FROM STDIN`. A row of the wrong length
    /// or a value of the wrong kind is refused before anything is sent.
    pub async fn restore_rows(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: Vec<Vec<Cell>>,
    ) -> Result<(), StoreError> {
        known(table)?;
        if columns.is_empty() || rows.is_empty() {
            return Ok(());
        }
        for row in &rows {
            check_row(table, columns, row)?;
        }
        match self.db().backend() {
            Backend::Sqlite => self.insert_rows(table, columns, rows).await,
            Backend::Postgres => self.copy_rows(table, columns, &rows).await,
        }
    }

    /// SQLite: full chunks through one statement text (prepared once per
    /// connection), the rest one row at a time through another.
    async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: Vec<Vec<Cell>>,
    ) -> Result<(), StoreError> {
        let per_insert = (SQLITE_MAX_VALUES / columns.len()).clamp(1, SQLITE_ROWS_PER_INSERT);
        let full = insert_text(table, columns, per_insert);
        let single = insert_text(table, columns, 1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Cell>> = rows.by_ref().take(per_insert).collect();
            if chunk.len() == per_insert {
                self.db().execute(bound(&full, columns, chunk)).await?;
            } else {
                for row in chunk {
                    self.db()
                        .execute(bound(&single, columns, vec![row]))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// PostgreSQL: the rows as `COPY` text, sent in large messages.
    async fn copy_rows(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: &[Vec<Cell>],
    ) -> Result<(), StoreError> {
        let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
        let statement = format!("COPY {table} ({}) FROM STDIN", names.join(", "));
        let mut data = Vec::with_capacity(COPY_CHUNK + 4096);
        let Db::Postgres(connection) = self.db() else {
            unreachable!("COPY is only used on PostgreSQL")
        };
        let mut copy = connection.copy_in_raw(&statement).await?;
        for row in rows {
            copy_row(&mut data, row);
            if data.len() >= COPY_CHUNK {
                copy.send(std::mem::take(&mut data)).await?;
                data.reserve(COPY_CHUNK + 4096);
            }
        }
        if !data.is_empty() {
            copy.send(data).await?;
        }
        copy.finish().await?;
        Ok(())
    }
}

/// `INSERT INTO table (a, b) VALUES (?, ?), (?, ?), …` for `rows` rows,
/// for SQLite only.
///
/// Anonymous `?` placeholders, not the `$N` the other statements use:
/// sqlx asks SQLite for the name of every placeholder it binds, and SQLite
/// finds a name by walking the list of all of them, so numbered ones cost
/// the square of their count per statement. At 640 `$N` per statement
/// that walk (`sqlite3VListNumToName`) was 29 % of a profiled restore; the
/// earlier 10 000 per statement made it grow 250-fold. Anonymous ones have
/// no name to look up.
fn insert_text(table: &str, columns: &[Column], rows: usize) -> String {
    let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
    let values = format!("({})", vec!["?"; columns.len()].join(", "));
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        vec![values; rows].join(", ")
    )
}

/// `text` with the values of `rows` bound in order.
fn bound<'a>(text: &str, columns: &[Column], rows: Vec<Vec<Cell>>) -> Sql<'a> {
    let mut sql = Sql::new(text.to_owned());
    for row in rows {
        for (value, column) in row.into_iter().zip(columns) {
            sql = sql.bind(arg(column, value));
        }
    }
    sql
}

/// Refuses a row that does not fit `columns`: its length, or a value of
/// the wrong kind.
fn check_row(table: &str, columns: &[Column], row: &[Cell]) -> Result<(), StoreError> {
    if row.len() != columns.len() {
        return Err(StoreError::Corrupt(format!(
            "a row of `{table}` has {} values for {} columns",
            row.len(),
            columns.len()
        )));
    }
    for (value, column) in row.iter().zip(columns) {
        if !value.fits(column.kind) {
            return Err(StoreError::Corrupt(format!(
                "`{table}.{}` holds {value:?}, which is not {}",
                column.name,
                match column.kind {
                    ColumnKind::Int => "an integer",
                    ColumnKind::Text => "a text",
                }
            )));
        }
    }
    Ok(())
}

/// A value (already checked by [`check_row`]) as the bound value of
/// `column`: a NULL takes the column's type.
fn arg(column: &Column, value: Cell) -> Arg<'static> {
    match (column.kind, value) {
        (_, Cell::Int(int)) => Arg::MaybeInt(Some(int)),
        (_, Cell::Text(text)) => Arg::MaybeText(Some(std::borrow::Cow::Owned(text))),
        (ColumnKind::Int, Cell::Null) => Arg::MaybeInt(None),
        (ColumnKind::Text, Cell::Null) => Arg::MaybeText(None),
    }
}

/// One row in `COPY`'s text format: values separated by tabs, `\N` for
/// NULL, and backslash, newline, carriage return and tab escaped.
fn copy_row(data: &mut Vec<u8>, row: &[Cell]) {
    for (index, value) in row.iter().enumerate() {
        if index > 0 {
            data.push(b'\t');
        }
        match value {
            Cell::Null => data.extend_from_slice(b"\\N"),
            Cell::Int(int) => data.extend_from_slice(int.to_string().as_bytes()),
            Cell::Text(text) => {
                for &byte in text.as_bytes() {
                    match byte {
                        b'\\' => data.extend_from_slice(b"\\\\"),
                        b'\n' => data.extend_from_slice(b"\\n"),
                        b'\r' => data.extend_from_slice(b"\\r"),
                        b'\t' => data.extend_from_slice(b"\\t"),
                        other => data.push(other),
                    }
                }
            }
        }
    }
    data.push(b'\n');
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
    fn values_fit_only_their_column_kind() {
        let int = Column {
            name: "seq".into(),
            kind: ColumnKind::Int,
            jsonb: false,
            key_position: None,
        };
        let columns = [int];
        assert!(check_row("audit", &columns, &[Cell::Int(3)]).is_ok());
        assert!(check_row("audit", &columns, &[Cell::Null]).is_ok());
        assert!(check_row("audit", &columns, &[Cell::Text("3".into())]).is_err());
        assert!(check_row("audit", &columns, &[]).is_err());
    }

    #[test]
    fn cells_read_only_integers_strings_and_null() {
        let row: Vec<Cell> =
            serde_json::from_str(r#"[1, "a\tb", null, -9223372036854775808]"#).unwrap();
        assert_eq!(
            row,
            [
                Cell::Int(1),
                Cell::Text("a\tb".into()),
                Cell::Null,
                Cell::Int(i64::MIN)
            ]
        );
        for bad in ["[1.5]", "[true]", "[{}]", "[[]]", "[18446744073709551615]"] {
            assert!(serde_json::from_str::<Vec<Cell>>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"[1,"a\tb",null,-9223372036854775808]"#
        );
    }

    #[test]
    fn copy_text_escapes_what_copy_would_read_as_structure() {
        let mut data = Vec::new();
        copy_row(
            &mut data,
            &[
                Cell::Int(-4),
                Cell::Null,
                Cell::Text("a\\b\tc\nd\re{\"x\":1}".into()),
            ],
        );
        assert_eq!(data, b"-4\t\\N\ta\\\\b\\tc\\nd\\re{\"x\":1}\n");
    }

    #[test]
    fn inserts_bind_anonymous_placeholders_row_after_row() {
        let column = |name: &str| Column {
            name: name.into(),
            kind: ColumnKind::Int,
            jsonb: false,
            key_position: None,
        };
        let columns = [column("a"), column("b")];
        assert_eq!(
            insert_text("timers", &columns, 2),
            "INSERT INTO timers (a, b) VALUES (?, ?), (?, ?)"
        );
    }
}
