//! Administrative operations the API needs beyond events: retrying an
//! instance that needs a person, and reading an older workflow version.
//! Kept apart from the event path so `mod.rs` stays about one step = one
//! transaction.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use crate::engine::{HistoryEntry, HistoryKind, Instance, Outcome};
use crate::model::Definition;

use super::{MAX_ATTEMPTS, Runtime, RuntimeError};

impl Runtime {
    /// Retries what is holding an instance up: resolves its open incidents,
    /// records that (an `admin` history line with `actor`) and fires every
    /// timer that is due. Returns the instance afterwards.
    pub async fn retry(&self, id: Uuid, actor: &str) -> Result<Instance, RuntimeError> {
        let incidents = self.store.incidents(Some(id), true).await?;
        let mut resolved = Vec::new();
        for incident in &incidents {
            if self
                .store
                .resolve_incident(incident.id, self.clock.now())
                .await?
            {
                resolved.push(incident.id.to_string());
            }
        }
        self.audit_retry(id, actor, &resolved).await?;
        self.fire_due_timers().await?;
        self.store
            .get_instance(id)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("instance {id}")))
    }

    async fn audit_retry(
        &self,
        id: Uuid,
        actor: &str,
        resolved: &[String],
    ) -> Result<(), RuntimeError> {
        for _ in 0..MAX_ATTEMPTS {
            match self.try_audit_retry(id, actor, resolved).await {
                Err(RuntimeError::Store(error)) if error.is_retryable() => continue,
                result => return result,
            }
        }
        Err(RuntimeError::Conflict)
    }

    async fn try_audit_retry(
        &self,
        id: Uuid,
        actor: &str,
        resolved: &[String],
    ) -> Result<(), RuntimeError> {
        let mut tx = self.store.begin().await?;
        let instance = tx
            .load_instance(id)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("instance {id}")))?;
        let now = self.clock.now();
        let outcome = Outcome {
            history: vec![HistoryEntry {
                kind: HistoryKind::Admin,
                at: now,
                event: Some("retry".to_owned()),
                from: Some(instance.state.clone()),
                to: Some(instance.state.clone()),
                actor: actor.to_owned(),
                data: json!({ "resolved_incidents": resolved }),
            }],
            instance: Instance {
                updated_at: now,
                ..instance.clone()
            },
            transition: None,
            timers_set: Vec::new(),
            timers_cancelled: Vec::new(),
            sla_changes: Vec::new(),
            effects: Vec::new(),
        };
        tx.commit_outcome(&outcome, Some(instance.revision)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `workflow` at `version`: the loaded one, or an older one from the store.
    pub async fn definition_version(
        &self,
        workflow: &str,
        version: u32,
    ) -> Result<Option<Arc<Definition>>, RuntimeError> {
        if let Some(current) = self
            .catalog()
            .get(workflow)
            .filter(|current| current.version == version)
        {
            return Ok(Some(Arc::clone(current)));
        }
        let Some((hash, source)) = self.store.definition_by_version(workflow, version).await?
        else {
            return Ok(None);
        };
        if let Some(known) = self.definitions.by_hash(&hash) {
            return Ok(Some(known));
        }
        self.definitions.compile(&hash, workflow, &source).map(Some)
    }
}
