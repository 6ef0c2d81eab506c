//! Batch operations (`POST /v1/admin/batch`): one action over every
//! instance a filter matches, each instance in a transaction of its own
//! with its history line and audit entry, as the single-instance
//! endpoints do it. A refusal does not stop the batch; a dry run runs
//! each instance's transaction and rolls it back, so it reports exactly
//! the refusals the real run would meet.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::plan::Plan;
use crate::runtime::{
    Cancel, Command, Migrate, Migrated, MoveTo, PostEvent, Principal, Refused, Retry, Runtime,
    RuntimeError, Selection, Target,
};

/// What a batch does to each instance.
#[derive(Debug, Clone)]
pub enum Action {
    Cancel,
    Retry,
    Move {
        to: String,
    },
    Event {
        event: String,
        data: Map<String, Json>,
    },
    Migrate {
        plan: Arc<Plan>,
    },
}

/// What a batch did: `done` is 0 in a dry run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    pub matched: usize,
    pub done: usize,
    pub refused: Vec<Refused>,
}

/// Runs `action` on every instance `selection` matches (a migration only
/// on the instances of its plan's `from` version), recorded with `reason`.
pub async fn run(
    runtime: &Runtime,
    selection: &Selection,
    action: &Action,
    reason: &str,
    dry_run: bool,
    by: &Principal,
) -> Result<BatchReport, RuntimeError> {
    let selection = match action {
        Action::Migrate { plan } => Selection {
            workflow: Some(plan.workflow.clone()),
            version: Some(plan.from.version),
            ..selection.clone()
        },
        _ => selection.clone(),
    };
    let instances = runtime.select(&selection).await?;
    let mut report = BatchReport {
        matched: instances.len(),
        ..BatchReport::default()
    };
    for instance in instances {
        let target = Target::Id(instance.id);
        let by = by.clone();
        let reason = reason.to_owned();
        let refusal = match action {
            Action::Cancel => {
                let command = Cancel { target, reason, by };
                attempt(runtime, &command, dry_run).await.err()
            }
            Action::Retry => {
                let command = Retry { target, by };
                attempt(runtime, &command, dry_run).await.err()
            }
            Action::Move { to } => {
                let state = to.clone();
                let command = MoveTo {
                    target,
                    state,
                    reason,
                    by,
                };
                attempt(runtime, &command, dry_run).await.err()
            }
            Action::Event { event, data } => {
                let command = PostEvent {
                    target,
                    event: event.clone(),
                    data: data.clone(),
                    by,
                    event_id: None,
                };
                attempt(runtime, &command, dry_run).await.err()
            }
            Action::Migrate { plan } => {
                let command = Migrate {
                    id: instance.id,
                    plan: Arc::clone(plan),
                    by,
                };
                match attempt(runtime, &command, dry_run).await {
                    Ok(Migrated::Done { .. }) => None,
                    Ok(Migrated::Refused { reason }) => Some(reason),
                    Err(reason) => Some(reason),
                }
            }
        };
        match refusal {
            Some(reason) => report.refused.push(Refused {
                id: instance.id,
                reason,
            }),
            None if !dry_run => report.done += 1,
            None => {}
        }
    }
    Ok(report)
}

/// Runs `command` (rolled back in a dry run); an error is the refusal's reason.
async fn attempt<C: Command>(
    runtime: &Runtime,
    command: &C,
    dry_run: bool,
) -> Result<C::Reply, String> {
    let answer = if dry_run {
        runtime.rehearse(command).await
    } else {
        runtime.run(command).await
    };
    answer.map_err(|error: RuntimeError| refusal_reason(&error))
}

/// The reason a refusal gives: the error, with the engine's detail.
fn refusal_reason(error: &RuntimeError) -> String {
    match error {
        RuntimeError::Rejected(crate::engine::Rejection::DataInvalid { errors }) => {
            let errors: Vec<String> = errors
                .iter()
                .map(|error| format!("{} {}", error.path, error.message))
                .collect();
            format!("data is invalid: {}", errors.join("; "))
        }
        other => other.to_string(),
    }
}
