//! Instances (the `instances` table): one row per instance, with its open
//! SLA cycles, pending timers and cycle numbers as JSON copies so that an
//! instance loads in one query. Reads, listings and the locked loads of a
//! write transaction (the stuck check's reads are `stuck.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sqlx::types::Json as SqlJson;
use uuid::Uuid;

use super::db::{Arg, Db, Sql};
use super::sla_cycles::StoredSlaCycle;
use super::timers::StoredTimer;
use super::{Store, StoreError, WriteTx};
use crate::engine::{Instance, Millis, Status};
use crate::model::Name;

pub(super) const TABLE: &str = "instances";

const COLUMNS: &str = "id, workflow, version, definition_hash, key, state, status, data, slas, \
                       timers, sla_cycle_counts, created_at, updated_at, entered_at, revision";

/// Which instances a listing returns. Every filter is optional; `limit` is
/// clamped to 1..=500.
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub workflow: Option<String>,
    pub state: Option<String>,
    pub key: Option<String>,
    pub status: Option<Status>,
    pub limit: u32,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<Cursor>,
}

impl InstanceFilter {
    /// The limit a listing applies.
    pub fn page_size(&self) -> usize {
        self.limit.clamp(1, 500) as usize
    }
}

/// A position in an instance listing. Opaque to callers: they only hand back
/// what a page gave them. Listings run newest first (ids are UUID v7), so the
/// cursor is the last id shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(Uuid);

impl Cursor {
    /// The cursor after `id`: the next page starts with older ids.
    pub fn after(id: Uuid) -> Self {
        Self(id)
    }

    pub(super) fn last_id(&self) -> Uuid {
        self.0
    }

    /// The text form given to clients.
    pub fn encode(&self) -> String {
        self.0.simple().to_string()
    }

    /// Parses a client's cursor; `None` when it is not one we issued.
    pub fn decode(text: &str) -> Option<Self> {
        (text.len() == 32)
            .then(|| Uuid::try_parse(text).ok())
            .flatten()
            .map(Self)
    }
}

/// One page of a listing; `next_cursor` is `None` on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub instances: Vec<Instance>,
    pub next_cursor: Option<Cursor>,
}

impl Page {
    /// A page of `rows` (newest first, at most `limit + 1`): one row more
    /// than the limit tells that another page exists.
    fn cut(mut rows: Vec<Instance>, limit: usize) -> Self {
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| Cursor::after(last.id))
        } else {
            None
        };
        Self {
            instances: rows,
            next_cursor,
        }
    }
}

/// The `status` column's text.
pub(super) fn status_text(status: Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::Completed => "completed",
        Status::Cancelled => "cancelled",
    }
}

fn parse_status(text: &str) -> Result<Status, StoreError> {
    [Status::Active, Status::Completed, Status::Cancelled]
        .into_iter()
        .find(|status| status_text(*status) == text)
        .ok_or_else(|| StoreError::Corrupt(format!("status `{text}`")))
}

/// An `instances` row as read.
#[derive(sqlx::FromRow)]
struct InstanceRow {
    id: String,
    workflow: String,
    version: i64,
    definition_hash: String,
    key: String,
    state: String,
    status: String,
    data: SqlJson<Map<String, Json>>,
    slas: SqlJson<Vec<StoredSlaCycle>>,
    timers: SqlJson<Vec<StoredTimer>>,
    sla_cycle_counts: SqlJson<BTreeMap<String, u32>>,
    created_at: i64,
    updated_at: i64,
    entered_at: i64,
    revision: i64,
}

impl TryFrom<InstanceRow> for Instance {
    type Error = StoreError;

    fn try_from(row: InstanceRow) -> Result<Self, StoreError> {
        Ok(Instance {
            id: super::parse_id(&row.id)?,
            workflow: row.workflow.into(),
            version: u32::try_from(row.version)
                .map_err(|_| StoreError::Corrupt(format!("version {}", row.version)))?,
            definition_hash: row.definition_hash.into(),
            key: row.key.into(),
            state: row.state.into(),
            status: parse_status(&row.status)?,
            data: row.data.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
            entered_at: row.entered_at,
            slas: row.slas.0.into_iter().map(Into::into).collect(),
            timers: row.timers.0.into_iter().map(Into::into).collect(),
            sla_cycle_counts: counts_from_store(row.sla_cycle_counts.0),
            revision: row.revision,
        })
    }
}

