//! Durable state: the only module that knows SQL.
//!
//! [`Store`] is chosen from the URL at start (`sqlite://…` or
//! `postgres://…`); both backends run the same statements (see `sql.rs`)
//! against the schemas in `migrations/`, which are applied on connect.
//! Changes go through a [`WriteTx`]: the runtime loads an instance, runs the
//! engine and commits the outcome in that one transaction.

mod assessment;
mod health;
mod postgres;
mod sql;
mod sqlite;
pub mod tokens;
mod types;
mod versions;

use futures_util::stream::BoxStream;
use sqlx::Postgres;
use uuid::Uuid;

use crate::assess::{HistoryRow, Period, RowSelection};
use crate::engine::{Instance, Millis, Outcome};
pub use types::{
    ClaimedTimer, Cursor, HistoryRecord, IdempotencyRecord, Incident, InstanceFilter,
    LiveInstanceFacts, OutboxEntry, OutboxMessage, Page,
};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("`{0}` is not a plain schema name (lower-case letters, digits, `_`)")]
    InvalidSchema(String),
    /// The instance changed since it was loaded; retry from the load.
    #[error("instance {instance} was changed concurrently")]
    RevisionConflict { instance: Uuid },
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
}

impl StoreError {
    /// Whether running the whole transaction again may succeed: a lost race
    /// on a revision or unique key, a PostgreSQL serialization failure or
    /// deadlock, or SQLite still busy after its timeout.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::RevisionConflict { .. } | StoreError::Duplicate => true,
            StoreError::Database(error) => error
                .as_database_error()
                .and_then(|error| error.code())
                .is_some_and(|code| matches!(&*code, "40001" | "40P01" | "5" | "517")),
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error.as_database_error() {
            Some(database) if database.is_unique_violation() => StoreError::Duplicate,
            _ => StoreError::Database(error),
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
pub enum Store {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$inner` bound to the backend's value and `backend`
/// naming the backend module, whose functions share names.
macro_rules! on_backend {
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            Self::Sqlite($inner) => {
                use sqlite as backend;
                $body
            }
            Self::Postgres($inner) => {
                use postgres as backend;
                $body
            }
        }
    };
}

impl Store {
    /// Connects with default options.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(&StoreOptions::new(url)).await
    }

    /// Connects and applies pending migrations.
    pub async fn connect_with(options: &StoreOptions) -> Result<Self, StoreError> {
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            Ok(Store::Sqlite(
                sqlite::connect(url, options.max_connections).await?,
            ))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let schema = options.schema.as_deref();
            Ok(Store::Postgres(
                postgres::connect(url, schema, options.max_connections).await?,
            ))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// Starts a write transaction (SQLite: `BEGIN IMMEDIATE`).
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        Ok(match self {
            Store::Sqlite(pool) => WriteTx::Sqlite(sqlite::begin(pool).await?),
            Store::Postgres(pool) => WriteTx::Postgres(postgres::begin(pool).await?),
        })
    }

    /// Keeps a workflow version; saving the same hash again does nothing.
    pub async fn save_definition(
        &self,
        hash: &str,
        workflow: &str,
        version: u32,
        source: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_backend!(self, pool => backend::save_definition(pool, hash, workflow, version, source, now).await)
    }

    /// The source text of the version with this hash.
    pub async fn definition_source(&self, hash: &str) -> Result<Option<String>, StoreError> {
        on_backend!(self, pool => backend::definition_source(pool, hash).await)
    }

    pub async fn get_instance(&self, id: Uuid) -> Result<Option<Instance>, StoreError> {
        on_backend!(self, pool => backend::get_instance(pool, id).await)
    }

    /// The live instance with this key, else the most recently created one.
    pub async fn find_by_key(
        &self,
        workflow: &str,
        key: &str,
    ) -> Result<Option<Instance>, StoreError> {
        on_backend!(self, pool => backend::find_by_key(pool, workflow, key).await)
    }

    /// Instances matching `filter`, newest first, one page at a time.
    pub async fn list_instances(&self, filter: &InstanceFilter) -> Result<Page, StoreError> {
        on_backend!(self, pool => backend::list_instances(pool, filter).await)
    }

    /// An instance's history in order (empty for an unknown id).
    pub async fn history(&self, instance_id: Uuid) -> Result<Vec<HistoryRecord>, StoreError> {
        on_backend!(self, pool => backend::history(pool, instance_id).await)
    }

    /// Leases up to `limit` timers due at `now` to `runner` until
    /// `lease_until`, earliest first. Expired leases are taken over.
    pub async fn claim_due_timers(
        &self,
        now: Millis,
        runner: &str,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<ClaimedTimer>, StoreError> {
        on_backend!(self, pool => backend::claim_due_timers(pool, now, runner, lease_until, limit).await)
    }

    /// The earliest due time among timers not leased at `now`.
    pub async fn next_due_at(&self, now: Millis) -> Result<Option<Millis>, StoreError> {
        on_backend!(self, pool => backend::next_due_at(pool, now).await)
    }

    /// Leases up to `limit` webhook deliveries due at `now` until `lease_until`.
    pub async fn claim_outbox(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        on_backend!(self, pool => backend::claim_outbox(pool, now, lease_until, limit).await)
    }

    pub async fn mark_delivered(&self, id: Uuid, now: Millis) -> Result<(), StoreError> {
        on_backend!(self, pool => backend::mark_delivered(pool, id, now).await)
    }

    /// Records a failed delivery and when to try again.
    pub async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_at: Millis,
    ) -> Result<(), StoreError> {
        on_backend!(self, pool => backend::mark_failed(pool, id, error, next_attempt_at).await)
    }

    /// Every webhook delivery of an instance, oldest first.
    pub async fn outbox_of(&self, instance_id: Uuid) -> Result<Vec<OutboxEntry>, StoreError> {
        on_backend!(self, pool => backend::outbox_of(pool, instance_id).await)
    }

    /// Incidents, of one instance or all, optionally only the open ones.
    pub async fn incidents(
        &self,
        instance_id: Option<Uuid>,
        open_only: bool,
    ) -> Result<Vec<Incident>, StoreError> {
        on_backend!(self, pool => backend::incidents(pool, instance_id, open_only).await)
    }

    /// Resolves an open incident; `false` when there is no such open incident.
    pub async fn resolve_incident(&self, id: Uuid, now: Millis) -> Result<bool, StoreError> {
        on_backend!(self, pool => backend::resolve_incident(pool, id, now).await)
    }

    /// What the assessment of `period` reads: the rows `selection` asks
    /// for, recorded before the period's end, of the instances of its
    /// workflows that recorded something in the period, ordered by
    /// `(instance_id, seq)` (ids in byte order). Streamed: a year of history
    /// is never held at once.
    pub fn assessment_rows<'s>(
        &'s self,
        selection: &RowSelection,
        period: Period,
    ) -> BoxStream<'s, Result<HistoryRow, StoreError>> {
        on_backend!(self, pool => backend::assessment::rows(pool, selection, period))
    }

    /// The facts about every live instance that the stuck check needs.
    pub async fn live_facts(&self) -> Result<Vec<LiveInstanceFacts>, StoreError> {
        on_backend!(self, pool => backend::live_facts(pool).await)
    }
}

/// A write transaction. Dropped without [`WriteTx::commit`], it rolls back.
#[derive(Debug)]
pub enum WriteTx {
    Sqlite(sqlite::SqliteTransaction),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl WriteTx {
    /// Loads an instance to change it (PostgreSQL: the row stays locked).
    pub async fn load_instance(&mut self, id: Uuid) -> Result<Option<Instance>, StoreError> {
        on_backend!(self, tx => backend::load_instance(tx, id).await)
    }

    /// Loads the live instance holding `key`, locked like [`Self::load_instance`].
    pub async fn load_live(
        &mut self,
        workflow: &str,
        key: &str,
    ) -> Result<Option<Instance>, StoreError> {
        on_backend!(self, tx => backend::load_live(tx, workflow, key).await)
    }

    /// The source of a stored definition version.
    pub async fn definition_source(&mut self, hash: &str) -> Result<Option<String>, StoreError> {
        on_backend!(self, tx => backend::definition_source_in(tx, hash).await)
    }

    /// Deletes a timer that can no longer fire, if it is still the one due
    /// at `due_at` (a re-set timer is left alone).
    pub async fn forget_timer(
        &mut self,
        instance_id: Uuid,
        name: &str,
        due_at: Millis,
    ) -> Result<(), StoreError> {
        on_backend!(self, tx => backend::forget_timer(tx, instance_id, name, due_at).await)
    }

    /// The answer remembered for an idempotency key, if any.
    pub async fn idempotency(
        &mut self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        on_backend!(self, tx => backend::get_idempotency(tx, scope, key).await)
    }

    /// Remembers the answer to an idempotent request. A concurrent request
    /// with the same key makes one of the two fail with `Duplicate`.
    pub async fn remember(
        &mut self,
        scope: &str,
        key: &str,
        record: &IdempotencyRecord,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_backend!(self, tx => backend::put_idempotency(tx, scope, key, record, now).await)
    }

    /// Writes an engine outcome: the instance (inserted when
    /// `expected_revision` is `None`, else updated only if its revision is
    /// still `expected_revision`), numbered history rows, timer upserts and
    /// deletions, SLA cycles and outbox rows for `Notify` effects. Returns
    /// the instance as stored, with its new revision.
    pub async fn commit_outcome(
        &mut self,
        outcome: &Outcome,
        expected_revision: Option<i64>,
    ) -> Result<Instance, StoreError> {
        on_backend!(self, tx => backend::commit_outcome(tx, outcome, expected_revision).await)
    }

    /// Opens an incident on an instance, returning its id.
    pub async fn open_incident(
        &mut self,
        instance_id: Uuid,
        kind: &str,
        message: &str,
        now: Millis,
    ) -> Result<Uuid, StoreError> {
        on_backend!(self, tx => backend::open_incident(tx, instance_id, kind, message, now).await)
    }

    /// Gives up on a delivery after its last attempt (see
    /// [`Self::requeue_dead_outbox`] for the way back).
    pub async fn mark_outbox_dead(
        &mut self,
        id: Uuid,
        error: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        on_backend!(self, tx => backend::mark_outbox_dead(tx, id, error, now).await)
    }

    /// Re-queues an instance's dead deliveries, due at `now`; returns how many.
    pub async fn requeue_dead_outbox(
        &mut self,
        instance_id: Uuid,
        now: Millis,
    ) -> Result<u64, StoreError> {
        on_backend!(self, tx => backend::requeue_dead_outbox(tx, instance_id, now).await)
    }

    /// Resolves every open incident of an instance; returns how many.
    pub async fn resolve_incidents_of(
        &mut self,
        instance_id: Uuid,
        now: Millis,
    ) -> Result<u64, StoreError> {
        on_backend!(self, tx => backend::resolve_incidents_of(tx, instance_id, now).await)
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await?,
            WriteTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
