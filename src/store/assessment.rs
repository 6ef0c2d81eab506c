//! The one read the assessment calculator needs: the history of every
//! instance of some workflows that recorded a fact in a period, streamed in
//! `(instance_id, seq)` order so that the calculator holds one instance in
//! memory, not a year of history.
//!
//! Written once like `sql.rs`, expanded per backend into a module
//! `assessment` (its own module, so its imports cannot clash with those of
//! `queries!`). The only difference is how ids are compared: the calculator
//! needs UUID text in byte order, which SQLite's default `BINARY` collation
//! gives and PostgreSQL's gives only under the `"C"` collation (a database
//! created with a language collation sorts text differently).

/// Expands `assessment::rows` for one backend.
///
/// * `$db`: the sqlx database type.
/// * `$byte_order`: appended to `instance_id` in `ORDER BY`.
macro_rules! queries {
    ($db:ty, $byte_order:literal) => {
        pub(crate) mod assessment {
            use futures_util::StreamExt as _;
            use futures_util::stream::BoxStream;
            use serde_json::Value as Json;
            use sqlx::types::Json as SqlJson;
            use sqlx::{Pool, Row as _};

            use $crate::assess::{HistoryRow, Period};
            use $crate::store::StoreError;

            /// Every history row recorded before the period's end of the
            /// instances of `workflows` that have at least one row inside
            /// it, ordered by `(instance_id, seq)`.
            ///
            /// An instance without a row in the period cannot contribute: every
            /// count is anchored on a row in the period. Its earlier rows are
            /// still needed (who holds it, whether it was ever bounced); rows
            /// after the period's end are not. The inner select is an
            /// index-only scan of `history_assessment` (migration 0004); the
            /// outer one follows the primary key.
            pub(crate) fn rows<'p>(
                pool: &'p Pool<$db>,
                workflows: &[String],
                period: Period,
            ) -> BoxStream<'p, Result<HistoryRow, StoreError>> {
                if workflows.is_empty() {
                    return futures_util::stream::empty().boxed();
                }
                let placeholders: Vec<String> = (0..workflows.len())
                    .map(|index| format!("${}", index + 3))
                    .collect();
                let sql = format!(
                    "SELECT instance_id, seq, workflow, kind, at, event, from_state, to_state, \
                     actor, data FROM history WHERE at < $2 AND instance_id IN \
                     (SELECT instance_id FROM history WHERE workflow IN ({}) \
                     AND at >= $1 AND at < $2) \
                     ORDER BY instance_id{}, seq",
                    placeholders.join(", "),
                    $byte_order
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(period.from())
                    .bind(period.to());
                for workflow in workflows {
                    query = query.bind(workflow.clone());
                }
                query.fetch(pool).map(|row| decode(&row?)).boxed()
            }

            fn decode(row: &<$db as sqlx::Database>::Row) -> Result<HistoryRow, StoreError> {
                let instance_id: &str = row.try_get(0)?;
                let kind: &str = row.try_get(3)?;
                let data: SqlJson<Json> = row.try_get(9)?;
                Ok(HistoryRow {
                    instance_id: super::parse_id(instance_id)?,
                    seq: row.try_get(1)?,
                    workflow: row.try_get(2)?,
                    kind: super::history_kind(kind)?,
                    at: row.try_get(4)?,
                    event: row.try_get(5)?,
                    from_state: row.try_get(6)?,
                    to_state: row.try_get(7)?,
                    actor: row.try_get(8)?,
                    data: data.0,
                })
            }
        }
    };
}

pub(super) use queries;
