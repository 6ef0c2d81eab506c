//! What every handler shares: the runtime, the manual clock when there is
//! one, the workflow folder for reloads, the metrics handle and the
//! OpenAPI document. Also the background loops `serve` runs, since they
//! drive the same runtime and feed the same metrics.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration as StdDuration;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::{Mutex, watch};

use super::metrics as names;
use super::problem::Problem;
use super::wire::{IncidentView, InstancePage, InstanceView, StuckView};
use crate::engine::{Instance, Millis};
use crate::model::Catalog;
use crate::runtime::{Runtime, StuckReason, Target};
use crate::store::{Cursor, InstanceFilter, Store};

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
            metrics: names::handle(),
            openapi: OnceLock::new(),
            admin: Mutex::new(()),
        }))
    }

    pub fn runtime(&self) -> &Runtime {
        &self.0.runtime
    }

    pub fn store(&self) -> &Store {
        self.0.runtime.store()
    }

    pub fn now(&self) -> Millis {
        self.0.runtime.now()
    }

    /// The workflow folder: reloads re-read it, the assessment reads its
    /// `assessment.toml`.
    pub fn workflows_dir(&self) -> &std::path::Path {
        &self.0.workflows
    }

    pub fn manual_clock(&self) -> bool {
        self.0.manual_clock
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

    /// The instance at `target`, or 404.
    pub(super) async fn instance(&self, target: &Target) -> Result<Instance, Problem> {
        let store = self.store();
        let found = match target {
            Target::Id(id) => store.get_instance(*id).await,
            Target::Key { workflow, key } => store.find_by_key(workflow, key).await,
        }
        .map_err(Problem::from)?;
        found.ok_or_else(|| match target {
            Target::Id(id) => Problem::not_found(format!("no instance {id}")),
            Target::Key { workflow, key } => {
                Problem::not_found(format!("no instance of `{workflow}` with key `{key}`"))
            }
        })
    }

    /// The wire view of `instance`, with the events its own version accepts
    /// and its oldest open incident.
    pub(super) async fn view(&self, instance: &Instance) -> Result<InstanceView, Problem> {
        let definition = self
            .runtime()
            .definition_of(instance)
            .await
            .map_err(Problem::from)?;
        let incident = self
            .store()
            .incidents(Some(instance.id), true)
            .await
            .map_err(Problem::from)?
            .into_iter()
            .min_by_key(|incident| incident.created_at)
            .map(|incident| IncidentView {
                id: incident.id.hyphenated().to_string(),
                kind: incident.kind,
                message: incident.message,
                created_at: super::wire::timestamp(incident.created_at),
            });
        Ok(InstanceView::new(instance, Some(&definition), incident))
    }

    /// Every stuck instance with its reasons.
    pub(super) async fn stuck(&self) -> Result<Vec<StuckView>, Problem> {
        let mut views = Vec::new();
        for (instance, reasons) in self.stuck_instances().await? {
            views.push(StuckView {
                instance: self.view(&instance).await?,
                reasons,
            });
        }
        Ok(views)
    }

    /// The stuck instances, loaded, with their reasons in words. An
    /// instance that ended between the check and the load is left out.
    async fn stuck_instances(&self) -> Result<Vec<(Instance, Vec<String>)>, Problem> {
        let stuck = self.runtime().stuck().await.map_err(Problem::from)?;
        let mut loaded = Vec::with_capacity(stuck.len());
        for entry in stuck {
            if let Some(instance) = self
                .store()
                .get_instance(entry.id)
                .await
                .map_err(Problem::from)?
            {
                let reasons = entry
                    .reasons
                    .iter()
                    .map(|reason| describe(reason, &entry.state))
                    .collect();
                loaded.push((instance, reasons));
            }
        }
        Ok(loaded)
    }

    /// `GET /v1/instances?stuck=true`: the stuck list, filtered and paged
    /// like any listing (newest first, cursor = last id shown).
    pub(super) async fn stuck_page(
        &self,
        filter: &InstanceFilter,
    ) -> Result<InstancePage, Problem> {
        let mut stuck: Vec<Instance> = self
            .stuck_instances()
            .await?
            .into_iter()
            .map(|(instance, _)| instance)
            .filter(|instance| {
                filter
                    .workflow
                    .as_ref()
                    .is_none_or(|workflow| &instance.workflow == workflow)
                    && filter
                        .state
                        .as_ref()
                        .is_none_or(|state| &instance.state == state)
                    && filter.key.as_ref().is_none_or(|key| &instance.key == key)
                    && filter.status.is_none_or(|status| instance.status == status)
            })
            .collect();
        stuck.sort_by_key(|instance| std::cmp::Reverse(instance.id));
        let after = filter.cursor.as_ref().map(Cursor::last_id);
        let mut page: Vec<Instance> = stuck
            .into_iter()
            .filter(|instance| after.is_none_or(|after| instance.id < after))
            .take(filter.limit as usize + 1)
            .collect();
        let more = page.len() > filter.limit as usize;
        page.truncate(filter.limit as usize);
        let next_cursor = more
            .then(|| page.last().map(|last| Cursor::after(last.id).encode()))
            .flatten();
        let mut items = Vec::with_capacity(page.len());
        for instance in &page {
            items.push(self.view(instance).await?);
        }
        Ok(InstancePage { items, next_cursor })
    }

    /// Re-reads the workflow folder; on any error nothing changes.
    pub(super) async fn reload(&self) -> Result<Arc<Catalog>, Problem> {
        let _guard = self.0.admin.lock().await;
        let folder = self.0.workflows.clone();
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
        self.runtime()
            .reload(catalog)
            .await
            .map_err(Problem::from)?;
        Ok(self.runtime().catalog())
    }

    /// Moves the manual clock to `target` and fires every timer due by then,
    /// in due order, so each timer sees the time it was due at.
    pub(super) async fn advance_to(&self, target: Millis) -> Result<(), Problem> {
        let _guard = self.0.admin.lock().await;
        let fired = self
            .runtime()
            .advance_to(target)
            .await
            .map_err(Problem::from)?;
        metrics::counter!(names::TIMERS_FIRED).increment(fired as u64);
        Ok(())
    }

    /// Sets the gauges that are read from the database.
    pub(super) async fn refresh_gauges(&self) {
        match self.runtime().stuck().await {
            Ok(stuck) => metrics::gauge!(names::STUCK_INSTANCES).set(stuck.len() as f64),
            Err(error) => tracing::warn!(%error, "cannot count stuck instances"),
        }
        match self.store().outbox_backlog().await {
            Ok(backlog) => metrics::gauge!(names::OUTBOX_BACKLOG).set(backlog as f64),
            Err(error) => tracing::warn!(%error, "cannot count the outbox backlog"),
        }
    }

    /// Fires due timers until `stop` turns true, recording how late the
    /// earliest due timer was picked up. Under the manual clock timers fire
    /// only when the clock is moved, so this loop does nothing.
    pub(super) async fn run_timers(self, mut stop: watch::Receiver<bool>) {
        if self.manual_clock() {
            return;
        }
        loop {
            let now = self.now();
            if let Ok(Some(due_at)) = self.store().next_due_at(now).await
                && due_at <= now
            {
                metrics::histogram!(names::TIMER_LAG_SECONDS)
                    .record((now - due_at) as f64 / 1000.0);
            }
            match self.runtime().fire_due_timers().await {
                Ok(fired) => metrics::counter!(names::TIMERS_FIRED).increment(fired as u64),
                Err(error) => tracing::error!(%error, "timer loop"),
            }
            if sleep_or_stop(&mut stop, super::serve::TIMER_POLL).await {
                return;
            }
        }
    }

    /// Housekeeping for the metrics: drains histogram buffers and refreshes
    /// the gauges, every 15 s.
    pub(super) async fn run_upkeep(self, mut stop: watch::Receiver<bool>) {
        loop {
            self.metrics().run_upkeep();
            self.refresh_gauges().await;
            if sleep_or_stop(&mut stop, StdDuration::from_secs(15)).await {
                return;
            }
        }
    }
}

/// Sleeps `period`; `true` when told to stop meanwhile.
async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, period: StdDuration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(period) => *stop.borrow(),
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
    }
}

/// A stuck reason in words, for people reading the admin page.
fn describe(reason: &StuckReason, state: &str) -> String {
    use super::wire::timestamp;
    match reason {
        StuckReason::OpenIncidents { count } => format!("{count} open incident(s)"),
        StuckReason::TimerOverdue { due_at } => {
            format!("a timer due at {} has not fired", timestamp(*due_at))
        }
        StuckReason::Idle { since, stuck_after } => format!(
            "in `{state}` since {}, longer than its stuck_after of {}",
            timestamp(*since),
            crate::model::Duration::from_millis(*stuck_after).map_or_else(
                || format!("{stuck_after}ms"),
                |duration| duration.to_string()
            )
        ),
        StuckReason::SlaOverdue { sla, cycle, due_at } => {
            format!(
                "SLA `{sla}` (cycle {cycle}) was due at {}",
                timestamp(*due_at)
            )
        }
        StuckReason::NoWayOut => format!("no event or transition can leave `{state}`"),
    }
}
