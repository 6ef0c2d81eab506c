//! Runs one scenario in virtual time through the same [`Runtime`] the
//! server uses, on a fresh in-memory SQLite store and a [`ManualClock`]
//! set to the scenario's start: `create`, `post_event` and `advance` do what
//! they do in production, spawns and sends included, only faster.
//!
//! After each step the expectations are checked against what the store
//! holds; the first step whose expectations fail ends the run (the later
//! ones would only report the same cause again).

use std::collections::BTreeSet;
use std::sync::Arc;

use uuid::Uuid;

use super::check::{self, Mismatch};
use super::failure::{Failure, Stage};
use super::format::{Expect, RejectionKind, Scenario, StepAction, Target};
use super::names;
use crate::engine::{
    AccountName, Actor, Effect, Fires, HistoryData, Instance, NameError, Rejection,
};
use crate::model::Catalog;
use crate::runtime::{self, ManualClock, Runtime, RuntimeError};
use crate::store::{HistoryRecord, InstanceFilter, Store, StoreError};

/// Who scenario steps are posted as, in the instances' history.
pub const ACTOR: &str = "scenario";

/// One SQLite database in memory per scenario: nothing to clean up, and
/// scenarios cannot see each other's instances.
const STORE_URL: &str = "sqlite::memory:";

/// A run that could not be carried out (the store failed): not a verdict
/// on the scenario.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("the scenario actor: {0}")]
    Actor(#[from] NameError),
}

/// What running one scenario showed.
#[derive(Debug)]
pub struct ScenarioRun {
    /// The first step whose expectations failed; `None` when all held.
    pub failure: Option<Failure>,
    /// Every instance's history at the end (workflow, lines), for coverage.
    pub histories: Vec<(String, Vec<HistoryRecord>)>,
    /// Steps refused because no guard held, for guard coverage.
    pub no_guard_held: Vec<GuardRefusal>,
}

/// An event no transition of `state` applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardRefusal {
    pub workflow: String,
    pub state: String,
    pub event: String,
}

/// Runs `scenario` against the workflows of `catalog` (all of them, so that
/// spawns and sends to other workflows work). A scenario naming a state,
/// event, clock, timer or workflow they lack fails before it runs.
pub async fn run(catalog: &Catalog, scenario: &Scenario) -> Result<ScenarioRun, RunError> {
    if let Some(failure) = names::first_unknown(catalog, scenario) {
        return Ok(ScenarioRun {
            failure: Some(failure),
            histories: Vec::new(),
            no_guard_held: Vec::new(),
        });
    }
    let store = Store::connect(STORE_URL).await?;
    let clock = Arc::new(ManualClock::new(scenario.start.at));
    let runtime = Runtime::new(store, catalog.clone(), clock).await?;
    let mut run = Run {
        runtime,
        actor: Actor::Account(AccountName::parse(ACTOR)?),
        no_guard_held: Vec::new(),
    };
    let failure = run.steps(scenario).await?;
    let histories = run.histories().await?;
    Ok(ScenarioRun {
        failure,
        histories,
        no_guard_held: run.no_guard_held,
    })
}

struct Run {
    runtime: Runtime,
    /// [`ACTOR`], as the runtime records it.
    actor: Actor,
    no_guard_held: Vec<GuardRefusal>,
}

/// How a step ended.
enum Done {
    Accepted,
    /// The engine refused; nothing changed.
    Rejected(Rejection),
    /// The runtime could not take the step (no such instance or workflow,
    /// key in use).
    Failed(String),
}

/// The target instance before a step: to tell a refusal changed nothing and
/// which history lines the step added.
struct Before {
    instance: Option<Instance>,
    last_seq: i64,
    /// Incidents in the whole store: a step that opens one has gone wrong
    /// in a way no expectation can ask for (a spawn or send refused).
    incidents: BTreeSet<Uuid>,
}

