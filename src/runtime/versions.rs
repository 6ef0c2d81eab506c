//! Workflow versions: reading an older one, listing the stored ones, and
//! reloading the folder file by file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::audit::instance_change;
use super::change::Change;
use super::{Command, Principal, Runtime, RuntimeError, Target};
use crate::audit::AuditAction;
use crate::engine::{self, Instance, Millis, Rejection, Status};
use crate::model::Definition;
use crate::store::{InstanceFilter, StoredVersion};
use crate::versions::plan::Plan;
use crate::versions::reload::{RefusedFile, reread};

impl Runtime {
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

impl Runtime {
    /// Re-reads the workflow folder file by file (see
    /// [`crate::versions::reload`]): the files that validate become current,
    /// the others keep their last good version and are returned with their
    /// problems, which are also logged and counted in
    /// `flowkeeper_reload_errors_total`. Audited as `workflows.reload`.
    pub async fn reload_folder(
        &self,
        folder: &Path,
        by: impl Into<Principal>,
    ) -> Result<Vec<RefusedFile>, RuntimeError> {
        let stored: HashMap<(String, u32), String> = self
            .store
            .definition_versions(None)
            .await?
            .into_iter()
            .map(|kept| ((kept.workflow, kept.version), kept.hash))
            .collect();
        let current = self.catalog();
        let folder = folder.to_path_buf();
        let reloaded = tokio::task::spawn_blocking(move || {
            reread(&folder, &current, &|workflow, version| {
                stored.get(&(workflow.to_owned(), version)).cloned()
            })
        })
        .await
        // Only a bug in the loader panics; let it surface as itself.
        .unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()));
        for refused in &reloaded.refused {
            tracing::warn!(
                file = %refused.file,
                problems = %refused.problems.join("; "),
                "workflow file refused; its last good version stays loaded"
            );
        }
        metrics::counter!(super::metrics::RELOAD_ERRORS).increment(reloaded.refused.len() as u64);
        self.reload(reloaded.catalog, by).await?;
        Ok(reloaded.refused)
    }

    /// Every stored version of `workflow`, with its active instances.
    pub async fn workflow_versions(
        &self,
        workflow: &str,
    ) -> Result<Vec<StoredVersion>, RuntimeError> {
        Ok(self.store.definition_versions(Some(workflow)).await?)
    }
}

/// Moves one instance to the plan's new version (one transaction). An
/// instance the plan cannot map is answered [`Migrated::Refused`] with the
/// reason, and nothing of it is written.
#[derive(Debug, Clone)]
pub struct Migrate {
    pub id: Uuid,
    pub plan: Arc<Plan>,
    pub by: Principal,
}

/// What became of one instance of a migration.
#[derive(Debug, Clone, PartialEq)]
pub enum Migrated {
    /// Now on the new version, standing in `to_state`.
    Done {
        /// Boxed: an instance is large, a refusal small.
        instance: Box<Instance>,
        from_state: String,
    },
    /// Left exactly as it was, for this reason.
    Refused { reason: String },
}

impl Command for Migrate {
    type Reply = Migrated;

    async fn apply(&self, change: &mut Change<'_>) -> Result<Migrated, RuntimeError> {
        self.by.must_be_admin()?;
        let actor = self.by.actor();
        let instance = change.load(&Target::Id(self.id)).await?;
        let refused = |reason: String| Ok(Migrated::Refused { reason });
        if instance.status != Status::Active {
            return refused(format!("it has ended ({})", instance.status.as_str()));
        }
        if let Some(reason) = self.plan.refusal(&instance) {
            return refused(reason);
        }
        let filled = match self.plan.fill(&instance) {
            Ok(filled) => filled,
            Err(error) => return refused(error.to_string()),
        };
        let state = self.plan.target_state(&instance.state);
        let now = change.now();
        let name = actor.to_string();
        let outcome = match engine::migrate(&self.plan.to, &instance, state, &filled, &name, now) {
            Ok(outcome) => outcome,
            Err(Rejection::DataInvalid { errors }) => {
                let errors: Vec<String> = errors
                    .iter()
                    .map(|error| format!("{} {}", error.path, error.message))
                    .collect();
                return refused(format!("its data would be invalid: {}", errors.join("; ")));
            }
            Err(rejection) => return refused(rejection.to_string()),
        };
        let audit = instance_change(
            AuditAction::InstanceMigrate,
            &actor,
            self.by.remote_addr(),
            &outcome,
            json!({
                "from": instance.state,
                "migrated": { "from": self.plan.from.version, "to": self.plan.to.version },
            }),
        );
        let stored = change
            .commit(&outcome, Some(instance.revision), audit)
            .await?;
        Ok(Migrated::Done {
            instance: Box::new(stored),
            from_state: instance.state.into(),
        })
    }
}

