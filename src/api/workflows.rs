//! `/v1/workflows`: what is loaded, each definition as JSON and its graph.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::extract::{PathParams, QueryParams};
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::wire::{WorkflowSummary, timestamp};
use crate::model::{Definition, export, raw::WorkflowFile};

/// Every loaded workflow (the newest version of each).
#[utoipa::path(get, path = "/v1/workflows", tag = "workflows", security(("bearer" = [])),
    responses(
        (status = 200, description = "The loaded workflows", body = Vec<WorkflowSummary>),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _: Caller,
) -> Result<Json<Vec<WorkflowSummary>>, Problem> {
    let catalog = state.runtime().catalog();
    Ok(Json(
        catalog
            .iter()
            .map(|definition| WorkflowSummary::from(definition.as_ref()))
            .collect(),
    ))
}

/// `?version=N` of `GET /v1/workflows/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// An older version still kept for running instances.
    pub version: Option<u32>,
}

/// The workflow file as JSON: the same keys as the TOML.
#[utoipa::path(get, path = "/v1/workflows/{id}", tag = "workflows", security(("bearer" = [])),
    params(("id" = String, Path, description = "Workflow id"), VersionQuery),
    responses(
        (status = 200, description = "The definition", body = Object),
        (status = 400, description = "Bad query", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown workflow or version", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<VersionQuery>,
) -> Result<Json<Value>, Problem> {
    let definition = find(&state, &id, query.version).await?;
    let file: WorkflowFile = toml::from_str(&definition.source.text).map_err(|error| {
        Problem::internal(format!("the stored source no longer parses: {error}"))
    })?;
    let json = serde_json::to_value(&file).map_err(|error| Problem::internal(error.to_string()))?;
    Ok(Json(json))
}

/// One stored version of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VersionView {
    pub version: u32,
    /// SHA-256 of the file text: a version number names exactly one content.
    pub hash: String,
    /// When this version was first loaded (RFC 3339).
    pub loaded_at: String,
    /// Its instances with status `active`.
    pub active_instances: i64,
}

/// Every version of the workflow ever loaded, oldest first, with how many
/// active instances still run each.
#[utoipa::path(get, path = "/v1/workflows/{id}/versions", tag = "workflows", security(("bearer" = [])),
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The versions", body = Vec<VersionView>),
        (status = 404, description = "Unknown workflow", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn versions(
    State(state): State<AppState>,
    _: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Vec<VersionView>>, Problem> {
    let versions = state.runtime().workflow_versions(&id).await?;
    if versions.is_empty() && state.runtime().catalog().get(&id).is_none() {
        return Err(Problem::not_found(format!("no workflow `{id}`")));
    }
    Ok(Json(
        versions
            .into_iter()
            .map(|kept| VersionView {
                version: kept.version,
                hash: kept.hash,
                loaded_at: timestamp(kept.loaded_at),
                active_instances: kept.active_instances,
            })
            .collect(),
    ))
}

/// The graph format of `GET /v1/workflows/{id}/graph`.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GraphFormat {
    #[default]
    Mermaid,
    Dot,
    /// Not rendered by this server (no layout engine); answers 400.
    Svg,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GraphQuery {
    /// `mermaid` (default), `dot` or `svg`.
    #[param(inline)]
    pub format: Option<GraphFormat>,
    pub version: Option<u32>,
}

/// The state graph as Mermaid or Graphviz DOT text.
#[utoipa::path(get, path = "/v1/workflows/{id}/graph", tag = "workflows", security(("bearer" = [])),
    params(("id" = String, Path, description = "Workflow id"), GraphQuery),
    responses(
        (status = 200, description = "The graph: Mermaid (the default), Graphviz DOT or SVG, as `format` asks",
            content((String = "text/vnd.mermaid"), (String = "text/vnd.graphviz"), (String = "image/svg+xml"))),
        (status = 422, description = "The SVG layout failed for this graph", body = ProblemBody, content_type = "application/problem+json"),
        (status = 400, description = "Unknown format", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown workflow", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn graph(
    State(state): State<AppState>,
    _: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<GraphQuery>,
) -> Result<Response, Problem> {
    let definition = find(&state, &id, query.version).await?;
    let (text, content_type) = match query.format.unwrap_or_default() {
        GraphFormat::Mermaid => (
            export::mermaid(&definition),
            "text/vnd.mermaid; charset=utf-8",
        ),
        GraphFormat::Dot => (export::dot(&definition), "text/vnd.graphviz; charset=utf-8"),
        GraphFormat::Svg => match export::svg(&definition) {
            Ok(svg) => (svg, "image/svg+xml"),
            Err(error) => {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "graph-layout-failed",
                    "Graph layout failed",
                    format!("{error}; ask for format=dot and run `dot -Tsvg`"),
                ));
            }
        },
    };
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        text,
    )
        .into_response())
}

/// The loaded definition, or an older version kept in the store.
async fn find(
    state: &AppState,
    id: &str,
    version: Option<u32>,
) -> Result<Arc<Definition>, Problem> {
    let current = state
        .runtime()
        .catalog()
        .get(id)
        .cloned()
        .ok_or_else(|| Problem::not_found(format!("no workflow `{id}`")))?;
    match version {
        None => Ok(current),
        Some(version) if version == current.version => Ok(current),
        Some(version) => state
            .runtime()
            .definition_version(id, version)
            .await
            .map_err(Problem::from)?
            .ok_or_else(|| Problem::not_found(format!("no version {version} of workflow `{id}`"))),
    }
}
