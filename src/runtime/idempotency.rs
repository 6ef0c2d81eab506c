//! Idempotent requests: the first answer to a key is stored in the same
//! transaction as the change, so a retry gets that answer back and a
//! different request under the same key is refused.

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::engine::{Actor, Millis};
use crate::store::{Answer, IdempotencyRecord, WriteTx};

use super::RuntimeError;

/// An idempotency key with the scope it is unique in and the request's hash.
///
/// Every scope belongs to one sender (the actor's name): keys are the
/// client's own, so one service cannot pre-empt another's by using its
/// keys first.
pub(crate) struct Idempotency {
    owner: String,
    scope: String,
    key: String,
    request_hash: String,
}

impl Idempotency {
    /// The same key and request in the scope of one instance's events, so a
    /// client event id is unique per instance whether the event was posted
    /// by id or by business key. `None` when that is already the scope.
    pub(crate) fn for_instance(&self, instance: uuid::Uuid) -> Option<Self> {
        let scope = owned(&self.owner, &event_scope(&instance.to_string()));
        (scope != self.scope).then(|| Self {
            owner: self.owner.clone(),
            scope,
            key: self.key.clone(),
            request_hash: self.request_hash.clone(),
        })
    }

    /// `key` in `scope` of `owner`'s requests.
    pub(crate) fn new(owner: &Actor, scope: String, key: &str, request: &Json) -> Self {
        let request_hash = hex::encode(Sha256::digest(canonical(request).as_bytes()));
        let owner = owner.to_string();
        Self {
            scope: owned(&owner, &scope),
            owner,
            key: key.to_owned(),
            request_hash,
        }
    }
}

/// A scope within one sender's requests.
fn owned(owner: &str, scope: &str) -> String {
    format!("{owner}|{scope}")
}

/// The scope of event ids posted to `target` (an instance id or `workflow/key`).
pub(crate) fn event_scope(target: &str) -> String {
    format!("event:{target}")
}

impl Idempotency {
    /// The stored answer for a repeated request; `None` for a new key.
    pub(crate) async fn replay(&self, tx: &mut WriteTx) -> Result<Option<Answer>, RuntimeError> {
        let Some(record) = tx.idempotency(&self.scope, &self.key).await? else {
            return Ok(None);
        };
        if record.request_hash != self.request_hash {
            return Err(RuntimeError::IdempotencyMismatch(self.key.clone()));
        }
        Ok(Some(record.answer))
    }

    /// Stores `answer` under the key, in the transaction that produced it.
    pub(crate) async fn remember(
        &self,
        tx: &mut WriteTx,
        answer: &Answer,
        now: Millis,
    ) -> Result<(), RuntimeError> {
        let record = IdempotencyRecord {
            request_hash: self.request_hash.clone(),
            answer: answer.clone(),
        };
        tx.remember(&self.scope, &self.key, &record, now).await?;
        Ok(())
    }
}

/// JSON text with object keys sorted, so that the same request written with
/// its fields in another order hashes the same.
fn canonical(value: &Json) -> String {
    match value {
        Json::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let fields: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| format!("{}:{}", Json::from(key.as_str()), canonical(value)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn field_order_does_not_change_the_request_hash() {
        let owner = Actor::Engine;
        let a = Idempotency::new(
            &owner,
            "s".into(),
            "k",
            &json!({ "a": 1, "b": { "x": [1, 2], "y": null } }),
        );
        let b = Idempotency::new(
            &owner,
            "s".into(),
            "k",
            &json!({ "b": { "y": null, "x": [1, 2] }, "a": 1 }),
        );
        let c = Idempotency::new(
            &owner,
            "s".into(),
            "k",
            &json!({ "a": 2, "b": { "x": [1, 2], "y": null } }),
        );
        assert_eq!(a.request_hash, b.request_hash);
        assert_ne!(a.request_hash, c.request_hash);
    }
}
