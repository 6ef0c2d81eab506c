//! Support for tests and benchmarks: fresh PostgreSQL schemas to run in
//! parallel, and writing history wholesale. Here so that no test or
//! benchmark writes SQL against the schema itself.

use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use uuid::Uuid;

use super::db::{Backend, Pool, Sql};
use super::{Store, StoreError, StoreOptions, history, postgres};
use crate::engine::HistoryEntry;

/// The variable naming the PostgreSQL database tests run against.
pub const DATABASE_URL_VARIABLE: &str = "FLOWKEEPER_TEST_DATABASE_URL";

/// The PostgreSQL URL tests run against; `None`, with the reason printed,
/// when [`DATABASE_URL_VARIABLE`] is not set.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var(DATABASE_URL_VARIABLE).ok();
    if url.is_none() {
        eprintln!("skipping PostgreSQL: {DATABASE_URL_VARIABLE} not set");
    }
    url
}

/// A store in a new, migrated schema of the database at `url`, named
/// `<prefix>_<random>`; returns the store and the schema's name.
pub async fn fresh_schema(
    url: &str,
    prefix: &str,
    max_connections: u32,
) -> Result<(Store, String), StoreError> {
    let schema = format!("{prefix}_{:016x}", rand::random::<u64>());
    let options = StoreOptions {
        schema: Some(schema.clone()),
        max_connections,
        ..StoreOptions::new(url)
    };
    Ok((Store::connect_with(&options).await?, schema))
}

/// The URL under which a separate process (a server, the driver) opens
/// `schema` with a plain [`Store::connect`]: the connection's
/// `search_path` option selects it.
pub fn url_with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// Drops a schema made by [`fresh_schema`] and everything in it, then
/// closes the store. Nothing to do on SQLite, whose files go with their
/// folders.
pub async fn drop_schema(store: &Store, schema: &str) -> Result<(), StoreError> {
    if !postgres::is_plain_identifier(schema) {
        return Err(StoreError::InvalidSchema(schema.to_owned()));
    }
    if store.backend() == super::Backend::Postgres {
        let sql = Sql::new(format!("DROP SCHEMA {schema} CASCADE"));
        store.db().execute(sql).await?;
    }
    store.close().await;
    Ok(())
}

/// Writes whole histories at once, as if recorded (instance, workflow,
/// lines numbered from 1), in one transaction: a fixture for reads that
/// are measured or checked without running the engine to make it.
pub async fn insert_histories<'a>(
    store: &Store,
    histories: impl IntoIterator<Item = (Uuid, &'a str, &'a [HistoryEntry])>,
) -> Result<(), StoreError> {
    /// Lines per statement: 10 values each, well under SQLite's 32 766.
    const LINES_PER_INSERT: usize = 1_000;
    let mut tx = store.begin().await?;
    for (instance_id, workflow, entries) in histories {
        for (chunk, lines) in entries.chunks(LINES_PER_INSERT).enumerate() {
            let first_seq = (chunk * LINES_PER_INSERT) as i64 + 1;
            history::insert(&mut tx.db(), instance_id, workflow, first_seq, lines).await?;
        }
    }
    tx.commit().await
}

/// Empties the assessment's facts and fills them again from the history
/// with the statements migration 0013 runs on an existing installation: for
/// a test that the backfill yields what the live writer records.
pub async fn refill_assessment_facts(store: &Store) -> Result<(), StoreError> {
    let migration = match store.backend() {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0013_assessment_facts_chunks.sql"),
        Backend::Postgres => {
            include_str!("../../migrations/postgres/0013_assessment_facts_chunks.sql")
        }
    };
    let fills: Vec<&str> = migration
        .split(';')
        .filter(|statement| statement.contains("INSERT INTO assessment_facts"))
        .collect();
    if fills.is_empty() {
        return Err(StoreError::Corrupt(
            "migration 0013 has no backfill".to_owned(),
        ));
    }
    let mut tx = store.begin().await?;
    tx.db()
        .execute(Sql::new("DELETE FROM assessment_facts"))
        .await?;
    for fill in fills {
        tx.db().execute(Sql::new(fill.to_owned())).await?;
    }
    tx.commit().await
}

