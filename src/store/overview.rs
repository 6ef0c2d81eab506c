//! Counts for the console's overview and workflow pages: live instances
//! per workflow and state, instances per version, SLA misses since a time,
//! open incidents and when a write last committed. Aggregates only, so a page answers in one query
//! each whatever the store holds.

use super::db::Sql;
use super::{Store, StoreError};
use crate::engine::Millis;

/// Live instances of one workflow in one state.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StateCount {
    pub workflow: String,
    pub state: String,
    pub live: i64,
}

/// Instances of one version of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VersionCount {
    pub workflow: String,
    pub version: i64,
    pub live: i64,
    pub total: i64,
}

impl Store {
    /// Live instances per workflow and state.
    pub async fn live_counts(&self) -> Result<Vec<StateCount>, StoreError> {
        let sql = Sql::new(
            "SELECT workflow, state, COUNT(*) AS live FROM instances \
             WHERE status = 'active' GROUP BY workflow, state ORDER BY workflow, state",
        );
        self.db().fetch_all(sql).await
    }

    /// Instances (live and all) per workflow and version.
    pub async fn version_counts(&self) -> Result<Vec<VersionCount>, StoreError> {
        let sql = Sql::new(
            "SELECT workflow, CAST(version AS BIGINT) AS version, \
             SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS live, COUNT(*) AS total \
             FROM instances GROUP BY workflow, version ORDER BY workflow, version",
        );
        self.db().fetch_all(sql).await
    }

    /// SLA cycles that were due at or after `since` and missed.
    pub async fn sla_misses_since(&self, since: Millis) -> Result<i64, StoreError> {
        let sql =
            Sql::new("SELECT COUNT(*) FROM sla_cycles WHERE outcome = 'missed' AND due_at >= $1")
                .bind(since);
        let (count,): (i64,) = self.db().fetch_one(sql).await?;
        Ok(count)
    }

    /// When the last audit entry committed. Every change writes one in its
    /// own transaction, so this is when a write last worked (`None` on a
    /// store that never changed).
    pub async fn last_write_at(&self) -> Result<Option<Millis>, StoreError> {
        let sql = Sql::new("SELECT at FROM audit ORDER BY seq DESC LIMIT 1");
        let row: Option<(i64,)> = self.db().fetch_optional(sql).await?;
        Ok(row.map(|(at,)| at))
    }

    /// Incidents not yet resolved.
    pub async fn open_incident_count(&self) -> Result<i64, StoreError> {
        let sql = Sql::new("SELECT COUNT(*) FROM incidents WHERE resolved_at IS NULL");
        let (count,): (i64,) = self.db().fetch_one(sql).await?;
        Ok(count)
    }
}
