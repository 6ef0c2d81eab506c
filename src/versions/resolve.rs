//! Turning a plan's text into a [`Plan`] against a running system: both
//! versions looked up among the loaded and the stored ones, the states
//! that must be mapped taken from where live instances stand.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use super::plan::{self, Plan, PlanFile};
use crate::model::source::{Seg, SourceMap};
use crate::model::{Definition, Diagnostics, LineIndex};
use crate::runtime::{Runtime, RuntimeError, Selection};

/// Why a plan cannot run.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The plan is wrong: every problem at file:line:column.
    #[error("{0}")]
    Invalid(Diagnostics),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Parses and checks the plan `text` (named `file` in messages) against the
/// versions `runtime` knows and the states its live instances stand in.
pub async fn resolve(runtime: &Runtime, file: &Path, text: &str) -> Result<Plan, PlanError> {
    let parsed = PlanFile::parse(file, text).map_err(PlanError::Invalid)?;
    let from = version(runtime, file, text, &parsed, "from", parsed.from).await?;
    let to = version(runtime, file, text, &parsed, "to", parsed.to).await?;
    let (from, to) = match (from, to) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => {
            let problems = [from.err(), to.err()].into_iter().flatten().collect();
            return Err(PlanError::Invalid(Diagnostics(problems)));
        }
    };
    let live = Selection {
        workflow: Some(parsed.workflow.clone()),
        version: Some(parsed.from),
        ..Selection::default()
    };
    let live_states: BTreeSet<String> = runtime
        .select(&live)
        .await?
        .into_iter()
        .map(|instance| instance.state.to_string())
        .collect();
    plan::check(file, text, &parsed, &from, &to, Some(&live_states)).map_err(PlanError::Invalid)
}

/// The plan text of a plan given as a JSON object, for messages that
/// point into it.
pub fn text_of(plan: &PlanFile) -> String {
    toml::to_string(plan).unwrap_or_default()
}

async fn version(
    runtime: &Runtime,
    file: &Path,
    text: &str,
    plan: &PlanFile,
    key: &str,
    number: u32,
) -> Result<Result<Arc<Definition>, crate::model::Diagnostic>, RuntimeError> {
    if let Some(found) = runtime.definition_version(&plan.workflow, number).await? {
        return Ok(Ok(found));
    }
    let known = runtime.catalog().get(&plan.workflow).is_some()
        || !runtime.workflow_versions(&plan.workflow).await?.is_empty();
    let message = if known {
        format!(
            "version {number} of `{}` is not known: neither loaded nor stored",
            plan.workflow
        )
    } else {
        format!("no workflow `{}` is loaded or stored", plan.workflow)
    };
    let path = if known { key } else { "workflow" };
    let span = SourceMap::new(text).span(&[Seg::from(path)]);
    Ok(Err(
        LineIndex::new(file, text).diagnostic(span, message, None)
    ))
}
