//! The one read the assessment calculator needs: the history of every
//! instance of some workflows that recorded a fact in a period, streamed in
//! `(instance_id, seq)` order so that the calculator holds one instance in
//! memory, not a year of history. The calculator says what it needs as a
//! [`RowSelection`]; this module turns that into the `WHERE` clause.

use futures_util::stream::{BoxStream, StreamExt as _};
use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use uuid::Uuid;

use super::db::Sql;
use super::history::parse_kind;
use super::{Store, StoreError, history_data};
use crate::engine::{HistoryData, HistoryKind, Millis};

/// Which history rows and which row data an assessment can use, so that
/// only those are read: `action` rows, unreferenced events and most event
/// data never change a count, and reading them was most of the cost of a
/// year's assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowSelection {
    /// Workflows whose instances are assessed.
    pub workflows: Vec<String>,
    /// Whether `sla` rows (with their data) are read.
    pub sla: bool,
    /// Whether `created` rows are read.
    pub created: bool,
    /// `event`/`timer` rows of these events are read.
    pub events: Vec<String>,
    /// Rows that enter one of these states (`to_state` differs from
    /// `from_state`; kinds `created`, `event`, `timer`, `admin`) are read.
    pub states: Vec<String>,
    /// The data of `event`/`timer` rows of these events is read (a subset
    /// of `events`); other non-SLA rows come with `data` null.
    pub data_events: Vec<String>,
}

impl RowSelection {
    /// Whether no row can matter (no workflow, or nothing referenced).
    pub fn is_empty(&self) -> bool {
        let nothing_referenced =
            !self.sla && !self.created && self.events.is_empty() && self.states.is_empty();
        self.workflows.is_empty() || nothing_referenced
    }
}

/// One history row as the assessment reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRow {
    pub instance_id: Uuid,
    /// Increases within an instance.
    pub seq: i64,
    pub workflow: String,
    pub kind: HistoryKind,
    pub at: Millis,
    /// The event's name, for `event` and `timer` rows.
    pub event: Option<String>,
    pub from_state: Option<String>,
    /// The state after the entry.
    pub to_state: Option<String>,
    /// What the line recorded; `None` for rows whose data the selection
    /// does not ask for.
    pub data: Option<HistoryData>,
}

#[derive(sqlx::FromRow)]
struct Row {
    instance_id: String,
    seq: i64,
    workflow: String,
    kind: String,
    at: i64,
    event: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
    data: Option<SqlJson<Json>>,
}

impl TryFrom<Row> for AssessmentRow {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Self, StoreError> {
        let kind = parse_kind(&row.kind)?;
        Ok(AssessmentRow {
            instance_id: super::parse_id(&row.instance_id)?,
            seq: row.seq,
            workflow: row.workflow,
            kind,
            at: row.at,
            event: row.event,
            from_state: row.from_state,
            to_state: row.to_state,
            data: row
                .data
                .map(|data| history_data::decode(kind, data.0))
                .transpose()?,
        })
    }
}

impl Store {
    /// The rows `selection` asks for, recorded before `to`, of the instances
    /// of its workflows that recorded something in `[from, to)`, ordered by
    /// `(instance_id, seq)` (ids in byte order). Streamed: a year of history
    /// is never held at once.
    ///
    /// An instance without a row in the period cannot contribute: every
    /// count is anchored on a row in the period. Its earlier rows are still
    /// needed (who holds it, whether it was ever bounced); rows after the
    /// period's end are not. The inner select is an index-only scan of
    /// `history_assessment` (migration 0004); the outer one follows the
    /// primary key. Rows and data no indicator reads are filtered here:
    /// handing a row over from the driver costs more than reading it.
    pub fn assessment_rows<'s>(
        &'s self,
        selection: &RowSelection,
        from: Millis,
        to: Millis,
    ) -> BoxStream<'s, Result<AssessmentRow, StoreError>> {
        if selection.is_empty() {
            return futures_util::stream::empty().boxed();
        }
        let mut sql = Sql::new(
            "SELECT instance_id, seq, workflow, kind, at, event, from_state, to_state, \
             CASE WHEN kind = 'sla'",
        );
        if !selection.data_events.is_empty() {
            sql.push(" OR (kind IN ('event', 'timer') AND event IN (")
                .push_list(&selection.data_events)
                .push("))");
        }
        sql.push(" THEN data END AS data FROM history WHERE at < ")
            .push_bind(to)
            .push(" AND (");
        let mut alternatives = 0;
        let mut or = |sql: &mut Sql<'_>| {
            if alternatives > 0 {
                sql.push(" OR ");
            }
            alternatives += 1;
        };
        if selection.sla {
            or(&mut sql);
            sql.push("kind = 'sla'");
        }
        if selection.created {
            or(&mut sql);
            sql.push("kind = 'created'");
        }
        if !selection.events.is_empty() {
            or(&mut sql);
            sql.push("(kind IN ('event', 'timer') AND event IN (")
                .push_list(&selection.events)
                .push("))");
        }
        if !selection.states.is_empty() {
            or(&mut sql);
            sql.push("(kind IN ('created', 'event', 'timer', 'admin') AND to_state IN (")
                .push_list(&selection.states)
                .push(") AND (from_state IS NULL OR from_state <> to_state))");
        }
        sql.push(") AND instance_id IN (SELECT instance_id FROM history WHERE workflow IN (")
            .push_list(&selection.workflows)
            .push(") AND at >= ")
            .push_bind(from)
            .push(" AND at < ")
            .push_bind(to)
            .push(") ORDER BY instance_id")
            .push(self.backend().byte_order())
            .push(", seq");
        self.pool
            .stream::<Row>(sql)
            .map(|row| AssessmentRow::try_from(row?))
            .boxed()
    }
}
