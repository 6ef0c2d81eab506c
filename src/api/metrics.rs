//! Prometheus metrics: names, the process-wide recorder and the request
//! middleware that times every request inside a tracing span.
//!
//! The recorder is global (the `metrics` facade has one), so it is installed
//! once per process and shared by every router built in it; tests that build
//! many routers see one registry.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

/// Request latency, seconds, by method, route and status.
pub const REQUEST_SECONDS: &str = "flowkeeper_http_request_duration_seconds";
/// Events posted through the API, by workflow and outcome (`applied` or
/// `rejected`; an idempotent replay counts as `applied`, since the runtime
/// answers it exactly like the first post).
pub const EVENTS: &str = "flowkeeper_events_total";
/// Timers fired by the timer loop.
pub const TIMERS_FIRED: &str = "flowkeeper_timers_fired_total";
/// How late the last fired timers ran after their due time, seconds.
pub const TIMER_LAG_SECONDS: &str = "flowkeeper_timer_lag_seconds";
/// Webhook deliveries not yet made.
pub const OUTBOX_BACKLOG: &str = "flowkeeper_outbox_backlog";
/// Live instances the stuck check reports.
pub const STUCK_INSTANCES: &str = "flowkeeper_stuck_instances";

const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The handle that renders `/metrics`, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .expect("the bucket list is a non-empty constant");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (an embedding
            // program's); then ours still renders what it records itself.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Times the request, counts it by route and status, and runs it inside a
/// `request` span carrying the method, route and instance id, so every log
/// line of a request can be found by the instance it touched.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
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
