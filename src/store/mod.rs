//! Durable state: the only module that knows SQL.
//!
//! [`Store`] is chosen from the URL at start (`sqlite://…` or
//! `postgres://…`); both backends run the same statements against the
//! schemas in `migrations/`, which are applied on connect. One module per
//! concept (instances, history, timers, SLA cycles, outbox, idempotency,
//! definitions, tokens, incidents, the assessment's rows, accounts,
//! sessions, the audit log) holds that
//! concept's statements, its stored row types and the `Store` / `WriteTx`
//! methods over them; `db.rs` is the one place that tells the backends
//! apart.
//!
//! What is stored is the store's own business: rows and JSON columns have
//! store-owned types with explicit serde, converted to and from the engine's
//! types at this edge, so that renaming an engine field cannot silently
//! change what is on disk.
//!
//! Changes go through a [`WriteTx`]: the runtime loads an instance, runs the
//! engine and commits the outcome in that one transaction.

mod accounts;
mod assessment;
mod audit;
pub mod baseline;
mod credentials;
mod db;
mod definitions;
mod fault;
mod health;
mod history;
mod history_data;
mod idempotency;
mod incidents;
mod instances;
mod outbox;
mod outcome;
mod overview;
mod postgres;
mod probe;
mod read_only;
mod savepoint;
mod schema;
mod sessions;
mod sla_cycles;
mod snapshot;
mod sqlite;
mod stuck;
pub mod testing;
mod timers;
mod tokens;
mod transaction;

pub use assessment::{AssessmentRow, RowSelection};
pub use audit::{AuditCursor, AuditPage, AuditQuery};
pub use credentials::{CredentialRow, StoredCredential};
pub use db::Backend;
pub use definitions::StoredVersion;
pub use fault::{Fault, STORE_ERRORS};
pub use health::NotReady;
pub use history::HistoryRecord;
pub use idempotency::{Answer, IdempotencyRecord};
pub use incidents::{Incident, IncidentKind, NewIncident};
pub use instances::{Cursor, InstanceFilter, Page};
pub use outbox::{Delivery, OutboxEntry, OutboxMessage};
pub use overview::{StateCount, VersionCount};
pub use probe::probe;
pub use savepoint::Savepoint;
pub use schema::TABLES;
pub use sessions::SessionRow;
pub use snapshot::{Cell, Column, ColumnKind, Snapshot, find_column};
pub use stuck::{LiveInstanceFacts, LiveState, StuckRules, VersionState};
pub use timers::ClaimedTimer;
pub use tokens::TokenRow;

use std::sync::Arc;

use db::Pool;
use fault::WriteHealth;
use transaction::Conn;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("`{0}` is not a plain schema name (lower-case letters, digits, `_`)")]
    InvalidSchema(String),
    /// The instance changed since it was loaded; retry from the load.
    #[error("instance {instance} was changed concurrently")]
    RevisionConflict { instance: uuid::Uuid },
    /// A unique key is taken (a live instance key, an idempotency key):
    /// another transaction got there first; retry from the load.
    #[error("a concurrent write took the same unique key")]
    Duplicate,
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Opened read-only, the SQLite file does not exist (it is not created).
    #[error("there is no SQLite database at {}", .0.display())]
    NoDatabaseFile(std::path::PathBuf),
    /// Opened read-only, the database has no flowkeeper schema (nothing
    /// was ever served from it).
    #[error("the database has no flowkeeper schema: `flowkeeper serve` creates it")]
    NoSchema,
    /// Opened read-only, the database's schema is older than this build's.
    #[error(
        "the database's schema is at migration {applied}, older than this flowkeeper's {expected}: \
         run `flowkeeper serve` of this version on it once to migrate it"
    )]
    SchemaBehind { applied: i64, expected: i64 },
    /// Opened read-only, the database was migrated by a newer flowkeeper.
    #[error(
        "the database's schema is at migration {applied}, newer than this flowkeeper's {expected}: \
         use the flowkeeper that wrote it"
    )]
    SchemaAhead { applied: i64, expected: i64 },
}

impl StoreError {
    /// Whether running the whole transaction again may succeed: a lost race
    /// on a revision or unique key, a PostgreSQL serialization failure or
    /// deadlock, or SQLite still busy after its timeout.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::RevisionConflict { .. } | StoreError::Duplicate => true,
            StoreError::Database(error) => fault::classify(error).is_retryable(),
            _ => false,
        }
    }

    /// The store is closing (the process shuts down): unavailable.
    pub fn closed() -> Self {
        StoreError::Database(sqlx::Error::PoolClosed)
    }

    /// What kind of database trouble this is; `None` for what is not the
    /// database's (a lost race, unreadable data, a bad URL).
    pub fn fault(&self) -> Option<Fault> {
        match self {
            StoreError::Database(error) => Some(fault::classify(error)),
            StoreError::Migrate(_) => Some(Fault::Other),
            _ => None,
        }
    }
}

