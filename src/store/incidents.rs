//! Incidents (the `incidents` table): something on an instance that went
//! wrong and needs a person, open until resolved.

use std::collections::HashMap;
use std::fmt;

use uuid::Uuid;

use super::db::Sql;
use super::{Store, StoreError, WriteTx};
use crate::engine::Millis;

pub(super) const TABLE: &str = "incidents";

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentKind {
    /// A timer could not fire.
    Timer,
    /// A webhook delivery used up its attempts.
    Webhook,
    /// A spawn was refused.
    Spawn,
    /// A send was refused.
    Send,
    /// Spawns and sends went more hops deep than allowed.
    Cascade,
}

impl IncidentKind {
    const ALL: [IncidentKind; 5] = [
        IncidentKind::Timer,
        IncidentKind::Webhook,
        IncidentKind::Spawn,
        IncidentKind::Send,
        IncidentKind::Cascade,
    ];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Timer => "timer",
            IncidentKind::Webhook => "webhook",
            IncidentKind::Spawn => "spawn",
            IncidentKind::Send => "send",
            IncidentKind::Cascade => "cascade",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("incident kind `{text}`")))
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that went wrong on an instance and needs a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub kind: IncidentKind,
    pub message: String,
    pub created_at: Millis,
    pub resolved_at: Option<Millis>,
}

/// An incident to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident<'a> {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub kind: IncidentKind,
    pub message: &'a str,
    pub created_at: Millis,
}

#[derive(sqlx::FromRow)]
struct IncidentRow {
    id: String,
    instance_id: String,
    kind: String,
    message: String,
    created_at: i64,
    resolved_at: Option<i64>,
}

impl TryFrom<IncidentRow> for Incident {
    type Error = StoreError;

    fn try_from(row: IncidentRow) -> Result<Self, StoreError> {
        Ok(Incident {
            id: super::parse_id(&row.id)?,
            instance_id: super::parse_id(&row.instance_id)?,
            kind: IncidentKind::parse(&row.kind)?,
            message: row.message,
            created_at: row.created_at,
            resolved_at: row.resolved_at,
        })
    }
}

const COLUMNS: &str = "id, instance_id, kind, message, created_at, resolved_at";

impl Store {
    /// Incidents, of one instance or all, optionally only the open ones,
    /// oldest first.
    pub async fn incidents(
        &self,
        instance_id: Option<Uuid>,
        open_only: bool,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM incidents WHERE 1 = 1"));
        if let Some(instance_id) = instance_id {
            sql.push(" AND instance_id = ").push_bind(instance_id);
        }
        if open_only {
            sql.push(" AND resolved_at IS NULL");
        }
        sql.push(" ORDER BY id");
        let rows: Vec<IncidentRow> = self.db().fetch_all(sql).await?;
        rows.into_iter().map(Incident::try_from).collect()
    }

    /// The oldest open incident of each of these instances (those that
    /// have one), in one query for a whole page of instances.
    pub async fn oldest_open_incidents(
        &self,
        instance_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Incident>, StoreError> {
        let mut oldest: HashMap<Uuid, Incident> = HashMap::new();
        for chunk in instance_ids.chunks(500) {
            let mut sql = Sql::new(format!(
                "SELECT {COLUMNS} FROM incidents WHERE resolved_at IS NULL AND instance_id IN ("
            ));
            sql.push_list(chunk.iter().copied())
                .push(") ORDER BY created_at, id");
            let rows: Vec<IncidentRow> = self.db().fetch_all(sql).await?;
            for row in rows {
                let incident = Incident::try_from(row)?;
                oldest.entry(incident.instance_id).or_insert(incident);
            }
        }
        Ok(oldest)
    }

    /// Resolves an open incident; `false` when there is no such open incident.
    pub async fn resolve_incident(&self, id: Uuid, now: Millis) -> Result<bool, StoreError> {
        let sql =
            Sql::new("UPDATE incidents SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL")
                .bind(id)
                .bind(now);
        Ok(self.db().execute(sql).await? == 1)
    }
}

impl WriteTx {
    /// Opens an incident on an instance.
    pub async fn open_incident(&mut self, incident: &NewIncident<'_>) -> Result<(), StoreError> {
        let sql = Sql::new(
            "INSERT INTO incidents (id, instance_id, kind, message, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(incident.id)
        .bind(incident.instance_id)
        .bind(incident.kind.as_str())
        .bind(incident.message)
        .bind(incident.created_at);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// Resolves every open incident of an instance; returns how many.
    pub async fn resolve_incidents_of(
        &mut self,
        instance_id: Uuid,
        now: Millis,
    ) -> Result<u64, StoreError> {
        let sql = Sql::new(
            "UPDATE incidents SET resolved_at = $2 \
             WHERE instance_id = $1 AND resolved_at IS NULL",
        )
        .bind(instance_id)
        .bind(now);
        self.db().execute(sql).await
    }
}
