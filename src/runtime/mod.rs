//! The imperative shell around the pure engine: load an instance, run one
//! engine step, commit the outcome — in one store transaction, retried when
//! a concurrent change wins the race. Spawn and send effects are applied in
//! that same transaction; timers are fired by `fire_due_timers` (called by
//! the timer loop or, on a manual clock, by `advance_to`).
//!
//! A spawn or send the engine rejects does not undo the change that caused
//! it: the cause is a fact already decided, so the runtime commits it and
//! opens an incident on the source instance for a person to look at.

mod admin;
mod cascade;
mod clock;
mod definitions;
mod error;
mod idempotency;
mod outbox;
mod stuck;
mod timers;
mod webhooks;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};
use tokio::sync::Notify;
use uuid::Uuid;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::RuntimeError;
pub use outbox::{
    ATTEMPT_HEADER, DeliveryRound, IDEMPOTENCY_HEADER, INSTANCE_HEADER, OutboxConfig, RetryReport,
    WEBHOOK_HEADER,
};
pub use stuck::{StuckInstance, StuckReason};
pub use webhooks::{WebhookConfigError, WebhookTarget, Webhooks};

use crate::engine::{
    self, CreateInput, Effect, EventInput, Instance, Millis, Outcome, Rejection, TransitionRecord,
};
use crate::model::{Catalog, Definition};
use crate::store::{Store, WriteTx};
use definitions::Definitions;
use idempotency::Idempotency;

/// How often a transaction is tried before giving up with `Conflict`.
const MAX_ATTEMPTS: usize = 20;

/// Runs one transaction attempt after another while the store says the
/// failure was a race (a revision conflict, a busy or serialization
/// error), up to [`MAX_ATTEMPTS`]; any other result is final. Every write
/// path of the runtime goes through here, so they all retry alike.
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, RuntimeError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RuntimeError>>,
{
    for _ in 0..MAX_ATTEMPTS {
        match attempt().await {
            Err(RuntimeError::Store(error)) if error.is_retryable() => continue,
            result => return result,
        }
    }
    Err(RuntimeError::Conflict)
}

/// Knobs with defaults that suit one server; tests shorten them.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Names this process in timer leases.
    pub runner_id: String,
    /// Timers claimed per round trip.
    pub timer_batch: u32,
    /// How long a claimed timer stays leased; another runner takes it over
    /// after that (this one died).
    pub timer_lease: Millis,
    /// A timer due longer ago than this, still unfired, makes its instance stuck.
    pub stuck_grace: Millis,
    /// How many spawn/send hops one change may cause.
    pub max_cascade_depth: usize,
    /// Retries and leases of webhook deliveries.
    pub outbox: OutboxConfig,
    /// Where each named webhook goes (default: everything to the log).
    pub webhooks: Webhooks,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            runner_id: format!("runner-{}", Uuid::now_v7()),
            timer_batch: 100,
            timer_lease: 60_000,
            stuck_grace: 60_000,
            max_cascade_depth: 8,
            outbox: OutboxConfig::default(),
            webhooks: Webhooks::default(),
        }
    }
}

/// Which instance an event is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Id(Uuid),
    /// The live instance of `workflow` holding `key`.
    Key {
        workflow: String,
        key: String,
    },
}

/// What posting an event (or an administrative change) returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventReply {
    /// The instance after the change, with its new revision.
    pub instance: Instance,
    /// The state change, when the step made one (events and timers).
    pub transition: Option<TransitionRecord>,
}

/// The runner: the store, the workflow definitions and the clock.
pub struct Runtime {
    store: Store,
    definitions: Definitions,
    clock: Arc<dyn Clock>,
    config: RuntimeConfig,
    /// Wakes the timer loop when a commit set a timer.
    timers_changed: Notify,
    /// Wakes the outbox loop when a commit wrote a delivery.
    outbox_changed: Notify,
    /// One client for every webhook POST (it pools connections).
    http: reqwest::Client,
}