/// Every driver error passes here once: a unique violation is a lost race,
/// anything else is counted in `flowkeeper_store_errors_total` by kind.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error.as_database_error() {
            Some(database) if database.is_unique_violation() => StoreError::Duplicate,
            _ => {
                fault::count(fault::classify(&error));
                StoreError::Database(error)
            }
        }
    }
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` (created if missing), `sqlite::memory:` or `postgres://…`.
    pub url: String,
    /// PostgreSQL only: work inside this schema (created if missing).
    pub schema: Option<String>,
    pub max_connections: u32,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: None,
            max_connections: 8,
        }
    }
}

/// A connection pool to one of the two backends. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// Whether the last write failed, shared by every clone.
    health: Arc<WriteHealth>,
    /// Tokens and sessions as last read, shared by every clone.
    credentials: Arc<credentials::CredentialCache>,
}

impl Store {
    /// Connects with default options.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(&StoreOptions::new(url)).await
    }

    /// Connects and applies pending migrations.
    pub async fn connect_with(options: &StoreOptions) -> Result<Self, StoreError> {
        let url = options.url.as_str();
        let pool = if url.starts_with("sqlite:") {
            Pool::Sqlite(sqlite::connect(url, options.max_connections).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let schema = options.schema.as_deref();
            Pool::Postgres(postgres::connect(url, schema, options.max_connections).await?)
        } else {
            return Err(StoreError::UnsupportedUrl(
                crate::accounts::redact::database_url(url),
            ));
        };
        Ok(Self::over(pool))
    }

    /// A store over a pool just opened: healthy, nothing cached.
    fn over(pool: Pool) -> Self {
        Self {
            pool,
            health: Arc::default(),
            credentials: Arc::default(),
        }
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`). A caller
    /// that stops waiting cannot leave it half begun (see `transaction.rs`).
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        match Conn::begin(&self.pool).await {
            Ok(conn) => Ok(WriteTx {
                conn,
                health: Arc::clone(&self.health),
            }),
            Err(error) => {
                self.health.record(error.fault());
                Err(error)
            }
        }
    }

    /// Notes that a write failed for `error` (a statement inside a
    /// transaction, a claim): while writes fail for want of room or of the
    /// database, `/readyz` says not ready.
    pub fn note_write_failure(&self, error: &StoreError) {
        if let Some(fault) = error.fault() {
            self.health.record(Some(fault));
        }
    }

    /// Closes every connection, so that another process may open the
    /// database file alone; the store is unusable afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn db(&self) -> db::Db<'_> {
        self.pool.db()
    }
}

/// A write transaction. Dropped without [`WriteTx::commit`], it rolls back.
///
/// Every change of state goes through one: the concept modules add the
/// statements that may run in it (`impl WriteTx` in `instances.rs`,
/// `outbox.rs`, …).
#[derive(Debug)]
pub struct WriteTx {
    conn: Conn,
    health: Arc<WriteHealth>,
}

impl WriteTx {
    /// Commits. A failed `COMMIT` is rolled back before the error returns;
    /// a connection whose state is then unknown is closed, never reused.
    pub async fn commit(self) -> Result<(), StoreError> {
        let result = self.conn.commit().await;
        match &result {
            Ok(()) => self.health.record(None),
            Err(error) => {
                if let Some(fault) = error.fault() {
                    self.health.record(Some(fault));
                }
            }
        }
        result
    }

    /// Marks a point to come back to: several commands share one
    /// transaction (a batch of timers), each between [`Self::mark`] and
    /// [`Self::keep_mark`] or [`Self::undo_to_mark`], so that one that
    /// fails is undone alone. Marks do not nest.
    pub async fn mark(&mut self) -> Result<(), StoreError> {
        self.conn.mark().await
    }

    /// Keeps what was done since the mark.
    pub async fn keep_mark(&mut self) -> Result<(), StoreError> {
        self.conn.keep_mark().await
    }

    /// Undoes what was done since the mark; the rest stays.
    pub async fn undo_to_mark(&mut self) -> Result<(), StoreError> {
        self.conn.undo_to_mark().await
    }

    /// Rolls back now; dropping a `WriteTx` does the same in the background.
    pub async fn rollback(self) {
        self.conn.rollback().await;
    }

    fn db(&mut self) -> db::Db<'_> {
        self.conn.db()
    }
}

/// An id column (hyphenated text in both databases) as a UUID.
fn parse_id(text: &str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::try_parse(text).map_err(|_| StoreError::Corrupt(format!("id `{text}`")))
}