impl Run {
    async fn steps(&mut self, scenario: &Scenario) -> Result<Option<Failure>, RunError> {
        let start = &scenario.start;
        let target = Target {
            workflow: scenario.workflow.clone(),
            key: start.key.clone(),
        };
        let before = self.before(&target).await?;
        let created = self
            .runtime
            .create(
                &target.workflow,
                &target.key,
                start.data.clone(),
                &self.actor,
                None,
            )
            .await;
        let done = classify(created)?;
        let mismatches = self.check(&target, &start.expect, &done, &before).await?;
        if !mismatches.is_empty() {
            return Ok(Some(Failure {
                file: scenario.file.clone(),
                stage: Stage::Start,
                place: start.place,
                action: format!("create `{}` `{}`", target.workflow, target.key),
                mismatches,
            }));
        }
        for (index, step) in scenario.steps.iter().enumerate() {
            let before = self.before(&step.target).await?;
            let done = self.act(&step.action, &step.target).await?;
            if let Done::Rejected(Rejection::NoGuardHolds { event, state }) = &done {
                self.no_guard_held.push(GuardRefusal {
                    workflow: step.target.workflow.clone(),
                    state: state.clone(),
                    event: event.clone(),
                });
            }
            let mismatches = self
                .check(&step.target, &step.expect, &done, &before)
                .await?;
            if !mismatches.is_empty() {
                return Ok(Some(Failure {
                    file: scenario.file.clone(),
                    stage: Stage::Step(index + 1),
                    place: step.place,
                    action: describe_action(scenario, &step.action, &step.target),
                    mismatches,
                }));
            }
        }
        Ok(None)
    }

    async fn act(&self, action: &StepAction, target: &Target) -> Result<Done, RunError> {
        match action {
            StepAction::Event { name, data } => {
                // By id, not by key: the key only finds live instances, and
                // a scenario may post to one that ended to see it refused.
                let store = self.runtime.store();
                let Some(instance) = store.find_by_key(&target.workflow, &target.key).await? else {
                    let missing =
                        format!("no `{}` instance has key `{}`", target.workflow, target.key);
                    return Ok(Done::Failed(missing));
                };
                let posted = self
                    .runtime
                    .post_event(
                        &runtime::Target::Id(instance.id),
                        name,
                        data.clone(),
                        &self.actor,
                        None,
                    )
                    .await;
                classify(posted)
            }
            StepAction::Advance(duration) => {
                self.runtime.advance(duration.as_millis()).await?;
                Ok(Done::Accepted)
            }
            StepAction::Jump(duration) => {
                self.runtime.jump(duration.as_millis()).await?;
                Ok(Done::Accepted)
            }
        }
    }

    async fn before(&self, target: &Target) -> Result<Before, RunError> {
        let store = self.runtime.store();
        let instance = store.find_by_key(&target.workflow, &target.key).await?;
        let last_seq = match &instance {
            Some(instance) => store
                .history(instance.id)
                .await?
                .last()
                .map_or(0, |record| record.seq),
            None => 0,
        };
        let incidents = store
            .incidents(None, false)
            .await?
            .into_iter()
            .map(|incident| incident.id)
            .collect();
        Ok(Before {
            instance,
            last_seq,
            incidents,
        })
    }

    /// Everything `expect` asks of the step, and what always holds: a
    /// refused step changes nothing, and no step opens an incident.
    async fn check(
        &self,
        target: &Target,
        expect: &Expect,
        done: &Done,
        before: &Before,
    ) -> Result<Vec<Mismatch>, RunError> {
        let store = self.runtime.store();
        let mut found: Vec<Mismatch> = rejection(expect.rejected, done).into_iter().collect();
        let instance = store.find_by_key(&target.workflow, &target.key).await?;
        let revision = |instance: &Option<Instance>| instance.as_ref().map(|i| i.revision);
        if matches!(done, Done::Rejected(_)) && revision(&instance) != revision(&before.instance) {
            found.push(Mismatch::new(
                "refused step changed the instance",
                format!("revision {:?}", revision(&before.instance)),
                format!("revision {:?}", revision(&instance)),
            ));
        }
        match &instance {
            Some(instance) => {
                let since = match &before.instance {
                    Some(earlier) if earlier.id == instance.id => before.last_seq,
                    _ => 0,
                };
                found.extend(self.check_instance(instance, expect, since).await?);
            }
            None if checks_the_instance(expect) => found.push(Mismatch::new(
                "instance",
                format!("`{}` `{}` exists", target.workflow, target.key),
                "no such instance",
            )),
            None => {}
        }
        let opened: Vec<String> = store
            .incidents(None, false)
            .await?
            .into_iter()
            .filter(|incident| !before.incidents.contains(&incident.id))
            .map(|incident| format!("{}: {}", incident.kind, incident.message))
            .collect();
        if !opened.is_empty() {
            found.push(Mismatch::new("incidents", "none", opened.join("; ")));
        }
        found.extend(self.check_spawned(expect).await?);
        Ok(found)
    }

