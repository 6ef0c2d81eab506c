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

            use $crate::assess::{HistoryRow, Period, RowSelection};
            use $crate::store::StoreError;

            /// The rows `selection` asks for, recorded before the period's
            /// end, of the instances of its workflows that have at least one
            /// row inside it, ordered by `(instance_id, seq)`.
            ///
            /// An instance without a row in the period cannot contribute: every
            /// count is anchored on a row in the period. Its earlier rows are
            /// still needed (who holds it, whether it was ever bounced); rows
            /// after the period's end are not. The inner select is an
            /// index-only scan of `history_assessment` (migration 0004); the
            /// outer one follows the primary key. Rows and data no indicator
            /// reads are filtered here: handing a row over from the driver
            /// costs more than SQLite's reading it.
            pub(crate) fn rows<'p>(
                pool: &'p Pool<$db>,
                selection: &RowSelection,
                period: Period,
            ) -> BoxStream<'p, Result<HistoryRow, StoreError>> {
                if selection.is_empty() {
                    return futures_util::stream::empty().boxed();
                }
                let mut texts: Vec<String> = Vec::new();
                let mut list = |names: &[String]| -> String {
                    let mut placeholders = Vec::with_capacity(names.len());
                    for name in names {
                        texts.push(name.clone());
                        placeholders.push(format!("${}", texts.len() + 2));
                    }
                    placeholders.join(", ")
                };
                let workflows = list(&selection.workflows);
                let mut wanted: Vec<String> = Vec::new();
                if selection.sla {
                    wanted.push("kind = 'sla'".to_owned());
                }
                if selection.created {
                    wanted.push("kind = 'created'".to_owned());
                }
                if !selection.events.is_empty() {
                    wanted.push(format!(
                        "(kind IN ('event', 'timer') AND event IN ({}))",
                        list(&selection.events)
                    ));
                }
                if !selection.states.is_empty() {
                    wanted.push(format!(
                        "(kind IN ('created', 'event', 'timer', 'admin') AND to_state IN ({}) \
                         AND (from_state IS NULL OR from_state <> to_state))",
                        list(&selection.states)
                    ));
                }
                let data = if selection.data_events.is_empty() {
                    "CASE WHEN kind = 'sla' THEN data END".to_owned()
                } else {
                    format!(
                        "CASE WHEN kind = 'sla' OR (kind IN ('event', 'timer') AND event IN ({})) \
                         THEN data END",
                        list(&selection.data_events)
                    )
                };
                let sql = format!(
                    "SELECT instance_id, seq, workflow, kind, at, event, from_state, to_state, \
                     {data} FROM history WHERE at < $2 AND ({}) AND instance_id IN \
                     (SELECT instance_id FROM history WHERE workflow IN ({workflows}) \
                     AND at >= $1 AND at < $2) \
                     ORDER BY instance_id{}, seq",
                    wanted.join(" OR "),
                    $byte_order
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(period.from())
                    .bind(period.to());
                for text in texts {
                    query = query.bind(text);
                }
                query.fetch(pool).map(|row| decode(&row?)).boxed()
            }

            fn decode(row: &<$db as sqlx::Database>::Row) -> Result<HistoryRow, StoreError> {
                let instance_id: &str = row.try_get(0)?;
                let kind: &str = row.try_get(3)?;
                let data: Option<SqlJson<Json>> = row.try_get(8)?;
                Ok(HistoryRow {
                    instance_id: super::parse_id(instance_id)?,
                    seq: row.try_get(1)?,
                    workflow: row.try_get(2)?,
                    kind: super::history_kind(kind)?,
                    at: row.try_get(4)?,
                    event: row.try_get(5)?,
                    from_state: row.try_get(6)?,
                    to_state: row.try_get(7)?,
                    data: data.map_or(Json::Null, |data| data.0),
                })
            }
        }
    };
}

pub(super) use queries;
