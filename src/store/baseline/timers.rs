//! The timer benchmark's raw work, shaped like the runner's: due timers
//! claimed with one `UPDATE … RETURNING` (with `FOR UPDATE SKIP LOCKED`
//! on PostgreSQL), then each fired as the row changed ([`change_row`]) and
//! the timer deleted, [`PER_TRANSACTION`] per transaction, in [`LANES`]
//! at once on PostgreSQL.
//!
//! The caller gives the time (`now`), read at the claim and at each
//! firing, so that the lags it measures are its clock's.

use super::{Baseline, BaselineError, INSERT_ROW};
use crate::engine::Millis;

/// Timers fired per transaction, as the runner does.
const PER_TRANSACTION: usize = 50;

/// Transactions at once on PostgreSQL, as the runner's lanes
/// (`Store::firing_lanes`).
const LANES: usize = 4;

/// Rows (each with its timer) inserted per transaction.
const INSERTED_PER_TRANSACTION: usize = 500;

/// One timer fired: its row changed, the timer deleted.
macro_rules! fire_on {
    ($tx:expr, $lock:literal, $row:expr, $at:expr) => {{
        let tx = &mut $tx;
        change_row!(*tx, $lock, $row, Some($at));
        sqlx::query("DELETE FROM raw_timers WHERE row_id = $1")
            .bind($row)
            .execute(&mut **tx)
            .await?;
    }};
}

impl Baseline {
    /// Inserts `count` rows named `{run}-{n}` whose timers fall due from
    /// `first_due`, `per_second` a second.
    pub async fn insert_timers(
        &self,
        run: &str,
        count: usize,
        first_due: Millis,
        per_second: usize,
    ) -> Result<(), BaselineError> {
        for start in (0..count).step_by(INSERTED_PER_TRANSACTION) {
            let end = (start + INSERTED_PER_TRANSACTION).min(count);
            on_pool!(self, |pool| {
                let mut tx = pool.begin().await?;
                for n in start..end {
                    let id = format!("{run}-{n}");
                    let due = first_due + (n * 1_000 / per_second.max(1)) as Millis;
                    sqlx::query(INSERT_ROW).bind(&id).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO raw_timers (row_id, due_at) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(due)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            });
        }
        Ok(())
    }

    /// Claims up to `batch` timers due at `now()` and fires them; returns
    /// each one's due time and firing time.
    pub async fn fire_due_timers(
        &self,
        batch: u32,
        now: &(impl Fn() -> Millis + Sync),
    ) -> Result<Vec<(Millis, Millis)>, BaselineError> {
        let claimed_at = now();
        let (lock, lanes) = match self {
            Baseline::Sqlite(_) => ("", 1),
            Baseline::Postgres(_) => (" FOR UPDATE SKIP LOCKED", LANES),
        };
        let claim = format!(
            "UPDATE raw_timers SET claimed_by = 'raw', claimed_until = $1 \
             WHERE row_id IN (SELECT row_id FROM raw_timers WHERE due_at <= $2 \
             AND (claimed_until IS NULL OR claimed_until < $2) \
             ORDER BY due_at LIMIT $3{lock}) RETURNING row_id, due_at"
        );
        let claimed: Vec<(String, Millis)> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(claim))
                .bind(claimed_at + 60_000)
                .bind(claimed_at)
                .bind(i64::from(batch))
                .fetch_all(pool)
                .await?
        });
        // Each row in one lane, as the runner splits by instance.
        let mut split: Vec<Vec<(String, Millis)>> = vec![Vec::new(); lanes];
        for (n, timer) in claimed.into_iter().enumerate() {
            split[n % lanes].push(timer);
        }
        let runs = split.iter().map(|lane| self.fire_lane(lane, now));
        let mut fired = Vec::new();
        for lane in futures_util::future::join_all(runs).await {
            fired.extend(lane?);
        }
        Ok(fired)
    }

    /// Fires one lane's timers, [`PER_TRANSACTION`] per transaction.
    async fn fire_lane(
        &self,
        timers: &[(String, Millis)],
        now: &(impl Fn() -> Millis + Sync),
    ) -> Result<Vec<(Millis, Millis)>, BaselineError> {
        let mut fired = Vec::with_capacity(timers.len());
        for chunk in timers.chunks(PER_TRANSACTION) {
            match self {
                Baseline::Sqlite(pool) => {
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    for (row, due) in chunk {
                        let at = now();
                        fire_on!(tx, "", row, at);
                        fired.push((*due, at));
                    }
                    tx.commit().await?;
                }
                Baseline::Postgres(pool) => {
                    let mut tx = pool.begin().await?;
                    for (row, due) in chunk {
                        let at = now();
                        fire_on!(tx, " FOR UPDATE", row, at);
                        fired.push((*due, at));
                    }
                    tx.commit().await?;
                }
            }
        }
        Ok(fired)
    }
}
