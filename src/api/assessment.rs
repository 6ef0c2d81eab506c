//! `GET /v1/assessment`: the monthly / yearly team scores, computed from the
//! recorded history by the same code as `flowkeeper assess`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
};

use super::auth::Caller;
use super::extract::QueryParams;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use crate::assess::{self, AssessmentConfig, PeriodSpec, PlanError, Report, TallyError};
use crate::runtime::AssessmentFailure;

/// The period (one of `month`, `year`, or `from` with `to`) and a role.
/// Documented by hand ([`IntoParams`] below): the period is one exploded
/// query object with exactly one of three shapes, which separate optional
/// parameters cannot say.
#[derive(Debug, Deserialize)]
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

impl IntoParams for AssessmentQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let text = |pattern: &str, description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .description(Some(description))
        };
        let date = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                .description(Some(description))
        };
        let shape = |fields: Vec<(&str, ObjectBuilder)>| {
            let mut object = ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)));
            for (name, schema) in fields {
                object = object.property(name, schema).required(name);
            }
            object
        };
        let period = OneOfBuilder::new()
            .item(shape(vec![(
                "month",
                text("^[0-9]{4}-(0[1-9]|1[0-2])$", "`YYYY-MM`, e.g. `2026-10`"),
            )]))
            .item(shape(vec![(
                "year",
                text("^[0-9]{4}$", "`YYYY`, e.g. `2026`"),
            )]))
            .item(shape(vec![
                ("from", date("First day (inclusive)")),
                ("to", date("Last day (exclusive), after `from`")),
            ]));
        let period = ParameterBuilder::new()
            .name("period")
            .parameter_in(ParameterIn::Query)
            .required(Required::True)
            .style(Some(ParameterStyle::Form))
            .explode(Some(true))
            .description(Some(
                "Exactly one period: `month=2026-10`, `year=2026`, or `from=2026-10-01&to=2026-11-01`",
            ))
            .schema(Some(period))
            .build();
        let role = ParameterBuilder::new()
            .name("role")
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some("Only this role"))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build();
        vec![period, role]
    }
}

/// Scores every role (or `role`) for the period, per `assessment.toml` in
/// the workflow folder. `rate` and `points` are null where the denominator
/// is zero ("no data").
#[utoipa::path(get, path = "/v1/assessment", tag = "assessment", security(("bearer" = [])),
    params(AssessmentQuery),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = 400, description = "No period, or a malformed one", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "The workflow folder has no assessment.toml", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "assessment.toml is invalid or names what the workflows lack", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn assessment(
    State(state): State<AppState>,
    _: Caller,
    QueryParams(query): QueryParams<AssessmentQuery>,
) -> Result<Json<Report>, Problem> {
    let spec = PeriodSpec::parse(
        query.month.as_deref(),
        query.year.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )
    .map_err(|error| Problem::bad_request(error.to_string()))?;
    let (report, _) = report(&state, spec, query.role.as_deref()).await?;
    Ok(Json(report))
}

/// The report for `spec` (every role, or only `role`) by `assessment.toml`
/// in the workflow folder, read anew each time so that an edit counts at
/// once; with the configuration it was made by. Shared with the console.
pub(crate) async fn report(
    state: &AppState,
    spec: PeriodSpec,
    role: Option<&str>,
) -> Result<(Report, AssessmentConfig), Problem> {
    let path = state.workflows_dir().join("assessment.toml");
    if !path.is_file() {
        return Err(Problem::not_found(format!(
            "{} does not exist: the assessment is not configured",
            path.display()
        )));
    }
    let config = assess::load_file(&path).map_err(|diagnostics| invalid_config(&diagnostics))?;
    let report = state
        .runtime()
        .assess(&config, spec, role)
        .await
        .map_err(failure)?;
    Ok((report, config))
}

/// The problem an assessment that could not be made answers.
fn failure(failure: AssessmentFailure) -> Problem {
    match failure {
        AssessmentFailure::Plan(PlanError::Period(error)) => {
            Problem::bad_request(error.to_string())
        }
        AssessmentFailure::Plan(PlanError::Config(diagnostics)) => invalid_config(&diagnostics),
        AssessmentFailure::Tally(TallyError::Read(error)) => error.into(),
        AssessmentFailure::Tally(TallyError::Assess(error)) => {
            tracing::error!(%error, "the history does not add up");
            Problem::internal("the recorded history could not be assessed; the server log has why")
        }
    }
}

fn invalid_config(diagnostics: &crate::model::Diagnostics) -> Problem {
    let errors: Vec<String> = diagnostics.0.iter().map(ToString::to_string).collect();
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-assessment",
        "Invalid assessment configuration",
        diagnostics.to_string(),
    )
    .with("errors", errors)
}
