//! What the runtime measures, and the process-wide recorder every metric
//! goes to (the `metrics` facade has one). The API renders it at
//! `/metrics` and adds its request metrics.
//!
//! The recorder is installed once per process and shared by every runtime
//! and router built in it; tests that build many see one registry.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::Runtime;

/// Timers fired.
pub const TIMERS_FIRED: &str = "flowkeeper_timers_fired_total";
/// How late the timer loop picked up the earliest due timer, seconds.
pub const TIMER_LAG_SECONDS: &str = "flowkeeper_timer_lag_seconds";
/// Webhook deliveries not yet made.
pub const OUTBOX_BACKLOG: &str = "flowkeeper_outbox_backlog";
/// Workflow files a reload refused (invalid, or changed under an old version).
pub const RELOAD_ERRORS: &str = "flowkeeper_reload_errors_total";
/// Live instances the stuck check reports.
pub const STUCK_INSTANCES: &str = "flowkeeper_stuck_instances";

const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The handle that renders every metric, installing the recorder on first
/// use.
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

/// Counts timers that fired.
pub(super) fn count_fired(fired: usize) {
    metrics::counter!(TIMERS_FIRED).increment(fired as u64);
}

/// Records how late the earliest due timer is being picked up.
pub(super) async fn record_timer_lag(runtime: &Runtime) {
    let now = runtime.now();
    if let Ok(Some(due_at)) = runtime.store.next_due_at(now).await
        && due_at <= now
    {
        metrics::histogram!(TIMER_LAG_SECONDS).record((now - due_at) as f64 / 1000.0);
    }
}

/// Sets the gauges that are read from the database.
pub async fn refresh_gauges(runtime: &Runtime) {
    match runtime.stuck_count().await {
        Ok(stuck) => metrics::gauge!(STUCK_INSTANCES).set(stuck as f64),
        Err(error) => tracing::warn!(%error, "cannot count stuck instances"),
    }
    match runtime.store.outbox_backlog().await {
        Ok(backlog) => metrics::gauge!(OUTBOX_BACKLOG).set(backlog as f64),
        Err(error) => tracing::warn!(%error, "cannot count the outbox backlog"),
    }
}