/// Changes the actor of audit entry `seq` the way someone with direct
/// access to the database could: the append-only guard is switched off
/// around the update (SQLite: dropped). For tests that a tampered log is
/// detected.
pub async fn tamper_audit_actor(store: &Store, seq: i64, actor: &str) -> Result<(), StoreError> {
    let mut db = store.db();
    let update = || {
        Sql::new("UPDATE audit SET actor = $1 WHERE seq = $2")
            .bind(actor)
            .bind(seq)
    };
    match db.backend() {
        super::Backend::Sqlite => {
            db.execute(Sql::new("DROP TRIGGER audit_no_update")).await?;
            db.execute(update()).await?;
        }
        super::Backend::Postgres => {
            let mut tx = store.begin().await?;
            let mut db = tx.db();
            db.execute(Sql::new(
                "ALTER TABLE audit DISABLE TRIGGER audit_no_update",
            ))
            .await?;
            db.execute(update()).await?;
            db.execute(Sql::new("ALTER TABLE audit ENABLE TRIGGER audit_no_update"))
                .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Tries to change or delete audit entry `seq` with plain SQL, as a bug or
/// a careless hand would; the schema's guard must refuse both.
pub async fn try_rewrite_audit(store: &Store, seq: i64) -> [Result<u64, StoreError>; 2] {
    let update = Sql::new("UPDATE audit SET actor = 'someone' WHERE seq = $1").bind(seq);
    let delete = Sql::new("DELETE FROM audit WHERE seq = $1").bind(seq);
    [
        store.db().execute(update).await,
        store.db().execute(delete).await,
    ]
}

/// SQLite: every connection the pool may open, held at once, so that a
/// setting made on each reaches all of them (`None` on PostgreSQL).
async fn every_sqlite_connection(
    store: &Store,
) -> Result<Option<Vec<PoolConnection<Sqlite>>>, StoreError> {
    let Pool::Sqlite(pool) = &store.pool else {
        return Ok(None);
    };
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await?);
    }
    Ok(Some(held))
}

/// SQLite: lets the database file grow by at most `pages` more pages on
/// every connection of the pool (`None`: lifts the limit), so writes fail
/// with `SQLITE_FULL` as on a full disk. Takes every connection the pool
/// may open at once, so none is left without the limit; call it while
/// nothing else uses the store. Nothing to do on PostgreSQL.
pub async fn limit_sqlite_growth(store: &Store, pages: Option<u32>) -> Result<(), StoreError> {
    /// SQLite's own ceiling, which `max_page_count` starts at.
    const NO_LIMIT: i64 = 4_294_967_294;
    let Some(mut held) = every_sqlite_connection(store).await? else {
        return Ok(());
    };
    for connection in &mut held {
        let (current,): (i64,) = sqlx::query_as("PRAGMA page_count")
            .fetch_one(&mut **connection)
            .await?;
        let limit = pages.map_or(NO_LIMIT, |pages| current + i64::from(pages));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "PRAGMA max_page_count = {limit}"
        )))
        .execute(&mut **connection)
        .await?;
    }
    Ok(())
}

/// SQLite: makes every connection of the pool refuse writes
/// (`PRAGMA query_only`, `SQLITE_READONLY`), as a file system remounted
/// read-only would, or accept them again. Takes every connection the pool
/// may open at once; call it while nothing else uses the store. Nothing to
/// do on PostgreSQL.
pub async fn refuse_sqlite_writes(store: &Store, refuse: bool) -> Result<(), StoreError> {
    let Some(mut held) = every_sqlite_connection(store).await? else {
        return Ok(());
    };
    let pragma = if refuse {
        "PRAGMA query_only = ON"
    } else {
        "PRAGMA query_only = OFF"
    };
    for connection in &mut held {
        sqlx::raw_sql(pragma).execute(&mut **connection).await?;
    }
    Ok(())
}

