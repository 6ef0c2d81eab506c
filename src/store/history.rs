//! Instance history (the `history` table): every line an engine step
//! recorded, numbered per instance from 1 without gaps.

use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use uuid::Uuid;

use super::db::{Db, Sql};
use super::{Store, StoreError, history_data};
use crate::engine::HistoryEntry;

pub(super) const TABLE: &str = "history";

/// One history line as stored: the engine's entry plus its number, which
/// starts at 1 per instance and has no gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    pub seq: i64,
    pub entry: HistoryEntry,
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    seq: i64,
    kind: String,
    at: i64,
    event: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
    actor: String,
    data: SqlJson<Json>,
}

impl TryFrom<HistoryRow> for HistoryRecord {
    type Error = StoreError;

    fn try_from(row: HistoryRow) -> Result<Self, StoreError> {
        let kind = super::history_data::parse_kind(&row.kind)?;
        Ok(HistoryRecord {
            seq: row.seq,
            entry: HistoryEntry {
                at: row.at,
                event: row.event.map(Into::into),
                from: row.from_state.map(Into::into),
                to: row.to_state.map(Into::into),
                actor: row.actor.into(),
                data: history_data::decode(kind, row.data.0)?,
            },
        })
    }
}

impl Store {
    /// An instance's history in order (empty for an unknown id).
    pub async fn history(&self, instance_id: Uuid) -> Result<Vec<HistoryRecord>, StoreError> {
        let sql = Sql::new(
            "SELECT seq, kind, at, event, from_state, to_state, actor, data FROM history \
             WHERE instance_id = $1 ORDER BY seq",
        )
        .bind(instance_id);
        let rows: Vec<HistoryRow> = self.db().fetch_all(sql).await?;
        rows.into_iter().map(HistoryRecord::try_from).collect()
    }

    /// Up to `limit` lines of an instance's history after line `after_seq`
    /// (0 for the start), in order: one page of a long history.
    pub async fn history_page(
        &self,
        instance_id: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<HistoryRecord>, StoreError> {
        let sql = Sql::new(
            "SELECT seq, kind, at, event, from_state, to_state, actor, data FROM history \
             WHERE instance_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(instance_id)
        .bind(after_seq)
        .bind(i64::from(limit));
        let rows: Vec<HistoryRow> = self.db().fetch_all(sql).await?;
        rows.into_iter().map(HistoryRecord::try_from).collect()
    }
}

/// Appends `entries` to an instance's history, numbered after its last line.
pub(super) async fn append(
    db: &mut Db<'_>,
    instance_id: Uuid,
    workflow: &str,
    entries: &[HistoryEntry],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let sql = Sql::new("SELECT COALESCE(MAX(seq), 0) FROM history WHERE instance_id = $1")
        .bind(instance_id);
    let (last,): (i64,) = db.fetch_one(sql).await?;
    insert(db, instance_id, workflow, last + 1, entries).await
}

/// Inserts `entries` as lines `first_seq`, `first_seq + 1`, … in one
/// statement, and appends their facts to the assessment's copy
/// (`store::assessment`) in the same transaction.
pub(super) async fn insert(
    db: &mut Db<'_>,
    instance_id: Uuid,
    workflow: &str,
    first_seq: i64,
    entries: &[HistoryEntry],
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO history (instance_id, seq, workflow, kind, at, event, from_state, \
         to_state, actor, data) VALUES ",
    );
    for (seq, entry) in (first_seq..).zip(entries) {
        if seq > first_seq {
            sql.push(", ");
        }
        sql.push("(").push_bind(instance_id);
        sql.push(", ").push_bind(seq);
        sql.push(", ").push_bind(workflow);
        sql.push(", ").push_bind(entry.kind().as_str());
        sql.push(", ").push_bind(entry.at);
        sql.push(", ").push_bind(entry.event.as_deref());
        sql.push(", ").push_bind(entry.from.as_deref());
        sql.push(", ").push_bind(entry.to.as_deref());
        sql.push(", ").push_bind(entry.actor.as_str());
        sql.push(", ").push_bind(history_data::encode(&entry.data)?);
        sql.push(")");
    }
    db.execute(sql).await?;
    super::assessment::record(db, instance_id, workflow, first_seq, entries).await
}
