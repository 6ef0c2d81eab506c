//! The API's metrics (request latency, events posted) and the request
//! middleware that times every request inside a tracing span. They go to
//! the runtime's process-wide recorder (`runtime::metrics`), which
//! `/metrics` renders with the runtime's own.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Request latency, seconds, by method, route and status.
pub const REQUEST_SECONDS: &str = "flowkeeper_http_request_duration_seconds";
/// Events posted through the API, by workflow and outcome (`applied` or
/// `rejected`; an idempotent replay counts as `applied`, since the runtime
/// answers it exactly like the first post).
pub const EVENTS: &str = "flowkeeper_events_total";

/// Times the request, counts it by route and status, and runs it inside a
/// `request` span carrying the method, route and instance id, so every log
/// line of a request can be found by the instance it touched.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let instance = route
        .as_deref()
        .and_then(|route| path_parameter(route, request.uri().path(), "{id}"))
        .unwrap_or_default();
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        instance = %instance,
        actor = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("status", status);
    metrics::histogram!(
        REQUEST_SECONDS,
        "method" => method,
        "route" => route,
        "status" => status.to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: one of the methods the API serves, else `other`.
/// Any client can send an invented method, and each distinct label value
/// is a series the recorder keeps forever.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => OTHER,
    }
}

/// The label value of anything outside a label's fixed set.
pub const OTHER: &str = "other";

/// The workflow as a label: a loaded workflow's id, else `other` (a
/// refused event may name a workflow nobody loaded).
pub fn workflow_label(catalog: &crate::model::Catalog, workflow: &str) -> String {
    if catalog.get(workflow).is_some() {
        workflow.to_owned()
    } else {
        OTHER.to_owned()
    }
}

/// The segment of `path` where `route` has `parameter`.
fn path_parameter(route: &str, path: &str, parameter: &str) -> Option<String> {
    let index = route.split('/').position(|segment| segment == parameter)?;
    path.split('/').nth(index).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_instance_id_in_the_path() {
        assert_eq!(
            path_parameter(
                "/v1/instances/{id}/events",
                "/v1/instances/abc/events",
                "{id}"
            ),
            Some("abc".to_owned())
        );
        assert_eq!(
            path_parameter("/v1/workflows", "/v1/workflows", "{id}"),
            None
        );
    }
}
