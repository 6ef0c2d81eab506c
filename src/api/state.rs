//! What every handler shares: the runtime, whether its clock is manual, the
//! workflow folder for reloads, the metrics handle and the OpenAPI
//! document. State only: views are built in `views.rs`, the background
//! loops belong to the runtime's scheduler.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::{Mutex, MutexGuard};

use crate::engine::Millis;
use crate::runtime::{self, Runtime};
use crate::store::Store;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

struct Shared {
    runtime: Arc<Runtime>,
    manual_clock: bool,
    workflows: PathBuf,
    metrics: PrometheusHandle,
    openapi: OnceLock<String>,
    /// Serializes clock moves and reloads: two admins advancing at once
    /// must not interleave their timer firing.
    admin: Mutex<()>,
}

impl AppState {
    /// `manual_clock` says whether the runtime runs on a `ManualClock`
    /// (which enables `POST /v1/admin/clock`); `workflows` is the folder
    /// `POST /v1/admin/reload` re-reads.
    pub fn new(runtime: Arc<Runtime>, manual_clock: bool, workflows: PathBuf) -> Self {
        Self(Arc::new(Shared {
            runtime,
            manual_clock,
            workflows,
            metrics: runtime::metrics::handle(),
            openapi: OnceLock::new(),
            admin: Mutex::new(()),
        }))
    }

    pub fn runtime(&self) -> &Runtime {
        &self.0.runtime
    }

    /// The runtime, shared: for commands run in a task of their own
    /// (`Runtime::run_detached`).
    pub fn shared_runtime(&self) -> Arc<Runtime> {
        Arc::clone(&self.0.runtime)
    }

    pub fn store(&self) -> &Store {
        self.0.runtime.store()
    }

    pub fn now(&self) -> Millis {
        self.0.runtime.now()
    }

    /// The workflow folder: reloads re-read it, the assessment reads its
    /// `assessment.toml`.
    pub fn workflows_dir(&self) -> &Path {
        &self.0.workflows
    }

    pub fn manual_clock(&self) -> bool {
        self.0.manual_clock
    }

    /// Held while the clock moves or the workflows reload, one at a time.
    pub(super) async fn exclusive(&self) -> MutexGuard<'_, ()> {
        self.0.admin.lock().await
    }

    pub(super) fn metrics(&self) -> &PrometheusHandle {
        &self.0.metrics
    }

    pub(super) fn set_openapi(&self, document: &utoipa::openapi::OpenApi) {
        let json = document
            .to_pretty_json()
            .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
        let _ = self.0.openapi.set(json);
    }

    pub(super) fn openapi_json(&self) -> String {
        self.0.openapi.get().cloned().unwrap_or_default()
    }
}
