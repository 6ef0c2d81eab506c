//! Administration: stuck instances, cancel / move / retry, reloading the
//! workflow files and the manual clock. Admin role only; every change is
//! recorded in the instance's history and the audit log with the account's
//! name. (Accounts and tokens: `accounts.rs`.)

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::auth::{Caller, Permission};
use super::extract::{JsonBody, PathParams};
use super::instances::instance_id;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::views;
use super::wire::{
    CancelRequest, ClockRequest, ClockView, InstanceView, MoveRequest, StuckView, WorkflowSummary,
    parse_timestamp, timestamp,
};
use crate::model::{Catalog, Duration};
use crate::runtime::{Cancel, MoveTo, Retry, Target};

/// Live instances that need attention, with the reasons.
#[utoipa::path(get, path = "/v1/admin/stuck", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Stuck instances", body = Vec<StuckView>),
        (status = 401, description = "No or bad token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn stuck(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<StuckView>>, Problem> {
    caller.allow(Permission::Admin)?;
    Ok(Json(views::stuck(&state).await?))
}

/// Cancels a live instance.
#[utoipa::path(post, path = "/v1/instances/{id}/cancel", tag = "admin", security(("bearer" = [])),
    request_body = CancelRequest,
    params(("id" = String, Path, description = "Instance id")),
    responses(
        (status = 200, description = "Cancelled", body = InstanceView),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Already ended", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(request): JsonBody<CancelRequest>,
) -> Result<Json<InstanceView>, Problem> {
    caller.allow(Permission::Admin)?;
    let target = Target::Id(instance_id(&id)?);
    let command = Cancel {
        target,
        reason: request.reason,
        by: caller.principal(),
    };
    let reply = state.shared_runtime().run_detached(command).await?;
    Ok(Json(views::instance(&state, &reply.instance).await?))
}

/// Moves a live instance to another state by hand.
#[utoipa::path(post, path = "/v1/instances/{id}/move", tag = "admin", security(("bearer" = [])),
    request_body = MoveRequest,
    params(("id" = String, Path, description = "Instance id")),
    responses(
        (status = 200, description = "Moved", body = InstanceView),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Already ended", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Unknown target state", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn move_to(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    JsonBody(request): JsonBody<MoveRequest>,
) -> Result<Json<InstanceView>, Problem> {
    caller.allow(Permission::Admin)?;
    let target = Target::Id(instance_id(&id)?);
    let command = MoveTo {
        target,
        state: request.to,
        reason: request.reason,
        by: caller.principal(),
    };
    let reply = state.shared_runtime().run_detached(command).await?;
    Ok(Json(views::instance(&state, &reply.instance).await?))
}

/// Retries what failed on an instance: resolves its open incidents and fires
/// its overdue timers now.
#[utoipa::path(post, path = "/v1/instances/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Instance id")),
    responses(
        (status = 200, description = "Retried", body = InstanceView),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<InstanceView>, Problem> {
    caller.allow(Permission::Admin)?;
    let target = Target::Id(instance_id(&id)?);
    let command = Retry {
        target: target.clone(),
        by: caller.principal(),
    };
    state.shared_runtime().run_detached(command).await?;
    // A retried instance may have timers that fell due while it was held.
    state.runtime().fire_due_timers().await?;
    let instance = views::find(&state, &target).await?;
    Ok(Json(views::instance(&state, &instance).await?))
}

/// Re-reads the workflow folder. All files load, or nothing changes.
#[utoipa::path(post, path = "/v1/admin/reload", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The workflows now loaded", body = Vec<WorkflowSummary>),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A file is invalid; `errors` lists file:line:column messages", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn reload(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<WorkflowSummary>>, Problem> {
    caller.allow(Permission::Admin)?;
    let catalog = reload_catalog(&state, &caller).await?;
    Ok(Json(
        catalog
            .iter()
            .map(|definition| WorkflowSummary::from(definition.as_ref()))
            .collect(),
    ))
}

/// The runtime's clock.
#[utoipa::path(get, path = "/v1/admin/clock", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The time", body = ClockView),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn clock(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ClockView>, Problem> {
    caller.allow(Permission::Admin)?;
    Ok(Json(ClockView {
        now: timestamp(state.now()),
        manual: state.manual_clock(),
    }))
}

/// Moves the manual clock forward and answers once every timer due by the
/// new time has fired, with everything those timers caused.
#[utoipa::path(post, path = "/v1/admin/clock", tag = "admin", security(("bearer" = [])),
    request_body = ClockRequest,
    responses(
        (status = 200, description = "The new time", body = ClockView),
        (status = 400, description = "Neither or both of advance/set, bad duration or time, or a time in the past", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not running with --manual-clock", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn set_clock(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<ClockRequest>,
) -> Result<Json<ClockView>, Problem> {
    caller.allow(Permission::Admin)?;
    if !state.manual_clock() {
        return Err(Problem::conflict(
            "clock-not-manual",
            "The clock is not manual",
            "the server runs on the system clock; start it with --manual-clock",
        ));
    }
    let now = state.now();
    let duration = |text: &str| {
        Duration::parse(text)
            .map(|by| now.saturating_add(by.as_millis()))
            .map_err(|error| Problem::bad_request(error.to_string()))
    };
    let (target, jump) = match (&request.advance, &request.set, &request.jump) {
        (Some(advance), None, None) => (duration(advance)?, false),
        (None, Some(set), None) => {
            let at = parse_timestamp(set)
                .ok_or_else(|| Problem::bad_request(format!("`{set}` is not an RFC 3339 time")))?;
            if at < now {
                return Err(Problem::bad_request(format!(
                    "the clock only moves forward; it is {} now",
                    timestamp(now)
                )));
            }
            (at, false)
        }
        (None, None, Some(jump)) => (duration(jump)?, true),
        _ => {
            return Err(Problem::bad_request(
                "send exactly one of `advance`, `set` or `jump`",
            ));
        }
    };
    {
        let _exclusive = state.exclusive().await;
        state
            .runtime()
            .move_clock(target, jump, caller.principal())
            .await?;
    }
    Ok(Json(ClockView {
        now: timestamp(state.now()),
        manual: true,
    }))
}

/// Re-reads the workflow folder; on any error nothing changes.
async fn reload_catalog(state: &AppState, caller: &Caller) -> Result<Arc<Catalog>, Problem> {
    let _exclusive = state.exclusive().await;
    let folder = state.workflows_dir().to_owned();
    let loaded = tokio::task::spawn_blocking(move || Catalog::load(&[folder]))
        .await
        .map_err(|error| Problem::internal(format!("the reload task failed: {error}")))?;
    let catalog = loaded.map_err(|diagnostics| {
        let errors: Vec<serde_json::Value> = diagnostics
            .0
            .iter()
            .map(|diagnostic| diagnostic.to_string().into())
            .collect();
        Problem::unprocessable(
            "invalid-workflows",
            "Invalid workflow files",
            format!("{} problem(s); the loaded versions stay", errors.len()),
        )
        .with("errors", errors)
    })?;
    state.runtime().reload(catalog, caller.principal()).await?;
    Ok(state.runtime().catalog())
}