impl Runtime {
    /// Runs `command` in a transaction that is rolled back: what it would
    /// answer, with nothing written (a dry run sees exactly the checks and
    /// refusals of the real thing).
    pub async fn rehearse<C: Command>(&self, command: &C) -> Result<C::Reply, RuntimeError> {
        let mut tx = self.store.begin().await?;
        let executed = self.execute(&mut tx, command).await?;
        // Dropped uncommitted: rolled back, nothing to wake.
        drop(tx);
        Ok(executed.reply)
    }

    /// `workflow` at `version` as the plan names it: the loaded one, or a
    /// stored one.
    pub async fn plan_version(
        &self,
        workflow: &str,
        version: u32,
    ) -> Result<Option<Arc<Definition>>, RuntimeError> {
        self.definition_version(workflow, version).await
    }
}

/// Which instances a migration or a batch acts on. Every part is optional;
/// without `status` only live (`active`) instances match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub workflow: Option<String>,
    pub state: Option<String>,
    pub key: Option<String>,
    pub status: Option<Status>,
    /// Only instances of this workflow version.
    pub version: Option<u32>,
    /// Only stuck instances (`true`), or only those not stuck (`false`).
    pub stuck: Option<bool>,
    /// Only instances created before this instant.
    pub created_before: Option<Millis>,
}

/// An instance an operation left as it was, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub id: Uuid,
    pub reason: String,
}

/// One migrated instance (or, in a dry run, one that would be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigratedInstance {
    pub id: Uuid,
    pub key: String,
    pub from_state: String,
    pub to_state: String,
}

/// What a migration did (in a dry run: would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationReport {
    pub migrated: usize,
    pub refused: Vec<Refused>,
    pub instances: Vec<MigratedInstance>,
}

impl Runtime {
    /// The instances `selection` matches, newest first.
    pub async fn select(&self, selection: &Selection) -> Result<Vec<Instance>, RuntimeError> {
        let stuck: Option<Vec<Uuid>> = match selection.stuck {
            Some(_) => Some(self.stuck().await?.iter().map(|s| s.id).collect()),
            None => None,
        };
        let mut filter = InstanceFilter {
            workflow: selection.workflow.clone(),
            state: selection.state.clone(),
            key: selection.key.clone(),
            status: Some(selection.status.unwrap_or(Status::Active)),
            limit: 500,
            cursor: None,
        };
        let mut found = Vec::new();
        loop {
            let page = self.store.list_instances(&filter).await?;
            found.extend(page.instances.into_iter().filter(|instance| {
                selection.version.is_none_or(|v| instance.version == v)
                    && selection
                        .created_before
                        .is_none_or(|before| instance.created_at < before)
                    && match (&stuck, selection.stuck) {
                        (Some(stuck), Some(wanted)) => stuck.contains(&instance.id) == wanted,
                        _ => true,
                    }
            }));
            match page.next_cursor {
                Some(cursor) => filter.cursor = Some(cursor),
                None => return Ok(found),
            }
        }
    }

    /// Migrates the live instances of the plan's `from` version that
    /// `selection` matches, each in a transaction of its own; a refusal
    /// leaves its instance untouched and the others go on. With `dry_run`
    /// each runs in a transaction that is rolled back.
    pub async fn migrate_instances(
        &self,
        plan: Arc<Plan>,
        selection: &Selection,
        dry_run: bool,
        by: Principal,
    ) -> Result<MigrationReport, RuntimeError> {
        let selection = Selection {
            workflow: Some(plan.workflow.clone()),
            version: Some(plan.from.version),
            ..selection.clone()
        };
        let mut report = MigrationReport::default();
        for instance in self.select(&selection).await? {
            let command = Migrate {
                id: instance.id,
                plan: Arc::clone(&plan),
                by: by.clone(),
            };
            let answer = if dry_run {
                self.rehearse(&command).await
            } else {
                self.run(&command).await
            };
            match answer {
                Ok(Migrated::Done {
                    instance,
                    from_state,
                }) => {
                    report.migrated += 1;
                    report.instances.push(MigratedInstance {
                        id: instance.id,
                        key: instance.key.into(),
                        from_state,
                        to_state: instance.state.into(),
                    });
                }
                Ok(Migrated::Refused { reason }) => report.refused.push(Refused {
                    id: instance.id,
                    reason,
                }),
                Err(error) => report.refused.push(Refused {
                    id: instance.id,
                    reason: error.to_string(),
                }),
            }
        }
        Ok(report)
    }
}
