//! Pending timers (the `timers` table): the queryable copy of every
//! instance's timers, claimed with a lease so that a timer fires once even
//! with several runners, and taken over when a runner dies.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::db::{Arg, Backend, Db, Sql};
use super::{Store, StoreError, WriteTx};
use crate::engine::{Fires, Millis, PendingTimer};

pub(super) const TABLE: &str = "timers";

/// A timer this runner has leased and should fire now. `due_at` identifies
/// the exact timer: a timer re-set since the claim has another `due_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTimer {
    pub instance_id: Uuid,
    pub name: String,
    pub due_at: Millis,
}

/// What a timer does when it fires, as stored (`timers.fires`, and inside
/// `instances.timers`): `{"kind": "event" | "sla_deadline", "name": …}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
enum StoredFires {
    Event(String),
    SlaDeadline(String),
}

impl From<&Fires> for StoredFires {
    fn from(fires: &Fires) -> Self {
        match fires {
            Fires::Event(event) => StoredFires::Event(event.to_string()),
            Fires::SlaDeadline(clock) => StoredFires::SlaDeadline(clock.to_string()),
        }
    }
}

impl From<StoredFires> for Fires {
    fn from(fires: StoredFires) -> Self {
        match fires {
            StoredFires::Event(event) => Fires::Event(event.into()),
            StoredFires::SlaDeadline(clock) => Fires::SlaDeadline(clock.into()),
        }
    }
}

/// A pending timer inside the instance row (`instances.timers`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredTimer {
    name: String,
    due_at: Millis,
    fires: StoredFires,
}

impl From<&PendingTimer> for StoredTimer {
    fn from(timer: &PendingTimer) -> Self {
        Self {
            name: timer.name.to_string(),
            due_at: timer.due_at,
            fires: (&timer.fires).into(),
        }
    }
}

impl From<StoredTimer> for PendingTimer {
    fn from(timer: StoredTimer) -> Self {
        Self {
            name: timer.name.into(),
            due_at: timer.due_at,
            fires: timer.fires.into(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    instance_id: String,
    name: String,
    due_at: i64,
}

impl Store {
    /// Leases up to `limit` timers due at `now` to `runner` until
    /// `lease_until`, earliest first. A lease that ran out (its runner
    /// died) is taken over; `runner`'s own leases are taken again at once,
    /// so that a timer whose firing failed (a full disk, a lost
    /// connection) fires as soon as writes work, not after its lease. It
    /// still fires once: firing checks the instance still has it.
    pub async fn claim_due_timers(
        &self,
        now: Millis,
        runner: &str,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<ClaimedTimer>, StoreError> {
        let mut db = self.db();
        let text = format!(
            "UPDATE timers SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE (instance_id, name) IN (SELECT instance_id, name FROM timers \
             WHERE due_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3 \
             OR claimed_by = $1) \
             ORDER BY due_at LIMIT $4{}) RETURNING instance_id, name, due_at",
            db.backend().skip_locked()
        );
        let sql = Sql::new(text)
            .bind(runner)
            .bind(lease_until)
            .bind(now)
            .bind(limit);
        let rows: Vec<ClaimRow> = db.fetch_all(sql).await?;
        let mut claimed = rows
            .into_iter()
            .map(|row| {
                Ok(ClaimedTimer {
                    instance_id: super::parse_id(&row.instance_id)?,
                    name: row.name,
                    due_at: row.due_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|timer| (timer.due_at, timer.instance_id));
        Ok(claimed)
    }

    /// How many transactions firing timers should run at once: SQLite has
    /// one writer, so one, which also keeps firings in due order;
    /// PostgreSQL locks rows, so several, each on its own instances.
    pub fn firing_lanes(&self) -> usize {
        match self.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        }
    }

    /// The earliest due time among timers nobody holds a lease on at `now`.
    pub async fn next_due_at(&self, now: Millis) -> Result<Option<Millis>, StoreError> {
        let sql = Sql::new(
            "SELECT MIN(due_at) FROM timers WHERE claimed_until IS NULL OR claimed_until < $1",
        )
        .bind(now);
        let (due,): (Option<i64>,) = self.db().fetch_one(sql).await?;
        Ok(due)
    }
}

impl WriteTx {
    /// Deletes a timer that can no longer fire, if it is still the one due
    /// at `due_at` (a re-set timer is left alone).
    pub async fn forget_timer(
        &mut self,
        instance_id: Uuid,
        name: &str,
        due_at: Millis,
    ) -> Result<(), StoreError> {
        let sql =
            Sql::new("DELETE FROM timers WHERE instance_id = $1 AND name = $2 AND due_at = $3")
                .bind(instance_id)
                .bind(name)
                .bind(due_at);
        self.db().execute(sql).await?;
        Ok(())
    }
}

/// Inserts or replaces a timer; a replaced timer loses any lease, so a
/// runner holding the old one sees a different `due_at` and skips it.
pub(super) async fn upsert(
    db: &mut Db<'_>,
    instance_id: Uuid,
    timer: &PendingTimer,
) -> Result<(), StoreError> {
    let sql = Sql::new(
        "INSERT INTO timers (instance_id, name, due_at, fires, claimed_by, claimed_until, \
         attempts) VALUES ($1, $2, $3, $4, NULL, NULL, 0) \
         ON CONFLICT (instance_id, name) DO UPDATE SET due_at = excluded.due_at, \
         fires = excluded.fires, claimed_by = NULL, claimed_until = NULL, attempts = 0",
    )
    .bind(instance_id)
    .bind(timer.name.as_str())
    .bind(timer.due_at)
    .bind(Arg::json(&StoredFires::from(&timer.fires))?);
    db.execute(sql).await?;
    Ok(())
}

pub(super) async fn delete(
    db: &mut Db<'_>,
    instance_id: Uuid,
    name: &str,
) -> Result<(), StoreError> {
    let sql = Sql::new("DELETE FROM timers WHERE instance_id = $1 AND name = $2")
        .bind(instance_id)
        .bind(name);
    db.execute(sql).await?;
    Ok(())
}

/// Deletes every timer of an instance (it ended: nothing is left to fire).
pub(super) async fn delete_all(db: &mut Db<'_>, instance_id: Uuid) -> Result<(), StoreError> {
    let sql = Sql::new("DELETE FROM timers WHERE instance_id = $1").bind(instance_id);
    db.execute(sql).await?;
    Ok(())
}