    /// Checks the other instances the step expects to exist.
    async fn check_spawned(&self, expect: &Expect) -> Result<Vec<Mismatch>, RunError> {
        let store = self.runtime.store();
        let mut found = Vec::new();
        for (index, other) in expect.spawned.iter().enumerate() {
            let label = format!("spawned[{}] {}/{}", index + 1, other.workflow, other.key);
            let Some(instance) = store.find_by_key(&other.workflow, &other.key).await? else {
                found.push(Mismatch::new(label, "exists", "no such instance"));
                continue;
            };
            if let Some(state) = &other.state
                && *state != instance.state
            {
                found.push(Mismatch::new(
                    format!("{label}: state"),
                    state,
                    instance.state.as_str(),
                ));
            }
            if let Some(status) = other.status
                && status != instance.status
            {
                let actual = instance.status.as_str();
                found.push(Mismatch::new(
                    format!("{label}: status"),
                    status.as_str(),
                    actual,
                ));
            }
            let prefix = format!("{label}: data");
            found.extend(check::data(&prefix, &other.data, &instance.data));
        }
        Ok(found)
    }

    /// Checks the target instance; `since` is the last history line before
    /// the step, so later `action` lines are the step's.
    async fn check_instance(
        &self,
        instance: &Instance,
        expect: &Expect,
        since: i64,
    ) -> Result<Vec<Mismatch>, RunError> {
        let mut found = Vec::new();
        if let Some(state) = &expect.state
            && *state != instance.state
        {
            found.push(Mismatch::new("state", state, instance.state.as_str()));
        }
        if let Some(status) = expect.status
            && status != instance.status
        {
            found.push(Mismatch::new(
                "status",
                status.as_str(),
                instance.status.as_str(),
            ));
        }
        found.extend(check::data("data", &expect.data, &instance.data));
        if let Some(allowed) = &expect.allowed {
            let definition = self.runtime.definition_of(instance).await?;
            let actual: Vec<String> = definition
                .allowed_events(&instance.state)
                .into_iter()
                .map(str::to_owned)
                .collect();
            found.extend(check::names("allowed", allowed, &actual));
        }
        if let Some(timers) = &expect.timers {
            let actual: Vec<String> = instance
                .timers
                .iter()
                .filter(|timer| matches!(timer.fires, Fires::Event(_)))
                .map(|timer| timer.name.to_string())
                .collect();
            found.extend(check::names("timers", timers, &actual));
        }
        found.extend(check::due_instants(
            instance,
            &expect.sla_due,
            &expect.timer_due,
        ));
        if expect.slas.is_empty() && expect.actions.is_none() && expect.caught_up.is_none() {
            return Ok(found);
        }
        let history = self.runtime.store().history(instance.id).await?;
        let entries: Vec<_> = history.iter().map(|record| record.entry.clone()).collect();
        let cycles = check::sla_cycles(instance, &entries);
        for (clock, expected) in &expect.slas {
            let actual = cycles.get(clock).map(Vec::as_slice).unwrap_or_default();
            found.extend(check::sla(clock, expected, actual));
        }
        if let Some(expected) = &expect.actions {
            let actual: Vec<Effect> = history
                .iter()
                .filter(|record| record.seq > since)
                .filter_map(|record| match &record.entry.data {
                    HistoryData::Action(effect) => Some(effect.clone()),
                    _ => None,
                })
                .collect();
            found.extend(check::actions(expected, &actual));
        }
        if let Some(expected) = &expect.caught_up {
            let lines: Vec<_> = history
                .iter()
                .filter(|record| record.seq > since)
                .map(|record| &record.entry)
                .collect();
            found.extend(check::caught_up(expected, &lines));
        }
        Ok(found)
    }