impl Runtime {
    /// Starts a runtime with default settings; saves every definition of
    /// `catalog` by hash so instances can keep their version later.
    pub async fn new(
        store: Store,
        catalog: Catalog,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RuntimeError> {
        Self::with_config(store, catalog, clock, RuntimeConfig::default()).await
    }

    pub async fn with_config(
        store: Store,
        catalog: Catalog,
        clock: Arc<dyn Clock>,
        config: RuntimeConfig,
    ) -> Result<Self, RuntimeError> {
        save_definitions(&store, &catalog, clock.now()).await?;
        Ok(Self {
            store,
            definitions: Definitions::new(catalog),
            clock,
            config,
            timers_changed: Notify::new(),
            outbox_changed: Notify::new(),
            http: reqwest::Client::new(),
        })
    }

    /// Makes `catalog` current: new instances start on its versions, running
    /// instances keep theirs.
    pub async fn reload(&self, catalog: Catalog) -> Result<(), RuntimeError> {
        save_definitions(&self.store, &catalog, self.clock.now()).await?;
        self.definitions.replace(catalog);
        Ok(())
    }

    /// The store, for reads (instances, listings, history, incidents).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.definitions.catalog()
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// The definition version `instance` runs.
    pub async fn definition_of(
        &self,
        instance: &Instance,
    ) -> Result<Arc<Definition>, RuntimeError> {
        if let Some(definition) = self.definitions.by_hash(&instance.definition_hash) {
            return Ok(definition);
        }
        let source = self
            .store
            .definition_source(&instance.definition_hash)
            .await?;
        self.compile_stored(instance, source)
    }

    /// Starts an instance of `workflow` with business key `key`.
    ///
    /// Fails with `KeyInUse` while a live instance holds the key. With an
    /// `idempotency_key`, a retry of the same request returns the first
    /// answer and a different request with that key fails with
    /// `IdempotencyMismatch`.
    pub async fn create(
        &self,
        workflow: &str,
        key: &str,
        data: Map<String, Json>,
        actor: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Instance, RuntimeError> {
        let idempotency = idempotency_key.map(|idempotency_key| {
            Idempotency::new(
                format!("create:{workflow}"),
                idempotency_key,
                &json!({ "key": key, "data": data }),
            )
        });
        retrying(|| self.try_create(workflow, key, &data, actor, idempotency.as_ref())).await
    }

    async fn try_create(
        &self,
        workflow: &str,
        key: &str,
        data: &Map<String, Json>,
        actor: &str,
        idempotency: Option<&Idempotency>,
    ) -> Result<Instance, RuntimeError> {
        let mut tx = self.store.begin().await?;
        if let Some(answer) = idempotency::replay(&mut tx, idempotency).await? {
            return Ok(answer);
        }
        let definition = self.definitions.current(workflow)?;
        if tx.load_live(workflow, key).await?.is_some() {
            return Err(RuntimeError::KeyInUse {
                workflow: workflow.to_owned(),
                key: key.to_owned(),
            });
        }
        let now = self.clock.now();
        let input = CreateInput {
            id: Uuid::now_v7(),
            key: key.to_owned(),
            data: data.clone(),
            actor: actor.to_owned(),
        };
        let outcome = engine::create(&definition, input, now)?;
        let instance = tx.commit_outcome(&outcome, None).await?;
        self.cascade(&mut tx, &instance, &outcome.effects, now)
            .await?;
        idempotency::remember(&mut tx, idempotency, &instance, now).await?;
        tx.commit().await?;
        self.note_commit(&outcome);
        Ok(instance)
    }

    /// Posts `event` with `data` to the target instance. `event_id` makes
    /// the post idempotent like `create`'s idempotency key.
    pub async fn post_event(
        &self,
        target: &Target,
        event: &str,
        data: Map<String, Json>,
        actor: &str,
        event_id: Option<&str>,
    ) -> Result<EventReply, RuntimeError> {
        let idempotency = event_id.map(|event_id| {
            Idempotency::new(
                idempotency::event_scope(&target_label(target)),
                event_id,
                &json!({ "event": event, "data": data }),
            )
        });
        let input = EventInput {
            name: event.to_owned(),
            data,
            actor: actor.to_owned(),
        };
        self.change(
            target,
            idempotency.as_ref(),
            &|definition, instance, now| engine::apply(definition, instance, &input, now),
        )
        .await
    }

    /// Cancels a live instance (administrative, recorded in its history).
    pub async fn cancel(
        &self,
        target: &Target,
        reason: &str,
        actor: &str,
    ) -> Result<EventReply, RuntimeError> {
        self.change(target, None, &|definition, instance, now| {
            engine::cancel(definition, instance, reason, actor, now)
        })
        .await
    }

    /// Moves a live instance to `state` (administrative, recorded).
    pub async fn move_to(
        &self,
        target: &Target,
        state: &str,
        reason: &str,
        actor: &str,
    ) -> Result<EventReply, RuntimeError> {
        self.change(target, None, &|definition, instance, now| {
            engine::move_to(definition, instance, state, reason, actor, now)
        })
        .await
    }

    /// Runs one engine step on an existing instance, retrying on races.
    async fn change<F>(
        &self,
        target: &Target,
        idempotency: Option<&Idempotency>,
        step: &F,
    ) -> Result<EventReply, RuntimeError>
    where
        F: Fn(&Definition, &Instance, Millis) -> Result<Outcome, Rejection> + Sync,
    {
        retrying(|| self.try_change(target, idempotency, step)).await
    }

    async fn try_change<F>(
        &self,
        target: &Target,
        idempotency: Option<&Idempotency>,
        step: &F,
    ) -> Result<EventReply, RuntimeError>
    where
        F: Fn(&Definition, &Instance, Millis) -> Result<Outcome, Rejection> + Sync,
    {
        let mut tx = self.store.begin().await?;
        if let Some(answer) = idempotency::replay(&mut tx, idempotency).await? {
            return Ok(answer);
        }
        let instance = self.load_target(&mut tx, target).await?;
        let by_instance = idempotency.and_then(|key| key.for_instance(instance.id));
        if let Some(answer) = idempotency::replay(&mut tx, by_instance.as_ref()).await? {
            return Ok(answer);
        }
        let definition = self.definition_in(&mut tx, &instance).await?;
        let now = self.clock.now();
        let outcome = step(&definition, &instance, now)?;
        let stored = tx.commit_outcome(&outcome, Some(instance.revision)).await?;
        self.cascade(&mut tx, &stored, &outcome.effects, now)
            .await?;
        let reply = EventReply {
            instance: stored,
            transition: outcome.transition.clone(),
        };
        idempotency::remember(&mut tx, idempotency, &reply, now).await?;
        idempotency::remember(&mut tx, by_instance.as_ref(), &reply, now).await?;
        tx.commit().await?;
        self.note_commit(&outcome);
        Ok(reply)
    }

    /// Loads (and on PostgreSQL locks) the instance `target` names.
    async fn load_target(
        &self,
        tx: &mut WriteTx,
        target: &Target,
    ) -> Result<Instance, RuntimeError> {
        match target {
            Target::Id(id) => tx.load_instance(*id).await?,
            Target::Key { workflow, key } => tx.load_live(workflow, key).await?,
        }
        .ok_or_else(|| RuntimeError::NotFound(format!("instance {}", target_label(target))))
    }

    /// The definition `instance` runs, read through `tx` when not cached.
    async fn definition_in(
        &self,
        tx: &mut WriteTx,
        instance: &Instance,
    ) -> Result<Arc<Definition>, RuntimeError> {
        if let Some(definition) = self.definitions.by_hash(&instance.definition_hash) {
            return Ok(definition);
        }
        let source = tx.definition_source(&instance.definition_hash).await?;
        self.compile_stored(instance, source)
    }

    fn compile_stored(
        &self,
        instance: &Instance,
        source: Option<String>,
    ) -> Result<Arc<Definition>, RuntimeError> {
        let hash = &instance.definition_hash;
        let source = source.ok_or_else(|| RuntimeError::NotFound(format!("definition {hash}")))?;
        self.definitions.compile(hash, &instance.workflow, &source)
    }

    /// Wakes the timer loop after a commit that set timers, and the outbox
    /// loop after one that wrote deliveries.
    fn note_commit(&self, outcome: &Outcome) {
        if !outcome.timers_set.is_empty() {
            self.timers_changed.notify_one();
        }
        if outcome
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::Notify { .. }))
        {
            self.outbox_changed.notify_one();
        }
    }
}

async fn save_definitions(
    store: &Store,
    catalog: &Catalog,
    now: Millis,
) -> Result<(), RuntimeError> {
    for definition in catalog.iter() {
        let source = &definition.source;
        store
            .save_definition(
                &source.hash,
                &definition.id,
                definition.version,
                &source.text,
                now,
            )
            .await?;
    }
    Ok(())
}

fn target_label(target: &Target) -> String {
    match target {
        Target::Id(id) => id.to_string(),
        Target::Key { workflow, key } => format!("{workflow}/{key}"),
    }
}
