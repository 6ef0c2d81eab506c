//! `POST /v1/admin/migrations` and `POST /v1/admin/batch`
//! (contract: `shared/spec/versions.md`): moving live instances to another
//! workflow version by a migration plan, and one action over every
//! instance a filter matches. Admin role only; each instance changes in a
//! transaction of its own with its history line and audit entry.

use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Admin;
use super::extract::JsonBody;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::wire::parse_timestamp;
use crate::engine::Status;
use crate::runtime::{MigratedInstance, Refused, Selection};
use crate::versions::batch::{self, Action, BatchReport};
use crate::versions::plan::{Plan, PlanFile};
use crate::versions::resolve::{PlanError, resolve, text_of};

/// A migration plan: its TOML text, or the same keys as a JSON object.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PlanInput {
    /// The plan file's text.
    Text(String),
    /// `{"workflow", "from", "to", "states": {old: new}, "data": {field: cel}}`;
    /// an object without those keys is an invalid plan (422), like a file.
    #[schema(value_type = Object)]
    Object(Map<String, Value>),
}

/// Which live instances a migration takes (all of the `from` version
/// without one).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationFilter {
    /// Only instances standing in this state (of the old version).
    pub state: Option<String>,
    /// Only the instance with this business key.
    pub key: Option<String>,
    /// Only instances created before this instant (RFC 3339).
    pub created_before: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationRequest {
    pub plan: PlanInput,
    #[serde(default)]
    pub filter: MigrationFilter,
    /// Report what would happen; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What a migration did (in a dry run: would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MigrationView {
    pub migrated: usize,
    #[schema(value_type = Vec<RefusedView>)]
    pub refused: Vec<Refused>,
    #[schema(value_type = Vec<MigratedView>)]
    pub instances: Vec<MigratedInstance>,
}

/// An instance left as it was, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefusedView {
    pub id: Uuid,
    pub reason: String,
}

/// An instance moved to the new version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MigratedView {
    pub id: Uuid,
    pub key: String,
    pub from_state: String,
    pub to_state: String,
}

/// Migrates live instances to another version of their workflow by a
/// plan; each instance in its own transaction, refusals reported.
#[utoipa::path(post, path = "/v1/admin/migrations", tag = "admin", security(("bearer" = [])),
    request_body = MigrationRequest,
    responses(
        (status = 200, description = "What was migrated and what was refused, with reasons", body = MigrationView),
        (status = 400, description = "Malformed request", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The plan is invalid: `errors` lists file:line:column messages", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn migrate(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(request): JsonBody<MigrationRequest>,
) -> Result<Json<MigrationView>, Problem> {
    let plan = plan(&state, &request.plan).await?;
    let selection = Selection {
        state: request.filter.state,
        key: request.filter.key,
        created_before: instant(request.filter.created_before.as_deref())?,
        ..Selection::default()
    };
    let report = state
        .runtime()
        .migrate_instances(plan, &selection, request.dry_run, caller.principal())
        .await?;
    Ok(Json(MigrationView {
        migrated: report.migrated,
        refused: report.refused,
        instances: report.instances,
    }))
}

/// The action of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BatchActionName {
    Cancel,
    Retry,
    Move,
    Event,
    Migrate,
}

/// Which instances a batch takes: live ones unless `status` is named.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchFilter {
    pub workflow: Option<String>,
    pub state: Option<String>,
    /// `active`, `completed` or `cancelled` (default: `active`).
    #[schema(inline)]
    pub status: Option<super::instances::StatusFilter>,
    /// Only stuck instances (`true`) or only those not stuck (`false`).
    pub stuck: Option<bool>,
    pub key: Option<String>,
    /// Only instances created before this instant (RFC 3339).
    pub created_before: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    #[serde(default)]
    pub filter: BatchFilter,
    pub action: BatchActionName,
    /// Recorded in each instance's history and the audit log.
    #[serde(default)]
    pub reason: Option<String>,
    /// Report what would be matched and refused; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// For `move`: the state to move to.
    pub to: Option<String>,
    /// For `event`: the event to post, with `data`.
    pub event: Option<String>,
    #[serde(default)]
    pub data: Map<String, Value>,
    /// For `migrate`: the plan.
    pub plan: Option<PlanInput>,
}