    /// Every instance in the store with its history.
    async fn histories(&self) -> Result<Vec<(String, Vec<HistoryRecord>)>, RunError> {
        let store = self.runtime.store();
        let mut ids: Vec<(Uuid, String)> = Vec::new();
        let mut filter = InstanceFilter {
            limit: 500,
            ..InstanceFilter::default()
        };
        loop {
            let page = store.list_instances(&filter).await?;
            ids.extend(
                page.instances
                    .into_iter()
                    .map(|i| (i.id, i.workflow.to_string())),
            );
            match page.next_cursor {
                Some(cursor) => filter.cursor = Some(cursor),
                None => break,
            }
        }
        let mut histories = Vec::with_capacity(ids.len());
        for (id, workflow) in ids {
            histories.push((workflow, store.history(id).await?));
        }
        Ok(histories)
    }
}

/// Sorts a runtime answer into accepted, refused by the engine, or not
/// taken; store trouble aborts the run.
fn classify<T>(result: Result<T, RuntimeError>) -> Result<Done, RunError> {
    match result {
        Ok(_) => Ok(Done::Accepted),
        Err(RuntimeError::Rejected(rejection)) => Ok(Done::Rejected(rejection)),
        Err(
            error @ (RuntimeError::NotFound(_)
            | RuntimeError::KeyInUse { .. }
            | RuntimeError::IdempotencyMismatch(_)),
        ) => Ok(Done::Failed(error.to_string())),
        Err(error) => Err(error.into()),
    }
}

/// Compares how the step ended with `rejected`.
fn rejection(expected: Option<RejectionKind>, done: &Done) -> Option<Mismatch> {
    // Named after the key to fix when the file expected a refusal.
    let field = if expected.is_some() {
        "rejected"
    } else {
        "outcome"
    };
    let wanted = expected.map_or_else(|| "accepted".to_owned(), kind_name);
    match (expected, done) {
        (None, Done::Accepted) => None,
        (Some(_), Done::Accepted) => Some(Mismatch::new(field, wanted, "accepted")),
        (_, Done::Rejected(refusal)) => {
            let kind = RejectionKind::of(refusal);
            (kind != expected).then(|| {
                let name = kind.map_or_else(|| "a fault of the workflow".to_owned(), kind_name);
                Mismatch::new(field, wanted, format!("{name}: {refusal}"))
            })
        }
        (_, Done::Failed(message)) => Some(Mismatch::new(field, wanted, message)),
    }
}

fn kind_name(kind: RejectionKind) -> String {
    match kind {
        RejectionKind::EventNotAllowed => "event_not_allowed",
        RejectionKind::NoGuardHolds => "no_guard_holds",
        RejectionKind::DataInvalid => "data_invalid",
        RejectionKind::InstanceEnded => "instance_ended",
    }
    .to_owned()
}

/// Whether `expect` says anything about the target instance itself.
fn checks_the_instance(expect: &Expect) -> bool {
    expect.state.is_some()
        || expect.status.is_some()
        || !expect.data.is_empty()
        || expect.allowed.is_some()
        || !expect.slas.is_empty()
        || expect.timers.is_some()
        || expect.actions.is_some()
        || !expect.sla_due.is_empty()
        || !expect.timer_due.is_empty()
        || expect.caught_up.is_some()
}

fn describe_action(scenario: &Scenario, action: &StepAction, target: &Target) -> String {
    match action {
        StepAction::Advance(duration) => format!("advance {duration}"),
        StepAction::Jump(duration) => format!("jump {duration}"),
        StepAction::Event { name, .. }
            if target.workflow == scenario.workflow && target.key == scenario.start.key =>
        {
            format!("event `{name}`")
        }
        StepAction::Event { name, .. } => {
            format!("event `{name}` to `{}` `{}`", target.workflow, target.key)
        }
    }
}
