//! The SQL both backends share, written once. `queries!` expands into a
//! backend module (`sqlite.rs`, `postgres.rs`) with that module's concrete
//! database type, so every statement is compiled against both drivers and
//! covered by one test suite. Only the row-locking clauses differ, passed in
//! as literals: SQLite serializes writers with `BEGIN IMMEDIATE` instead.
//!
//! Placeholders are `$1…` in both dialects (SQLite accepts `$N`).

/// Expands the shared statements for one backend.
///
/// * `$db`: the sqlx database type.
/// * `$lock_row`: appended to the select that loads an instance for change.
/// * `$skip_locked`: appended to the select that picks due timers and outbox
///   rows, so that several runners claim disjoint rows.
macro_rules! queries {
    ($db:ty, $lock_row:literal, $skip_locked:literal) => {
        use std::collections::BTreeMap;

        use serde_json::{Map, Value as Json};
        use sqlx::types::Json as SqlJson;
        use sqlx::{Pool, QueryBuilder, Row};
        use uuid::Uuid;

        use $crate::engine::{
            Effect, HistoryEntry, HistoryKind, Instance, Millis, Outcome, PendingTimer, SlaCycle,
            Status,
        };
        use $crate::store::types::{
            ClaimedTimer, Cursor, HistoryRecord, IdempotencyRecord, Incident, InstanceFilter,
            LiveInstanceFacts, OutboxEntry, OutboxMessage, Page,
        };
        use $crate::store::StoreError;

        type DbConnection = <$db as sqlx::Database>::Connection;

        const INSTANCE_COLUMNS: &str = "id, workflow, version, definition_hash, key, state, \
            status, data, slas, timers, sla_cycle_counts, created_at, updated_at, entered_at, revision";

        /// An `instances` row as read; turned into an [`Instance`] by `into_instance`.
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
            slas: SqlJson<Vec<SlaCycle>>,
            timers: SqlJson<Vec<PendingTimer>>,
            sla_cycle_counts: SqlJson<BTreeMap<String, u32>>,
            created_at: i64,
            updated_at: i64,
            entered_at: i64,
            revision: i64,
        }

        impl InstanceRow {
            fn into_instance(self) -> Result<Instance, StoreError> {
                Ok(Instance {
                    id: parse_id(&self.id)?,
                    workflow: self.workflow,
                    version: u32::try_from(self.version)
                        .map_err(|_| StoreError::Corrupt(format!("version {}", self.version)))?,
                    definition_hash: self.definition_hash,
                    key: self.key,
                    state: self.state,
                    status: Status::parse(&self.status)
                        .ok_or_else(|| StoreError::Corrupt(format!("status `{}`", self.status)))?,
                    data: self.data.0,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                    entered_at: self.entered_at,
                    slas: self.slas.0,
                    timers: self.timers.0,
                    sla_cycle_counts: self.sla_cycle_counts.0,
                    revision: self.revision,
                })
            }
        }

        fn parse_id(text: &str) -> Result<Uuid, StoreError> {
            Uuid::try_parse(text).map_err(|_| StoreError::Corrupt(format!("id `{text}`")))
        }

        fn instances(rows: Vec<InstanceRow>) -> Result<Vec<Instance>, StoreError> {
            rows.into_iter().map(InstanceRow::into_instance).collect()
        }

        // ---- definitions -------------------------------------------------

        pub(crate) async fn save_definition(
            pool: &Pool<$db>,
            hash: &str,
            workflow: &str,
            version: u32,
            source: &str,
            now: Millis,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO definitions (hash, workflow, version, source, loaded_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING",
            )
            .bind(hash)
            .bind(workflow)
            .bind(i64::from(version))
            .bind(source)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        }

        pub(crate) async fn definition_source(
            pool: &Pool<$db>,
            hash: &str,
        ) -> Result<Option<String>, StoreError> {
            let source = sqlx::query_scalar("SELECT source FROM definitions WHERE hash = $1")
                .bind(hash)
                .fetch_optional(pool)
                .await?;
            Ok(source)
        }

        // ---- reads ---------------------------------------------------------

        pub(crate) async fn get_instance(
            pool: &Pool<$db>,
            id: Uuid,
        ) -> Result<Option<Instance>, StoreError> {
            let sql = format!("SELECT {INSTANCE_COLUMNS} FROM instances WHERE id = $1");
            let row: Option<InstanceRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?;
            row.map(InstanceRow::into_instance).transpose()
        }

        /// The live instance with this key, else the most recently created one.
        pub(crate) async fn find_by_key(
            pool: &Pool<$db>,
            workflow: &str,
            key: &str,
        ) -> Result<Option<Instance>, StoreError> {
            let sql = format!(
                "SELECT {INSTANCE_COLUMNS} FROM instances WHERE workflow = $1 AND key = $2 \
                 ORDER BY CASE WHEN status = 'active' THEN 0 ELSE 1 END, created_at DESC, id DESC \
                 LIMIT 1"
            );
            let row: Option<InstanceRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(workflow)
                .bind(key)
                .fetch_optional(pool)
                .await?;
            row.map(InstanceRow::into_instance).transpose()
        }

        pub(crate) async fn list_instances(
            pool: &Pool<$db>,
            filter: &InstanceFilter,
        ) -> Result<Page, StoreError> {
            let limit = filter.limit.clamp(1, 500);
            let mut query = QueryBuilder::<$db>::new(format!(
                "SELECT {INSTANCE_COLUMNS} FROM instances WHERE 1 = 1"
            ));
            if let Some(workflow) = &filter.workflow {
                query.push(" AND workflow = ").push_bind(workflow.clone());
            }
            if let Some(state) = &filter.state {
                query.push(" AND state = ").push_bind(state.clone());
            }
            if let Some(key) = &filter.key {
                query.push(" AND key = ").push_bind(key.clone());
            }
            if let Some(status) = filter.status {
                query.push(" AND status = ").push_bind(status.as_str());
            }
            if let Some(cursor) = &filter.cursor {
                query.push(" AND id < ").push_bind(cursor.last_id().to_string());
            }
            // One row more than asked tells whether another page exists.
            query.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(limit) + 1);
            let rows: Vec<InstanceRow> = query.build_query_as().fetch_all(pool).await?;
            let mut instances = instances(rows)?;
            let next_cursor = if instances.len() > limit as usize {
                instances.truncate(limit as usize);
                instances.last().map(|last| Cursor::after(last.id))
            } else {
                None
            };
            Ok(Page { instances, next_cursor })
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

        fn history_kind(text: &str) -> Result<HistoryKind, StoreError> {
            let kind = [
                HistoryKind::Created,
                HistoryKind::Event,
                HistoryKind::Timer,
                HistoryKind::Sla,
                HistoryKind::Action,
                HistoryKind::Admin,
            ]
            .into_iter()
            .find(|kind| kind.as_str() == text);
            kind.ok_or_else(|| StoreError::Corrupt(format!("history kind `{text}`")))
        }

        pub(crate) async fn history(
            pool: &Pool<$db>,
            instance_id: Uuid,
        ) -> Result<Vec<HistoryRecord>, StoreError> {
            let rows: Vec<HistoryRow> = sqlx::query_as(
                "SELECT seq, kind, at, event, from_state, to_state, actor, data FROM history \
                 WHERE instance_id = $1 ORDER BY seq",
            )
            .bind(instance_id.to_string())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|row| {
                    Ok(HistoryRecord {
                        seq: row.seq,
                        entry: HistoryEntry {
                            kind: history_kind(&row.kind)?,
                            at: row.at,
                            event: row.event,
                            from: row.from_state,
                            to: row.to_state,
                            actor: row.actor,
                            data: row.data.0,
                        },
                    })
                })
                .collect()
        }

        // ---- the write transaction ----------------------------------------

        /// Loads an instance to change it; on PostgreSQL the row stays locked
        /// until the transaction ends.
        pub(crate) async fn load_instance(
            conn: &mut DbConnection,
            id: Uuid,
        ) -> Result<Option<Instance>, StoreError> {
            let sql = format!("SELECT {INSTANCE_COLUMNS} FROM instances WHERE id = $1{}", $lock_row);
            let row: Option<InstanceRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            row.map(InstanceRow::into_instance).transpose()
        }

        /// Loads the live instance holding `key`, locked like `load_instance`.
        pub(crate) async fn load_live(
            conn: &mut DbConnection,
            workflow: &str,
            key: &str,
        ) -> Result<Option<Instance>, StoreError> {
            let sql = format!(
                "SELECT {INSTANCE_COLUMNS} FROM instances \
                 WHERE workflow = $1 AND key = $2 AND status = 'active'{}",
                $lock_row
            );
            let row: Option<InstanceRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(workflow)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
            row.map(InstanceRow::into_instance).transpose()
        }

        /// The source of a stored definition version, read inside the
        /// transaction (a second pool connection could wait on this one).
        pub(crate) async fn definition_source_in(
            conn: &mut DbConnection,
            hash: &str,
        ) -> Result<Option<String>, StoreError> {
            let source = sqlx::query_scalar("SELECT source FROM definitions WHERE hash = $1")
                .bind(hash)
                .fetch_optional(&mut *conn)
                .await?;
            Ok(source)
        }

        /// Deletes a timer row, only if it is still the one due at `due_at`.
        pub(crate) async fn forget_timer(
            conn: &mut DbConnection,
            instance_id: Uuid,
            name: &str,
            due_at: Millis,
        ) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM timers WHERE instance_id = $1 AND name = $2 AND due_at = $3")
                .bind(instance_id.to_string())
                .bind(name)
                .bind(due_at)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(crate) async fn get_idempotency(
            conn: &mut DbConnection,
            scope: &str,
            key: &str,
        ) -> Result<Option<IdempotencyRecord>, StoreError> {
            let row = sqlx::query(
                "SELECT request_hash, response FROM idempotency WHERE scope = $1 AND key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|row| {
                let response: SqlJson<Json> = row.try_get("response")?;
                Ok(IdempotencyRecord {
                    request_hash: row.try_get("request_hash")?,
                    response: response.0,
                })
            })
            .transpose()
        }

        pub(crate) async fn put_idempotency(
            conn: &mut DbConnection,
            scope: &str,
            key: &str,
            record: &IdempotencyRecord,
            now: Millis,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO idempotency (scope, key, request_hash, response, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(scope)
            .bind(key)
            .bind(&record.request_hash)
            .bind(SqlJson(&record.response))
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Writes everything an engine step decided. `expected_revision` is
        /// `None` for a new instance; otherwise the update only applies when
        /// the stored revision still matches, else `RevisionConflict`.
        /// Returns the instance as stored (with its new revision).
        pub(crate) async fn commit_outcome(
            conn: &mut DbConnection,
            outcome: &Outcome,
            expected_revision: Option<i64>,
        ) -> Result<Instance, StoreError> {
            let mut instance = outcome.instance.clone();
            instance.revision = write_instance(conn, &instance, expected_revision).await?;
            insert_history(conn, &instance, &outcome.history).await?;
            for name in &outcome.timers_cancelled {
                delete_timer(conn, instance.id, name).await?;
            }
            for timer in &outcome.timers_set {
                upsert_timer(conn, instance.id, timer).await?;
            }
            if instance.status != Status::Active {
                // An ended instance has nothing left to fire.
                sqlx::query("DELETE FROM timers WHERE instance_id = $1")
                    .bind(instance.id.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
            for cycle in &outcome.sla_changes {
                upsert_sla_cycle(conn, instance.id, cycle).await?;
            }
            for effect in &outcome.effects {
                if let Effect::Notify { webhook, payload } = effect {
                    insert_outbox(conn, instance.id, webhook, payload, instance.updated_at).await?;
                }
            }
            Ok(instance)
        }

        async fn write_instance(
            conn: &mut DbConnection,
            instance: &Instance,
            expected_revision: Option<i64>,
        ) -> Result<i64, StoreError> {
            let Some(expected) = expected_revision else {
                sqlx::query(
                    "INSERT INTO instances (id, workflow, version, definition_hash, key, state, \
                     status, data, slas, timers, sla_cycle_counts, created_at, updated_at, \
                     entered_at, revision) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1)",
                )
                .bind(instance.id.to_string())
                .bind(&instance.workflow)
                .bind(i64::from(instance.version))
                .bind(&instance.definition_hash)
                .bind(&instance.key)
                .bind(&instance.state)
                .bind(instance.status.as_str())
                .bind(SqlJson(&instance.data))
                .bind(SqlJson(&instance.slas))
                .bind(SqlJson(&instance.timers))
                .bind(SqlJson(&instance.sla_cycle_counts))
                .bind(instance.created_at)
                .bind(instance.updated_at)
                .bind(instance.entered_at)
                .execute(&mut *conn)
                .await?;
                return Ok(1);
            };
            let updated = sqlx::query(
                "UPDATE instances SET version = $2, definition_hash = $3, state = $4, \
                 status = $5, data = $6, slas = $7, timers = $8, updated_at = $9, \
                 entered_at = $10, sla_cycle_counts = $11, revision = revision + 1 \
                 WHERE id = $1 AND revision = $12",
            )
            .bind(instance.id.to_string())
            .bind(i64::from(instance.version))
            .bind(&instance.definition_hash)
            .bind(&instance.state)
            .bind(instance.status.as_str())
            .bind(SqlJson(&instance.data))
            .bind(SqlJson(&instance.slas))
            .bind(SqlJson(&instance.timers))
            .bind(instance.updated_at)
            .bind(instance.entered_at)
            .bind(SqlJson(&instance.sla_cycle_counts))
            .bind(expected)
            .execute(&mut *conn)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::RevisionConflict { instance: instance.id });
            }
            Ok(expected + 1)
        }

        async fn insert_history(
            conn: &mut DbConnection,
            instance: &Instance,
            entries: &[HistoryEntry],
        ) -> Result<(), StoreError> {
            if entries.is_empty() {
                return Ok(());
            }
            let last: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM history WHERE instance_id = $1")
                    .bind(instance.id.to_string())
                    .fetch_one(&mut *conn)
                    .await?;
            for (seq, entry) in (last + 1..).zip(entries) {
                sqlx::query(
                    "INSERT INTO history (instance_id, seq, workflow, kind, at, event, \
                     from_state, to_state, actor, data) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(instance.id.to_string())
                .bind(seq)
                .bind(&instance.workflow)
                .bind(entry.kind.as_str())
                .bind(entry.at)
                .bind(&entry.event)
                .bind(&entry.from)
                .bind(&entry.to)
                .bind(&entry.actor)
                .bind(SqlJson(&entry.data))
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        async fn delete_timer(
            conn: &mut DbConnection,
            instance_id: Uuid,
            name: &str,
        ) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM timers WHERE instance_id = $1 AND name = $2")
                .bind(instance_id.to_string())
                .bind(name)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Inserts or replaces a timer; a replaced timer loses any lease, so
        /// a runner holding the old one sees a different `due_at` and skips it.
        async fn upsert_timer(
            conn: &mut DbConnection,
            instance_id: Uuid,
            timer: &PendingTimer,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO timers (instance_id, name, due_at, fires, claimed_by, claimed_until, \
                 attempts) VALUES ($1, $2, $3, $4, NULL, NULL, 0) \
                 ON CONFLICT (instance_id, name) DO UPDATE SET due_at = excluded.due_at, \
                 fires = excluded.fires, claimed_by = NULL, claimed_until = NULL, attempts = 0",
            )
            .bind(instance_id.to_string())
            .bind(&timer.name)
            .bind(timer.due_at)
            .bind(SqlJson(&timer.fires))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        async fn upsert_sla_cycle(
            conn: &mut DbConnection,
            instance_id: Uuid,
            cycle: &SlaCycle,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO sla_cycles (instance_id, sla, cycle, started_at, due_at, paused_at, \
                 outcome, role, stopped_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (instance_id, sla, cycle) DO UPDATE SET \
                 started_at = excluded.started_at, due_at = excluded.due_at, \
                 paused_at = excluded.paused_at, outcome = excluded.outcome, \
                 role = excluded.role, stopped_at = excluded.stopped_at",
            )
            .bind(instance_id.to_string())
            .bind(&cycle.sla)
            .bind(i64::from(cycle.cycle))
            .bind(cycle.started_at)
            .bind(cycle.due_at)
            .bind(cycle.paused_at)
            .bind(cycle.outcome.map(|outcome| outcome.as_str()))
            .bind(&cycle.role)
            .bind(cycle.stopped_at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        async fn insert_outbox(
            conn: &mut DbConnection,
            instance_id: Uuid,
            webhook: &str,
            payload: &Json,
            now: Millis,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO outbox (id, instance_id, webhook, payload, created_at, \
                 next_attempt_at, attempts) VALUES ($1, $2, $3, $4, $5, $5, 0)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(instance_id.to_string())
            .bind(webhook)
            .bind(SqlJson(payload))
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(crate) async fn open_incident(
            conn: &mut DbConnection,
            instance_id: Uuid,
            kind: &str,
            message: &str,
            now: Millis,
        ) -> Result<Uuid, StoreError> {
            let id = Uuid::now_v7();
            sqlx::query(
                "INSERT INTO incidents (id, instance_id, kind, message, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.to_string())
            .bind(instance_id.to_string())
            .bind(kind)
            .bind(message)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(id)
        }

        // ---- timers ----------------------------------------------------------

        /// Leases up to `limit` due timers to `runner` until `lease_until`, in
        /// due order. A lease that ran out (its runner died) is taken over.
        pub(crate) async fn claim_due_timers(
            pool: &Pool<$db>,
            now: Millis,
            runner: &str,
            lease_until: Millis,
            limit: u32,
        ) -> Result<Vec<ClaimedTimer>, StoreError> {
            let sql = format!(
                "UPDATE timers SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
                 WHERE (instance_id, name) IN (SELECT instance_id, name FROM timers \
                 WHERE due_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3) \
                 ORDER BY due_at LIMIT $4{}) RETURNING instance_id, name, due_at",
                $skip_locked
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(runner)
                .bind(lease_until)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            let mut claimed = rows
                .into_iter()
                .map(|row| {
                    let instance_id: String = row.try_get("instance_id")?;
                    Ok(ClaimedTimer {
                        instance_id: parse_id(&instance_id)?,
                        name: row.try_get("name")?,
                        due_at: row.try_get("due_at")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            claimed.sort_by(|a, b| (a.due_at, a.instance_id).cmp(&(b.due_at, b.instance_id)));
            Ok(claimed)
        }

        /// The earliest due time among timers nobody holds a lease on at `now`.
        pub(crate) async fn next_due_at(
            pool: &Pool<$db>,
            now: Millis,
        ) -> Result<Option<Millis>, StoreError> {
            let due = sqlx::query_scalar(
                "SELECT MIN(due_at) FROM timers WHERE claimed_until IS NULL OR claimed_until < $1",
            )
            .bind(now)
            .fetch_one(pool)
            .await?;
            Ok(due)
        }

        // ---- outbox ----------------------------------------------------------

        pub(crate) async fn claim_outbox(
            pool: &Pool<$db>,
            now: Millis,
            lease_until: Millis,
            limit: u32,
        ) -> Result<Vec<OutboxMessage>, StoreError> {
            let sql = format!(
                "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox \
                 WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $2 \
                 AND (claimed_until IS NULL OR claimed_until < $2) \
                 ORDER BY next_attempt_at LIMIT $3{}) \
                 RETURNING id, instance_id, webhook, payload, attempts",
                $skip_locked
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(lease_until)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            rows.into_iter()
                .map(|row| {
                    let id: String = row.try_get("id")?;
                    let instance_id: String = row.try_get("instance_id")?;
                    let payload: SqlJson<Json> = row.try_get("payload")?;
                    Ok(OutboxMessage {
                        id: parse_id(&id)?,
                        instance_id: parse_id(&instance_id)?,
                        webhook: row.try_get("webhook")?,
                        payload: payload.0,
                        attempts: row.try_get("attempts")?,
                    })
                })
                .collect()
        }

        pub(crate) async fn mark_delivered(
            pool: &Pool<$db>,
            id: Uuid,
            now: Millis,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE outbox SET delivered_at = $2, attempts = attempts + 1, \
                 claimed_until = NULL, last_error = NULL WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        }

        pub(crate) async fn mark_failed(
            pool: &Pool<$db>,
            id: Uuid,
            error: &str,
            next_attempt_at: Millis,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, \
                 next_attempt_at = $3, claimed_until = NULL WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(error)
            .bind(next_attempt_at)
            .execute(pool)
            .await?;
            Ok(())
        }

        /// Gives up on a delivery: counts the last attempt, keeps its error
        /// and takes the row out of the claim until an administrator's retry.
        pub(crate) async fn mark_outbox_dead(
            conn: &mut DbConnection,
            id: Uuid,
            error: &str,
            now: Millis,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, dead_at = $3, \
                 claimed_until = NULL WHERE id = $1",
            )
            .bind(id.to_string())
            .bind(error)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Puts an instance's dead deliveries back in the queue, due at
        /// `now` with a fresh count of attempts. Returns how many.
        pub(crate) async fn requeue_dead_outbox(
            conn: &mut DbConnection,
            instance_id: Uuid,
            now: Millis,
        ) -> Result<u64, StoreError> {
            let done = sqlx::query(
                "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = $2, \
                 claimed_until = NULL WHERE instance_id = $1 AND dead_at IS NOT NULL",
            )
            .bind(instance_id.to_string())
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected())
        }

        /// Resolves every open incident of an instance. Returns how many.
        pub(crate) async fn resolve_incidents_of(
            conn: &mut DbConnection,
            instance_id: Uuid,
            now: Millis,
        ) -> Result<u64, StoreError> {
            let done = sqlx::query(
                "UPDATE incidents SET resolved_at = $2 \
                 WHERE instance_id = $1 AND resolved_at IS NULL",
            )
            .bind(instance_id.to_string())
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected())
        }

        #[derive(sqlx::FromRow)]
        struct OutboxRow {
            id: String,
            instance_id: String,
            webhook: String,
            payload: SqlJson<Json>,
            created_at: i64,
            attempts: i64,
            next_attempt_at: i64,
            delivered_at: Option<i64>,
            dead_at: Option<i64>,
            last_error: Option<String>,
        }

        /// Every delivery of one instance, oldest first.
        pub(crate) async fn outbox_of(
            pool: &Pool<$db>,
            instance_id: Uuid,
        ) -> Result<Vec<OutboxEntry>, StoreError> {
            let rows: Vec<OutboxRow> = sqlx::query_as(
                "SELECT id, instance_id, webhook, payload, created_at, attempts, next_attempt_at, \
                 delivered_at, dead_at, last_error FROM outbox WHERE instance_id = $1 ORDER BY id",
            )
            .bind(instance_id.to_string())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|row| {
                    Ok(OutboxEntry {
                        id: parse_id(&row.id)?,
                        instance_id: parse_id(&row.instance_id)?,
                        webhook: row.webhook,
                        payload: row.payload.0,
                        created_at: row.created_at,
                        attempts: row.attempts,
                        next_attempt_at: row.next_attempt_at,
                        delivered_at: row.delivered_at,
                        dead_at: row.dead_at,
                        last_error: row.last_error,
                    })
                })
                .collect()
        }

        // ---- incidents and the stuck check ----------------------------------

        #[derive(sqlx::FromRow)]
        struct IncidentRow {
            id: String,
            instance_id: String,
            kind: String,
            message: String,
            created_at: i64,
            resolved_at: Option<i64>,
        }

        pub(crate) async fn incidents(
            pool: &Pool<$db>,
            instance_id: Option<Uuid>,
            open_only: bool,
        ) -> Result<Vec<Incident>, StoreError> {
            let mut query = QueryBuilder::<$db>::new(
                "SELECT id, instance_id, kind, message, created_at, resolved_at FROM incidents \
                 WHERE 1 = 1",
            );
            if let Some(instance_id) = instance_id {
                query.push(" AND instance_id = ").push_bind(instance_id.to_string());
            }
            if open_only {
                query.push(" AND resolved_at IS NULL");
            }
            query.push(" ORDER BY id");
            let rows: Vec<IncidentRow> = query.build_query_as().fetch_all(pool).await?;
            rows.into_iter()
                .map(|row| {
                    Ok(Incident {
                        id: parse_id(&row.id)?,
                        instance_id: parse_id(&row.instance_id)?,
                        kind: row.kind,
                        message: row.message,
                        created_at: row.created_at,
                        resolved_at: row.resolved_at,
                    })
                })
                .collect()
        }

        /// Marks an open incident resolved; `false` when there is no such open one.
        pub(crate) async fn resolve_incident(
            pool: &Pool<$db>,
            id: Uuid,
            now: Millis,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE incidents SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL",
            )
            .bind(id.to_string())
            .bind(now)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        #[derive(sqlx::FromRow)]
        struct FactsRow {
            id: String,
            workflow: String,
            key: String,
            definition_hash: String,
            state: String,
            entered_at: i64,
            slas: SqlJson<Vec<SlaCycle>>,
            open_incidents: i64,
            earliest_timer_due: Option<i64>,
        }

        /// One row per live instance with what the stuck check needs.
        pub(crate) async fn live_facts(
            pool: &Pool<$db>,
        ) -> Result<Vec<LiveInstanceFacts>, StoreError> {
            let rows: Vec<FactsRow> = sqlx::query_as(
                "SELECT i.id, i.workflow, i.key, i.definition_hash, i.state, i.entered_at, i.slas, \
                 (SELECT COUNT(*) FROM incidents n WHERE n.instance_id = i.id \
                  AND n.resolved_at IS NULL) AS open_incidents, \
                 (SELECT MIN(t.due_at) FROM timers t WHERE t.instance_id = i.id) \
                  AS earliest_timer_due \
                 FROM instances i WHERE i.status = 'active' ORDER BY i.id",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|row| {
                    Ok(LiveInstanceFacts {
                        id: parse_id(&row.id)?,
                        workflow: row.workflow,
                        key: row.key,
                        definition_hash: row.definition_hash,
                        state: row.state,
                        entered_at: row.entered_at,
                        slas: row.slas.0,
                        open_incidents: row.open_incidents,
                        earliest_timer_due: row.earliest_timer_due,
                    })
                })
                .collect()
        }
    };
}

pub(super) use queries;