/// A whole instance as JSON, for answers kept with an idempotency key.
/// The same members as the row's columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct InstanceSnapshot {
    id: Uuid,
    workflow: String,
    version: u32,
    definition_hash: String,
    key: String,
    state: String,
    status: String,
    data: Map<String, Json>,
    created_at: Millis,
    updated_at: Millis,
    entered_at: Millis,
    slas: Vec<StoredSlaCycle>,
    timers: Vec<StoredTimer>,
    revision: i64,
    #[serde(default)]
    sla_cycle_counts: BTreeMap<String, u32>,
}

impl From<&Instance> for InstanceSnapshot {
    fn from(instance: &Instance) -> Self {
        Self {
            id: instance.id,
            workflow: instance.workflow.to_string(),
            version: instance.version,
            definition_hash: instance.definition_hash.to_string(),
            key: instance.key.to_string(),
            state: instance.state.to_string(),
            status: status_text(instance.status).to_owned(),
            data: instance.data.clone(),
            created_at: instance.created_at,
            updated_at: instance.updated_at,
            entered_at: instance.entered_at,
            slas: instance.slas.iter().map(Into::into).collect(),
            timers: instance.timers.iter().map(Into::into).collect(),
            revision: instance.revision,
            sla_cycle_counts: counts_to_store(&instance.sla_cycle_counts),
        }
    }
}

impl TryFrom<InstanceSnapshot> for Instance {
    type Error = StoreError;

    fn try_from(snapshot: InstanceSnapshot) -> Result<Self, StoreError> {
        Ok(Instance {
            id: snapshot.id,
            workflow: snapshot.workflow.into(),
            version: snapshot.version,
            definition_hash: snapshot.definition_hash.into(),
            key: snapshot.key.into(),
            state: snapshot.state.into(),
            status: parse_status(&snapshot.status)?,
            data: snapshot.data,
            created_at: snapshot.created_at,
            updated_at: snapshot.updated_at,
            entered_at: snapshot.entered_at,
            slas: snapshot.slas.into_iter().map(Into::into).collect(),
            timers: snapshot.timers.into_iter().map(Into::into).collect(),
            revision: snapshot.revision,
            sla_cycle_counts: counts_from_store(snapshot.sla_cycle_counts),
        })
    }
}

/// The highest cycle number per SLA clock, as the engine holds it (shared
/// clock names) and as the row stores it (plain text keys).
fn counts_from_store(counts: BTreeMap<String, u32>) -> BTreeMap<Name, u32> {
    counts
        .into_iter()
        .map(|(clock, count)| (clock.into(), count))
        .collect()
}

fn counts_to_store(counts: &BTreeMap<Name, u32>) -> BTreeMap<String, u32> {
    counts
        .iter()
        .map(|(clock, count)| (clock.to_string(), *count))
        .collect()
}

async fn one(db: &mut Db<'_>, sql: Sql<'_>) -> Result<Option<Instance>, StoreError> {
    let row: Option<InstanceRow> = db.fetch_optional(sql).await?;
    row.map(Instance::try_from).transpose()
}

impl Store {
    pub async fn get_instance(&self, id: Uuid) -> Result<Option<Instance>, StoreError> {
        let sql = Sql::new(format!("SELECT {COLUMNS} FROM instances WHERE id = $1")).bind(id);
        one(&mut self.db(), sql).await
    }

