//! `GET /v1/assessment`: the monthly / yearly team scores, computed from the
//! recorded history by the same code as `flowkeeper assess`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Caller, Permission};
use super::extract::QueryParams;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use crate::assess::{self, AssessCommandError, PeriodSpec, Report};

/// The period (one of `month`, `year`, or `from` with `to`) and a role.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssessmentQuery {
    /// `YYYY-MM`, e.g. `2026-10`.
    pub month: Option<String>,
    /// `YYYY`, e.g. `2026`.
    pub year: Option<String>,
    /// First day, `YYYY-MM-DD` (inclusive).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (exclusive).
    pub to: Option<String>,
    /// Only this role.
    pub role: Option<String>,
}

/// Scores every role (or `role`) for the period, per `assessment.toml` in
/// the workflow folder. `rate` and `points` are null where the denominator
/// is zero ("no data").
#[utoipa::path(get, path = "/v1/assessment", tag = "assessment", security(("bearer" = [])),
    params(AssessmentQuery),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = 400, description = "No period, or a malformed one", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "The workflow folder has no assessment.toml", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "assessment.toml is invalid or names what the workflows lack", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn assessment(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<AssessmentQuery>,
) -> Result<Json<Report>, Problem> {
    caller.allow(Permission::Read)?;
    let spec = PeriodSpec::parse(
        query.month.as_deref(),
        query.year.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .map_err(|error| Problem::bad_request(error.to_string()))?;
    let path = state.workflows_dir().join("assessment.toml");
    if !path.is_file() {
        return Err(Problem::not_found(format!(
            "{} does not exist: the assessment is not configured",
            path.display()
        )));
    }
    let config = assess::load_file(&path).map_err(|diagnostics| invalid_config(&diagnostics))?;
    let catalog = state.runtime().catalog();
    let report = assess::compute(
        state.store(),
        &config,
        &catalog,
        spec,
        query.role.as_deref(),
    )
    .await
    .map_err(|error| match error {
        AssessCommandError::Period(error) => Problem::bad_request(error.to_string()),
        AssessCommandError::Config(diagnostics) => invalid_config(&diagnostics),
        other => Problem::internal(other.to_string()),
    })?;
    Ok(Json(report))
}

fn invalid_config(diagnostics: &crate::model::Diagnostics) -> Problem {
    let errors: Vec<String> = diagnostics.0.iter().map(ToString::to_string).collect();
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-assessment",
        "Invalid assessment configuration",
        "assessment.toml does not load",
    )
    .with("errors", errors)
}
