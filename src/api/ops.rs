//! Operations endpoints: liveness, readiness, metrics and the OpenAPI
//! document. `/healthz` and `/readyz` take no token so that load balancers
//! and orchestrators can call them.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use crate::runtime;
use crate::store::Fault;

/// The answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// `/readyz` only, when `[backup]` schedules backups: the last success
    /// and the failures since start (docs/backups.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<crate::backup::schedule::BackupHealth>,
}

/// The process is up and serving requests.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok",
        backup: None,
    })
}

/// The database answers and writes work: the process can do useful work.
/// Not ready while writes fail (a full disk answers reads but takes no
/// events); it becomes ready again by itself once a probe write commits.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database does not answer, or writes fail (`storage-full`, `unavailable`); `Retry-After` says when to look again", body = ProblemBody,
            content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Health>, Problem> {
    if let Err(not_ready) = state.store().readiness(state.runtime().real_now()).await {
        // The error text can name hosts, users and schemas: it goes to
        // the log, and this unauthenticated probe says only what kind.
        tracing::warn!(error = %not_ready, "not ready");
        let problem = match not_ready.fault() {
            Fault::Full => Problem::store_fault(Fault::Full),
            _ => Problem::unavailable("database unavailable").retry_after(2),
        };
        return Err(problem);
    }
    Ok(axum::Json(Health {
        status: "ok",
        backup: crate::backup::schedule::status().scheduled_health(),
    }))
}

/// Prometheus text exposition of every metric.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
    ))]
pub async fn metrics(State(state): State<AppState>, _: Caller) -> Result<Response, Problem> {
    runtime::metrics::refresh_gauges(state.runtime()).await;
    let mut response = state.metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// This document: OpenAPI 3.1, generated from the handlers' types.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", security(("bearer" = [])),
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json"),
    ))]
pub async fn openapi(State(state): State<AppState>, _: Caller) -> Result<Response, Problem> {
    let document = state.openapi_json();
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        document,
    )
        .into_response())
}