    /// The live instance with this key, else the most recently created one.
    pub async fn find_by_key(
        &self,
        workflow: &str,
        key: &str,
    ) -> Result<Option<Instance>, StoreError> {
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM instances WHERE workflow = $1 AND key = $2 \
             ORDER BY CASE WHEN status = 'active' THEN 0 ELSE 1 END, created_at DESC, id DESC \
             LIMIT 1"
        ))
        .bind(workflow)
        .bind(key);
        one(&mut self.db(), sql).await
    }

    /// Instances matching `filter`, newest first, one page at a time.
    pub async fn list_instances(&self, filter: &InstanceFilter) -> Result<Page, StoreError> {
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM instances WHERE 1 = 1"));
        if let Some(workflow) = &filter.workflow {
            sql.push(" AND workflow = ").push_bind(workflow);
        }
        if let Some(state) = &filter.state {
            sql.push(" AND state = ").push_bind(state);
        }
        if let Some(key) = &filter.key {
            sql.push(" AND key = ").push_bind(key);
        }
        if let Some(status) = filter.status {
            sql.push(" AND status = ").push_bind(status_text(status));
        }
        if let Some(cursor) = &filter.cursor {
            sql.push(" AND id < ").push_bind(cursor.last_id());
        }
        // One row more than asked tells whether another page exists.
        let limit = filter.page_size() as i64;
        sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit + 1);
        let rows: Vec<InstanceRow> = self.db().fetch_all(sql).await?;
        let instances = rows
            .into_iter()
            .map(Instance::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::cut(instances, filter.page_size()))
    }

    /// The instances with these ids (those that exist), in no order.
    pub async fn instances(&self, ids: &[Uuid]) -> Result<Vec<Instance>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM instances WHERE id IN ("));
            sql.push_list(chunk.iter().copied()).push(")");
            let rows: Vec<InstanceRow> = self.db().fetch_all(sql).await?;
            for row in rows {
                found.push(Instance::try_from(row)?);
            }
        }
        Ok(found)
    }
}

impl WriteTx {
    /// Loads an instance to change it (PostgreSQL: the row stays locked
    /// until the transaction ends).
    pub async fn load_instance(&mut self, id: Uuid) -> Result<Option<Instance>, StoreError> {
        let mut db = self.db();
        let lock = db.backend().lock_row();
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM instances WHERE id = $1{lock}"
        ))
        .bind(id);
        one(&mut db, sql).await
    }

    /// Loads the live instance holding `key`, locked like [`Self::load_instance`].
    pub async fn load_live(
        &mut self,
        workflow: &str,
        key: &str,
    ) -> Result<Option<Instance>, StoreError> {
        let mut db = self.db();
        let lock = db.backend().lock_row();
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM instances \
             WHERE workflow = $1 AND key = $2 AND status = 'active'{lock}"
        ))
        .bind(workflow)
        .bind(key);
        one(&mut db, sql).await
    }
}

/// Writes the instance row: inserted when `expected_revision` is `None`,
/// else updated only if its revision is still `expected_revision`
/// (`RevisionConflict` otherwise). Returns the new revision.
pub(super) async fn write(
    db: &mut Db<'_>,
    instance: &Instance,
    expected_revision: Option<i64>,
) -> Result<i64, StoreError> {
    let slas: Vec<StoredSlaCycle> = instance.slas.iter().map(Into::into).collect();
    let timers: Vec<StoredTimer> = instance.timers.iter().map(Into::into).collect();
    let Some(expected) = expected_revision else {
        let sql = Sql::new(
            "INSERT INTO instances (id, workflow, version, definition_hash, key, state, \
             status, data, slas, timers, sla_cycle_counts, created_at, updated_at, \
             entered_at, revision) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1)",
        )
        .bind(instance.id)
        .bind(instance.workflow.as_str())
        .bind(instance.version)
        .bind(instance.definition_hash.as_str())
        .bind(instance.key.as_str())
        .bind(instance.state.as_str())
        .bind(status_text(instance.status))
        .bind(Arg::json(&instance.data)?)
        .bind(Arg::json(&slas)?)
        .bind(Arg::json(&timers)?)
        .bind(Arg::json(&instance.sla_cycle_counts)?)
        .bind(instance.created_at)
        .bind(instance.updated_at)
        .bind(instance.entered_at);
        db.execute(sql).await?;
        return Ok(1);
    };
    let sql = Sql::new(
        "UPDATE instances SET version = $2, definition_hash = $3, state = $4, \
         status = $5, data = $6, slas = $7, timers = $8, updated_at = $9, \
         entered_at = $10, sla_cycle_counts = $11, revision = revision + 1 \
         WHERE id = $1 AND revision = $12",
    )
    .bind(instance.id)
    .bind(instance.version)
    .bind(instance.definition_hash.as_str())
    .bind(instance.state.as_str())
    .bind(status_text(instance.status))
    .bind(Arg::json(&instance.data)?)
    .bind(Arg::json(&slas)?)
    .bind(Arg::json(&timers)?)
    .bind(instance.updated_at)
    .bind(instance.entered_at)
    .bind(Arg::json(&instance.sla_cycle_counts)?)
    .bind(expected);
    if db.execute(sql).await? == 0 {
        return Err(StoreError::RevisionConflict {
            instance: instance.id,
        });
    }
    Ok(expected + 1)
}
