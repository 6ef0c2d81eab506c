//! Webhook deliveries (the `outbox` table), written in the transaction of
//! the change that decided them, then claimed with a lease, sent, and
//! marked delivered, failed (due again later) or dead (attempts used up).

use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use uuid::Uuid;

use super::db::{Arg, Sql};
use super::{Store, StoreError, WriteTx};
use crate::engine::Millis;

pub(super) const TABLE: &str = "outbox";

/// A delivery to queue: `payload` is POSTed to the webhook named `webhook`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<'a> {
    /// The delivery's id, also its `Idempotency-Key` at the receiver.
    pub id: Uuid,
    pub instance_id: Uuid,
    pub webhook: &'a str,
    pub payload: &'a Json,
    /// When it was decided; it is due at once.
    pub created_at: Millis,
}

/// A webhook delivery waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub webhook: String,
    pub payload: Json,
    /// Deliveries tried so far (before this one).
    pub attempts: i64,
}

/// A webhook delivery as stored, for inspection: pending while neither
/// `delivered_at` nor `dead_at` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub webhook: String,
    pub payload: Json,
    pub created_at: Millis,
    /// Deliveries tried so far.
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub delivered_at: Option<Millis>,
    /// Set when the attempts ran out; cleared by an administrator's retry.
    pub dead_at: Option<Millis>,
    pub last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    instance_id: String,
    webhook: String,
    payload: SqlJson<Json>,
    attempts: i64,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
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

impl Store {
    /// Leases up to `limit` deliveries due at `now` until `lease_until`.
    pub async fn claim_outbox(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut db = self.db();
        let text = format!(
            "UPDATE outbox SET claimed_until = $1 WHERE id IN (SELECT id FROM outbox \
             WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $2 \
             AND (claimed_until IS NULL OR claimed_until < $2) \
             ORDER BY next_attempt_at LIMIT $3{}) \
             RETURNING id, instance_id, webhook, payload, attempts",
            db.backend().skip_locked()
        );
        let sql = Sql::new(text).bind(lease_until).bind(now).bind(limit);
        let rows: Vec<MessageRow> = db.fetch_all(sql).await?;
        rows.into_iter()
            .map(|row| {
                Ok(OutboxMessage {
                    id: super::parse_id(&row.id)?,
                    instance_id: super::parse_id(&row.instance_id)?,
                    webhook: row.webhook,
                    payload: row.payload.0,
                    attempts: row.attempts,
                })
            })
            .collect()
    }

    pub async fn mark_delivered(&self, id: Uuid, now: Millis) -> Result<(), StoreError> {
        let sql = Sql::new(
            "UPDATE outbox SET delivered_at = $2, attempts = attempts + 1, \
             claimed_until = NULL, last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// Records a failed delivery and when to try again.
    pub async fn mark_failed(
        &self,
        id: Uuid,
        error: &str,
        next_attempt_at: Millis,
    ) -> Result<(), StoreError> {
        let sql = Sql::new(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, \
             next_attempt_at = $3, claimed_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(next_attempt_at);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// Every webhook delivery of an instance, oldest first.
    pub async fn outbox_of(&self, instance_id: Uuid) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = Sql::new(
            "SELECT id, instance_id, webhook, payload, created_at, attempts, next_attempt_at, \
             delivered_at, dead_at, last_error FROM outbox WHERE instance_id = $1 ORDER BY id",
        )
        .bind(instance_id);
        let rows: Vec<EntryRow> = self.db().fetch_all(sql).await?;
        rows.into_iter()
            .map(|row| {
                Ok(OutboxEntry {
                    id: super::parse_id(&row.id)?,
                    instance_id: super::parse_id(&row.instance_id)?,
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

    /// Webhook deliveries not yet made, for the `outbox_backlog` gauge.
    pub async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        let sql = Sql::new("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL");
        let (backlog,): (i64,) = self.db().fetch_one(sql).await?;
        Ok(backlog)
    }
}

impl WriteTx {
    /// Queues a delivery, due at once.
    pub async fn enqueue_delivery(&mut self, delivery: &Delivery<'_>) -> Result<(), StoreError> {
        let sql = Sql::new(
            "INSERT INTO outbox (id, instance_id, webhook, payload, created_at, \
             next_attempt_at, attempts) VALUES ($1, $2, $3, $4, $5, $5, 0)",
        )
        .bind(delivery.id)
        .bind(delivery.instance_id)
        .bind(delivery.webhook)
        .bind(Arg::json(delivery.payload)?)
        .bind(delivery.created_at);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// Gives up on a delivery after its last attempt: counts it, keeps its
    /// error and takes the row out of the claim until an administrator's
    /// retry ([`Self::requeue_dead_outbox`]).
    pub async fn mark_outbox_dead(
        &mut self,
        id: Uuid,
        error: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = Sql::new(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, dead_at = $3, \
             claimed_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(now);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// Re-queues an instance's dead deliveries, due at `now` with a fresh
    /// count of attempts; returns how many.
    pub async fn requeue_dead_outbox(
        &mut self,
        instance_id: Uuid,
        now: Millis,
    ) -> Result<u64, StoreError> {
        let sql = Sql::new(
            "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = $2, \
             claimed_until = NULL WHERE instance_id = $1 AND dead_at IS NOT NULL",
        )
        .bind(instance_id)
        .bind(now);
        self.db().execute(sql).await
    }
}