/// What a batch did: `done` is 0 in a dry run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchView {
    pub matched: usize,
    pub done: usize,
    #[schema(value_type = Vec<RefusedView>)]
    pub refused: Vec<Refused>,
}

/// One action (cancel, retry, move, event, migrate) over every instance a
/// filter matches; each instance in its own transaction, a refusal does
/// not stop the batch.
#[utoipa::path(post, path = "/v1/admin/batch", tag = "admin", security(("bearer" = [])),
    request_body = BatchRequest,
    responses(
        (status = 200, description = "Matched, done and refused (with reasons)", body = BatchView),
        (status = 400, description = "Malformed request", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The action's own field is missing (`incomplete-action`: `to` for move, `event` for event, `plan` for migrate), or the migration plan is invalid (`invalid-plan`: `errors` lists file:line:column messages)", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn batch(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(request): JsonBody<BatchRequest>,
) -> Result<Json<BatchView>, Problem> {
    // Which fields an action needs is a rule over the body as a whole, as
    // a workflow's data rules are: 422, like them.
    let missing = |field: &str, action: &str| {
        Problem::unprocessable(
            "incomplete-action",
            "Incomplete batch action",
            format!("the `{action}` action needs `{field}`"),
        )
    };
    let action = match request.action {
        BatchActionName::Cancel => Action::Cancel,
        BatchActionName::Retry => Action::Retry,
        BatchActionName::Move => Action::Move {
            to: request.to.clone().ok_or_else(|| missing("to", "move"))?,
        },
        BatchActionName::Event => Action::Event {
            event: request
                .event
                .clone()
                .ok_or_else(|| missing("event", "event"))?,
            data: request.data.clone(),
        },
        BatchActionName::Migrate => {
            let input = request
                .plan
                .as_ref()
                .ok_or_else(|| missing("plan", "migrate"))?;
            Action::Migrate {
                plan: plan(&state, input).await?,
            }
        }
    };
    let filter = request.filter;
    let status = filter.status.map(Status::from);
    let selection = Selection {
        workflow: filter.workflow,
        state: filter.state,
        key: filter.key,
        status,
        stuck: filter.stuck,
        created_before: instant(filter.created_before.as_deref())?,
        version: None,
    };
    let reason = request.reason.unwrap_or_else(|| "batch".to_owned());
    let report: BatchReport = batch::run(
        state.runtime(),
        &selection,
        &action,
        &reason,
        request.dry_run,
        &caller.principal(),
    )
    .await?;
    Ok(Json(BatchView {
        matched: report.matched,
        done: report.done,
        refused: report.refused,
    }))
}

/// The checked plan, or a 422 listing its problems.
async fn plan(state: &AppState, input: &PlanInput) -> Result<Arc<Plan>, Problem> {
    let text = match input {
        PlanInput::Text(text) => text.clone(),
        PlanInput::Object(object) => {
            let plan: PlanFile = serde_json::from_value(Value::Object(object.clone()))
                .map_err(|error| invalid_plan(vec![format!("plan: {error}").into()]))?;
            text_of(&plan)
        }
    };
    match resolve(state.runtime(), Path::new("plan.toml"), &text).await {
        Ok(plan) => Ok(Arc::new(plan)),
        Err(PlanError::Runtime(error)) => Err(error.into()),
        Err(PlanError::Invalid(problems)) => Err(invalid_plan(
            problems.0.iter().map(|p| p.to_string().into()).collect(),
        )),
    }
}

/// `422 invalid-plan` listing the plan's problems; nothing was migrated.
fn invalid_plan(errors: Vec<Value>) -> Problem {
    Problem::unprocessable(
        "invalid-plan",
        "Invalid migration plan",
        format!("{} problem(s); nothing was migrated", errors.len()),
    )
    .with("errors", errors)
}

fn instant(text: Option<&str>) -> Result<Option<crate::engine::Millis>, Problem> {
    text.map(|text| {
        parse_timestamp(text)
            .ok_or_else(|| Problem::bad_request(format!("`{text}` is not an RFC 3339 time")))
    })
    .transpose()
}
