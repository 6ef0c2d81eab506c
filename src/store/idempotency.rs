//! Idempotency records (the `idempotency` table): the hash of the first
//! request made with a key and the answer it got, kept in the transaction
//! of its change so that a retry gets the same answer and applies nothing.

use serde::{Deserialize, Serialize};
use sqlx::types::Json as SqlJson;

use super::db::{Arg, Sql};
use super::instances::InstanceSnapshot;
use super::{StoreError, WriteTx};
use crate::engine::{Instance, Millis, TransitionRecord};

pub(super) const TABLE: &str = "idempotency";

/// What a request answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A create: the instance as created.
    Created(Instance),
    /// An event: the instance after it and the state change it made.
    Changed {
        instance: Instance,
        transition: Option<TransitionRecord>,
    },
}

/// An idempotency record: the hash of the first request and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub answer: Answer,
}

/// An answer as stored: a create's is the bare instance, an event's
/// `{"instance", "transition"}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum StoredAnswer {
    Changed {
        instance: InstanceSnapshot,
        transition: Option<StoredTransition>,
    },
    Created(InstanceSnapshot),
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredTransition {
    event: String,
    from: String,
    to: String,
    at: Millis,
}

impl From<&Answer> for StoredAnswer {
    fn from(answer: &Answer) -> Self {
        match answer {
            Answer::Created(instance) => StoredAnswer::Created(instance.into()),
            Answer::Changed {
                instance,
                transition,
            } => StoredAnswer::Changed {
                instance: instance.into(),
                transition: transition.as_ref().map(|transition| StoredTransition {
                    event: transition.event.to_string(),
                    from: transition.from.to_string(),
                    to: transition.to.to_string(),
                    at: transition.at,
                }),
            },
        }
    }
}

impl TryFrom<StoredAnswer> for Answer {
    type Error = StoreError;

    fn try_from(stored: StoredAnswer) -> Result<Self, StoreError> {
        Ok(match stored {
            StoredAnswer::Created(instance) => Answer::Created(instance.try_into()?),
            StoredAnswer::Changed {
                instance,
                transition,
            } => Answer::Changed {
                instance: instance.try_into()?,
                transition: transition.map(|transition| TransitionRecord {
                    event: transition.event.into(),
                    from: transition.from.into(),
                    to: transition.to.into(),
                    at: transition.at,
                }),
            },
        })
    }
}

#[derive(sqlx::FromRow)]
struct IdempotencyRow {
    request_hash: String,
    response: SqlJson<StoredAnswer>,
}

impl WriteTx {
    /// The answer remembered for an idempotency key, if any.
    pub async fn idempotency(
        &mut self,
        scope: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let sql = Sql::new(
            "SELECT request_hash, response FROM idempotency WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key);
        let row: Option<IdempotencyRow> = self.db().fetch_optional(sql).await?;
        row.map(|row| {
            Ok(IdempotencyRecord {
                request_hash: row.request_hash,
                answer: row.response.0.try_into()?,
            })
        })
        .transpose()
    }

    /// Remembers the answer to an idempotent request. A concurrent request
    /// with the same key makes one of the two fail with `Duplicate`.
    pub async fn remember(
        &mut self,
        scope: &str,
        key: &str,
        record: &IdempotencyRecord,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = Sql::new(
            "INSERT INTO idempotency (scope, key, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(scope)
        .bind(key)
        .bind(record.request_hash.as_str())
        .bind(Arg::json(&StoredAnswer::from(&record.answer))?)
        .bind(now);
        self.db().execute(sql).await?;
        Ok(())
    }
}
