//! Administration: stuck instances, cancel / move / retry, reloading the
//! workflow files and the manual clock. Admin role only; every change is
//! recorded in the instance's history and the audit log with the account's
//! name. (Accounts and tokens: `accounts.rs`.)

use axum::Json;
use axum::extract::State;

use super::auth::Admin;
use super::extract::{JsonBody, PathParams};
use super::instances::instance_id;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::views;
use super::wire::{
    CancelRequest, ClockRequest, ClockView, InstanceView, MoveRequest, StuckView, WorkflowSummary,
    parse_timestamp, timestamp,
};
use crate::model::Duration;
use crate::runtime::{Cancel, MoveTo, Retry, Target};

/// Live instances that need attention, with the reasons.
#[utoipa::path(get, path = "/v1/admin/stuck", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Stuck instances", body = Vec<StuckView>),
    ))]
pub async fn stuck(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<StuckView>>, Problem> {
    Ok(Json(views::stuck(&state).await?))
}

/// Cancels a live instance.
#[utoipa::path(post, path = "/v1/instances/{id}/cancel", tag = "admin", security(("bearer" = [])),
    request_body = CancelRequest,
    params(("id" = String, Path, description = "Instance id")),
    responses(
        (status = 200, description = "Cancelled", body = InstanceView),
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Already ended", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    Admin(caller): Admin,
    PathParams(id): PathParams<String>,
    JsonBody(request): JsonBody<CancelRequest>,
) -> Result<Json<InstanceView>, Problem> {
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
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Already ended", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Unknown target state", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn move_to(
    State(state): State<AppState>,
    Admin(caller): Admin,
    PathParams(id): PathParams<String>,
    JsonBody(request): JsonBody<MoveRequest>,
) -> Result<Json<InstanceView>, Problem> {
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
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn retry(
    State(state): State<AppState>,
    Admin(caller): Admin,
    PathParams(id): PathParams<String>,
) -> Result<Json<InstanceView>, Problem> {
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

/// Re-reads the workflow folder, file by file: every file that validates
/// loads; a file that does not (or whose content changed under the same
/// `version`) keeps its last good version and makes the answer a 422 that
/// lists it, while the others still load.
#[utoipa::path(post, path = "/v1/admin/reload", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every file loaded; the workflows now loaded", body = Vec<WorkflowSummary>),
        (status = 422, description = "Some files were refused and keep their last good version: `errors` lists file:line:column messages, `files` each refused file with its problems, `loaded` what is loaded now", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn reload(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> Result<Json<Vec<WorkflowSummary>>, Problem> {
    let refused = reload_folder(&state, caller.principal()).await?;
    let loaded: Vec<WorkflowSummary> = state
        .runtime()
        .catalog()
        .iter()
        .map(|definition| WorkflowSummary::from(definition.as_ref()))
        .collect();
    if refused.is_empty() {
        return Ok(Json(loaded));
    }
    let errors: Vec<String> = refused
        .iter()
        .flat_map(|file| file.problems.iter().cloned())
        .collect();
    Err(Problem::unprocessable(
        "invalid-workflows",
        "Invalid workflow files",
        format!(
            "{} file(s) refused, {} problem(s); their last good versions stay loaded, \
             the other files loaded",
            refused.len(),
            errors.len()
        ),
    )
    .with("errors", errors)
    .with("files", serde_json::to_value(&refused).unwrap_or_default())
    .with("loaded", serde_json::to_value(&loaded).unwrap_or_default()))
}

/// Re-reads the workflow folder (one reload or clock move at a time);
/// the refused files are returned. The background watcher calls it too.
pub(super) async fn reload_folder(
    state: &AppState,
    by: impl Into<crate::runtime::Principal>,
) -> Result<Vec<crate::versions::reload::RefusedFile>, Problem> {
    let _exclusive = state.exclusive().await;
    Ok(state
        .runtime()
        .reload_folder(state.workflows_dir(), by)
        .await?)
}

/// The furthest one `POST /v1/admin/clock` may move the clock, in days.
/// Moving it fires every timer due on the way, in the request: a recurring
/// timer fires once per period, so without a bound one request could
/// schedule years of firings (and a typo of `4000d` would).
pub const MAX_CLOCK_MOVE_DAYS: i64 = 400;
const MAX_CLOCK_MOVE: i64 = MAX_CLOCK_MOVE_DAYS * 24 * 60 * 60 * 1000;

/// The runtime's clock.
#[utoipa::path(get, path = "/v1/admin/clock", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The time", body = ClockView),
    ))]
pub async fn clock(State(state): State<AppState>, _: Admin) -> Result<Json<ClockView>, Problem> {
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
        (status = 400, description = "Not exactly one of advance/set/jump, or a bad duration or time", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not running with --manual-clock (`clock-not-manual`), a `set` before the current time (`clock-backwards`), or a move of more than 400 days (`clock-move-too-far`)", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn set_clock(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(request): JsonBody<ClockRequest>,
) -> Result<Json<ClockView>, Problem> {
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
                return Err(Problem::conflict(
                    "clock-backwards",
                    "The clock only moves forward",
                    format!("the clock only moves forward; it is {} now", timestamp(now)),
                ));
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
    if target.saturating_sub(now) > MAX_CLOCK_MOVE {
        return Err(Problem::conflict(
            "clock-move-too-far",
            "The clock cannot move that far at once",
            format!(
                "one move may take the clock at most {MAX_CLOCK_MOVE_DAYS} days ahead; move it in steps"
            ),
        ));
    }
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

/// Reloads the workflow folder when its files change or on SIGHUP
/// (`crate::versions::watch`), as the engine; problems are logged and
/// counted by the reload itself.
pub(super) async fn watch_workflows(state: AppState) {
    let folder = state.workflows_dir().to_path_buf();
    crate::versions::watch::watch(folder, crate::versions::watch::POLL, || {
        let state = state.clone();
        async move {
            let by = crate::runtime::Principal::Trusted(crate::engine::Actor::Engine);
            if let Err(problem) = reload_folder(&state, by).await {
                tracing::error!(?problem, "the workflow reload failed");
            }
        }
    })
    .await;
}