/// PostgreSQL: makes every later `COMMIT` on this store's schema fail with
/// `disk_full` (`armed`), or succeed again, through a deferred constraint
/// trigger on `history`: the statements all work, the commit does not.
/// Nothing to do on SQLite.
pub async fn fail_commits(store: &Store, armed: bool) -> Result<(), StoreError> {
    if store.backend() != super::Backend::Postgres {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let mut db = tx.db();
    for statement in [
        "CREATE TABLE IF NOT EXISTS fault_switch (armed BOOLEAN NOT NULL)",
        "CREATE OR REPLACE FUNCTION fault_fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF EXISTS (SELECT 1 FROM fault_switch WHERE armed) THEN \
         RAISE EXCEPTION 'injected commit failure' USING ERRCODE = 'disk_full'; END IF; \
         RETURN NULL; END $$",
        "DROP TRIGGER IF EXISTS fault_commit ON history",
        "CREATE CONSTRAINT TRIGGER fault_commit AFTER INSERT ON history \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fault_fail_commit()",
        "DELETE FROM fault_switch",
    ] {
        db.execute(Sql::new(statement)).await?;
    }
    let insert = format!("INSERT INTO fault_switch (armed) VALUES ({armed})");
    db.execute(Sql::new(insert)).await?;
    tx.commit().await
}

/// PostgreSQL: terminates every server connection of this store's pool
/// (`pg_terminate_backend`), as a database restart or an operator would.
/// Nothing to do on SQLite.
pub async fn terminate_connections(store: &Store) -> Result<(), StoreError> {
    if store.backend() != super::Backend::Postgres {
        return Ok(());
    }
    let sql = Sql::new(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = current_setting('application_name') \
         AND pid <> pg_backend_pid()",
    );
    let _: Vec<(bool,)> = store.db().fetch_all(sql).await?;
    Ok(())
}

/// PostgreSQL: how many server connections of this store's pool sit inside
/// a transaction (`idle in transaction`, possibly aborted): a pooled
/// connection must never. Always 0 on SQLite.
pub async fn connections_in_transaction(store: &Store) -> Result<i64, StoreError> {
    if store.backend() != super::Backend::Postgres {
        return Ok(0);
    }
    let sql = Sql::new(
        "SELECT COUNT(*) FROM pg_stat_activity \
         WHERE application_name = current_setting('application_name') \
         AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'",
    );
    let (count,): (i64,) = store.db().fetch_one(sql).await?;
    Ok(count)
}

/// Writes `instances` as they are, with the pending timers and open SLA
/// cycles of the live ones in their tables as the engine's writes keep
/// them (no history), in transactions of 1 000: a fixture of many
/// instances for measuring listings, pages and the stuck check without
/// running the engine for each one.
pub async fn insert_instances(
    store: &Store,
    instances: impl IntoIterator<Item = crate::engine::Instance>,
) -> Result<(), StoreError> {
    let mut instances = instances.into_iter().peekable();
    while instances.peek().is_some() {
        let mut tx = store.begin().await?;
        for instance in instances.by_ref().take(1_000) {
            let mut db = tx.db();
            super::instances::write(&mut db, &instance, None).await?;
            if instance.status == crate::engine::Status::Active {
                for timer in &instance.timers {
                    super::timers::upsert(&mut db, instance.id, timer).await?;
                }
                for cycle in &instance.slas {
                    super::sla_cycles::upsert(&mut db, instance.id, cycle).await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Moves the schema's migration record `by` migrations back (a database
/// an older flowkeeper left, as far as the bookkeeping says) or forward
/// (`by` negative: one a newer flowkeeper migrated). The tables stay as
/// they are.
pub async fn shift_migration_record(store: &Store, by: i64) -> Result<(), StoreError> {
    let mut db = store.db();
    if by > 0 {
        let sql = Sql::new(
            "DELETE FROM _sqlx_migrations WHERE version IN \
             (SELECT version FROM _sqlx_migrations ORDER BY version DESC LIMIT $1)",
        )
        .bind(by);
        db.execute(sql).await?;
    } else {
        for _ in 0..-by {
            let sql = Sql::new(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 SELECT version + 1, 'from a newer flowkeeper', TRUE, checksum, 0 \
                 FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
            );
            db.execute(sql).await?;
        }
    }
    Ok(())
}

/// PostgreSQL: `VACUUM ANALYZE` of every table of the store, what autovacuum does
/// on its own within a minute or so of a bulk load: the planner learns
/// the tables' sizes and the visibility map lets it read an index alone.
/// Benchmarks call it after writing their fixture so that they measure
/// the steady state, not the first minute. Nothing on SQLite, which
/// flowkeeper never analyzes.
pub async fn settle(store: &Store) -> Result<(), StoreError> {
    if store.backend() == super::Backend::Postgres {
        for table in super::TABLES {
            let sql = Sql::new(format!("VACUUM ANALYZE {table}"));
            store.db().execute(sql).await?;
        }
    }
    Ok(())
}

/// Makes the database itself refuse every history line of `instance_id`
/// (a trigger raising an error), as a constraint or a fault would: a
/// firing of that instance fails halfway, after its instance row was
/// written. For tests that a failure inside a batch undoes only its own
/// writes.
pub async fn refuse_history_of(store: &Store, instance_id: Uuid) -> Result<(), StoreError> {
    let id = instance_id.hyphenated();
    let statements = match store.backend() {
        super::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_history BEFORE INSERT ON history \
             WHEN NEW.instance_id = '{id}' \
             BEGIN SELECT RAISE(ABORT, 'injected history failure'); END"
        )],
        super::Backend::Postgres => vec![
            format!(
                "CREATE OR REPLACE FUNCTION refuse_history() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN IF NEW.instance_id = '{id}' THEN \
                 RAISE EXCEPTION 'injected history failure'; END IF; RETURN NEW; END $$"
            ),
            "CREATE TRIGGER refuse_history BEFORE INSERT ON history \
             FOR EACH ROW EXECUTE FUNCTION refuse_history()"
                .to_owned(),
        ],
    };
    let mut tx = store.begin().await?;
    for statement in statements {
        tx.db().execute(Sql::new(statement)).await?;
    }
    tx.commit().await
}
