//! The stuck check's reads. Whether an instance is stuck depends on its
//! definition version (a state's `stuck_after`, a state nothing can leave)
//! and on the time, so the runtime turns each live (workflow, version,
//! state) into a [`StuckRules`] entry and the store answers only the live
//! instances that meet one, or have an open incident, a timer overdue past
//! the grace, or an SLA cycle running past its due time. Every condition
//! is an indexed range (migration 0011, `incidents_open`, `timers_due`,
//! `sla_cycles_open`), so the work grows with the stuck instances, not
//! with the live ones.

use sqlx::types::Json as SqlJson;
use uuid::Uuid;

use super::db::Sql;
use super::instances::{InstanceFilter, status_text};
use super::sla_cycles::StoredSlaCycle;
use super::{Store, StoreError};
use crate::engine::{Millis, SlaCycle};

/// How many live instances run one state of one definition version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveState {
    pub workflow: String,
    pub definition_hash: String,
    pub state: String,
    pub live: i64,
}

/// One state of one definition version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionState {
    pub workflow: String,
    pub definition_hash: String,
    pub state: String,
}

/// What makes a live instance a candidate of the stuck check, decided by
/// the runtime from the definitions and the time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StuckRules {
    /// In this state since before `.1` (now − the state's `stuck_after`).
    pub idle: Vec<(VersionState, Millis)>,
    /// In this state at all: it is not terminal and nothing leaves it, or
    /// the version has no such state.
    pub no_way_out: Vec<VersionState>,
    /// A timer due before this (now − grace) has not fired.
    pub timers_due_before: Millis,
    /// A running, unpaused SLA cycle was due before this: the instant
    /// the rules were made for.
    pub slas_due_before: Millis,
}

impl StuckRules {
    /// The instant these rules judge at.
    pub fn now(&self) -> Millis {
        self.slas_due_before
    }
}

/// The facts about a live instance that the stuck check weighs against its
/// definition.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveInstanceFacts {
    pub id: Uuid,
    pub workflow: String,
    pub key: String,
    pub definition_hash: String,
    pub state: String,
    pub entered_at: Millis,
    pub slas: Vec<SlaCycle>,
    pub open_incidents: i64,
    /// The earliest due time among its timers, if any.
    pub earliest_timer_due: Option<Millis>,
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    id: String,
    workflow: String,
    key: String,
    definition_hash: String,
    state: String,
    entered_at: i64,
    slas: SqlJson<Vec<StoredSlaCycle>>,
    open_incidents: i64,
    earliest_timer_due: Option<i64>,
}

impl TryFrom<FactsRow> for LiveInstanceFacts {
    type Error = StoreError;

    fn try_from(row: FactsRow) -> Result<Self, StoreError> {
        Ok(LiveInstanceFacts {
            id: super::parse_id(&row.id)?,
            workflow: row.workflow,
            key: row.key,
            definition_hash: row.definition_hash,
            state: row.state,
            entered_at: row.entered_at,
            slas: row.slas.0.into_iter().map(Into::into).collect(),
            open_incidents: row.open_incidents,
            earliest_timer_due: row.earliest_timer_due,
        })
    }
}

/// Appends `SELECT id …` of every candidate: a union of indexed lookups,
/// each answering ids that may include ended instances (the caller joins
/// on live ones).
fn push_candidates<'a>(sql: &mut Sql<'a>, rules: &'a StuckRules) {
    sql.push("SELECT instance_id AS id FROM incidents WHERE resolved_at IS NULL")
        .push(" UNION SELECT instance_id FROM timers WHERE due_at < ")
        .push_bind(rules.timers_due_before)
        .push(
            " UNION SELECT instance_id FROM sla_cycles \
             WHERE stopped_at IS NULL AND paused_at IS NULL AND due_at < ",
        )
        .push_bind(rules.slas_due_before);
    let in_state = |sql: &mut Sql<'a>, state: &'a VersionState| {
        sql.push(" UNION SELECT id FROM instances WHERE status = 'active' AND workflow = ")
            .push_bind(&state.workflow)
            .push(" AND definition_hash = ")
            .push_bind(&state.definition_hash)
            .push(" AND state = ")
            .push_bind(&state.state);
    };
    for (state, entered_before) in &rules.idle {
        in_state(sql, state);
        sql.push(" AND entered_at < ").push_bind(*entered_before);
    }
    for state in &rules.no_way_out {
        in_state(sql, state);
    }
}

impl Store {
    /// Live instances per workflow, definition version and state: what the
    /// stuck check needs rules for. An index-only scan of
    /// `instances_live_state`.
    pub async fn live_states(&self) -> Result<Vec<LiveState>, StoreError> {
        let sql = Sql::new(
            "SELECT workflow, definition_hash, state, COUNT(*) AS live FROM instances \
             WHERE status = 'active' GROUP BY workflow, state, definition_hash \
             ORDER BY workflow, state, definition_hash",
        );
        self.db().fetch_all(sql).await
    }

    /// How many live instances `rules` picks out.
    pub async fn stuck_count(&self, rules: &StuckRules) -> Result<i64, StoreError> {
        let mut sql =
            Sql::new("SELECT COUNT(*) FROM instances i WHERE i.status = 'active' AND i.id IN (");
        push_candidates(&mut sql, rules);
        sql.push(")");
        let (count,): (i64,) = self.db().fetch_one(sql).await?;
        Ok(count)
    }

    /// The facts of the live instances `rules` picks out: every one in id
    /// order without `page`; with it, those matching its filters after its
    /// cursor, newest first, one more than its page size (which tells that
    /// another page exists).
    pub async fn stuck_facts(
        &self,
        rules: &StuckRules,
        page: Option<&InstanceFilter>,
    ) -> Result<Vec<LiveInstanceFacts>, StoreError> {
        let mut sql = Sql::new(
            "SELECT i.id, i.workflow, i.key, i.definition_hash, i.state, i.entered_at, i.slas, \
             (SELECT COUNT(*) FROM incidents n WHERE n.instance_id = i.id \
              AND n.resolved_at IS NULL) AS open_incidents, \
             (SELECT MIN(t.due_at) FROM timers t WHERE t.instance_id = i.id) \
              AS earliest_timer_due \
             FROM instances i WHERE i.status = 'active' AND i.id IN (",
        );
        push_candidates(&mut sql, rules);
        sql.push(")");
        match page {
            None => {
                sql.push(" ORDER BY i.id");
            }
            Some(filter) => {
                if let Some(workflow) = &filter.workflow {
                    sql.push(" AND i.workflow = ").push_bind(workflow);
                }
                if let Some(state) = &filter.state {
                    sql.push(" AND i.state = ").push_bind(state);
                }
                if let Some(key) = &filter.key {
                    sql.push(" AND i.key = ").push_bind(key);
                }
                if let Some(status) = filter.status {
                    sql.push(" AND i.status = ").push_bind(status_text(status));
                }
                if let Some(cursor) = &filter.cursor {
                    sql.push(" AND i.id < ").push_bind(cursor.last_id());
                }
                sql.push(" ORDER BY i.id DESC LIMIT ")
                    .push_bind(filter.page_size() as i64 + 1);
            }
        }
        let rows: Vec<FactsRow> = self.db().fetch_all(sql).await?;
        rows.into_iter().map(LiveInstanceFacts::try_from).collect()
    }
}
