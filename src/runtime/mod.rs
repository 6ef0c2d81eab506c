//! The imperative shell around the pure engine.
//!
//! Every change of state is a [`Command`] (create, event, cancel, move,
//! retry, a timer firing), and every command runs through one seam,
//! [`Runtime::execute`]: inside a given [`WriteTx`], at the clock's now, it
//! loads what it changes, runs one pure engine function and commits the
//! outcome with its history line (see `change.rs`). [`Runtime::run`] gives a
//! command a transaction of its own, retried while a concurrent change wins
//! the race. Spawn and send effects are applied in the same transaction;
//! the [`Scheduler`] fires timers and delivers webhooks in the background.
//!
//! A spawn or send the engine rejects does not undo the change that caused
//! it: the cause is a fact already decided, so the runtime commits it and
//! opens an incident on the source instance for a person to look at.

mod accounts;
mod assessment;
mod audit;
mod cascade;
mod change;
mod clock;
mod commands;
mod definitions;
mod error;
mod group_commit;
mod idempotency;
mod ids;
pub mod metrics;
mod outbox;
mod principal;
mod scheduler;
mod sessions;
mod stuck;
mod timers;
mod versions;
mod webhooks;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use serde::Serialize;
use tokio::sync::Notify;
use uuid::Uuid;

pub use accounts::{BOOTSTRAP_ADMIN, TokenGrant};
pub use assessment::AssessmentFailure;
pub use audit::{instance_change, security_report};
pub use change::Change;
pub use clock::{Clock, ManualClock, SystemClock};
pub use commands::{Cancel, Command, CreateInstance, FireTimer, Firing, MoveTo, PostEvent, Retry};
pub use error::{NotFound, RuntimeError};
pub use group_commit::{
    BatchStats, WRITE_BATCHED_COMMANDS, WRITE_BATCHES, WriteConfig, WriteConfigError,
};
pub use ids::Ids;
pub use outbox::{
    ATTEMPT_HEADER, DeliveryRound, IDEMPOTENCY_HEADER, INSTANCE_HEADER, OutboxConfig, RetryReport,
    WEBHOOK_HEADER,
};
pub use principal::Principal;
pub use scheduler::{Scheduler, SchedulerConfig};
pub use sessions::{Authenticated, Credential, NewSession, SignIn};
pub use stuck::{StuckInstance, StuckReason};
pub use versions::{Migrate, Migrated, MigratedInstance, MigrationReport, Refused, Selection};
pub use webhooks::{WebhookConfigError, WebhookTarget, Webhooks};

use crate::accounts::AccountPolicy;
use crate::audit::AuditDraft;
use crate::engine::{Instance, Millis, TransitionRecord};
use crate::model::{Catalog, Definition};
use crate::store::{Answer, Store, StoreError, WriteTx};
use definitions::Definitions;

/// How often a transaction is tried before giving up with `Conflict`.
const MAX_ATTEMPTS: usize = 20;

/// Runs one transaction attempt after another while the store says the
/// failure was a race (a revision conflict, a busy or serialization
/// error), up to [`MAX_ATTEMPTS`]; any other result is final.
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
    /// Vendor lifetimes, the emergency grace, the idle limit
    /// (`[accounts]` of `flowkeeper.toml`).
    pub accounts: AccountPolicy,
    /// How long a sign-in session lasts (12 hours).
    pub session_lifetime: Millis,
    /// Group commit of requests' writes (`[write]` of `flowkeeper.toml`).
    pub write: WriteConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            runner_id: format!("runner-{:016x}", rand::random::<u64>()),
            timer_batch: 100,
            timer_lease: 60_000,
            stuck_grace: 60_000,
            max_cascade_depth: 8,
            outbox: OutboxConfig::default(),
            webhooks: Webhooks::default(),
            accounts: AccountPolicy::default(),
            session_lifetime: 12 * 60 * 60 * 1000,
            write: WriteConfig::default(),
        }
    }
}

/// Which instance a command is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Id(Uuid),
    /// The live instance of `workflow` holding `key`.
    Key {
        workflow: String,
        key: String,
    },
}

/// The id, or `workflow/key`.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Id(id) => write!(f, "{id}"),
            Target::Key { workflow, key } => write!(f, "{workflow}/{key}"),
        }
    }
}

/// What posting an event (or an administrative change) returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventReply {
    /// The instance after the change, with its new revision.
    pub instance: Instance,
    /// The state change, when the step made one (events and timers).
    pub transition: Option<TransitionRecord>,
}

impl From<EventReply> for Answer {
    fn from(reply: EventReply) -> Self {
        Answer::Changed {
            instance: reply.instance,
            transition: reply.transition,
        }
    }
}

impl From<Answer> for EventReply {
    fn from(answer: Answer) -> Self {
        match answer {
            Answer::Created(instance) => EventReply {
                instance,
                transition: None,
            },
            Answer::Changed {
                instance,
                transition,
            } => EventReply {
                instance,
                transition,
            },
        }
    }
}

/// A command's reply, with what its commit should wake; hand it to
/// [`Runtime::committed`] once the transaction committed.
#[derive(Debug)]
#[must_use = "the reply and the wake-up are handed over by Runtime::committed"]
pub struct Executed<R> {
    reply: R,
    wake: change::Wake,
}

/// The runner: the store, the workflow definitions, the clocks and the ids.
pub struct Runtime {
    store: Store,
    definitions: Definitions,
    /// What instances run on: the system clock, or a manual one.
    clock: Arc<dyn Clock>,
    /// The system clock even under a manual `clock`: account expiry,
    /// sessions and the audit log's times are real.
    real_clock: Arc<dyn Clock>,
    ids: Ids,
    config: RuntimeConfig,
    /// When the timer loop looks for due timers next; a commit that sets a
    /// timer due earlier wakes it through `timers_changed`.
    next_timer_round: AtomicI64,
    /// Wakes the timer loop when a commit set a timer due soon.
    timers_changed: Notify,
    /// Wakes the outbox loop when a commit queued a delivery.
    outbox_changed: Notify,
    /// One client for every webhook POST (it pools connections).
    http: reqwest::Client,
    /// Commands waiting to be committed together (`run_detached`).
    group_commit: group_commit::GroupCommit,
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
            real_clock: Arc::new(SystemClock),
            ids: Ids::default(),
            config,
            next_timer_round: AtomicI64::new(Millis::MIN),
            timers_changed: Notify::new(),
            outbox_changed: Notify::new(),
            http: reqwest::Client::new(),
            group_commit: group_commit::GroupCommit::default(),
        })
    }

    /// The same runtime judging expiry and stamping the audit log by
    /// `clock` instead of the system clock (tests of expiry, a simulation).
    pub fn with_real_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.real_clock = clock;
        self
    }

    /// Makes `catalog` current: new instances start on its versions, running
    /// instances keep theirs. Audited as `workflows.reload` by `by`.
    pub async fn reload(
        &self,
        catalog: Catalog,
        by: impl Into<Principal>,
    ) -> Result<(), RuntimeError> {
        save_definitions(&self.store, &catalog, self.clock.now()).await?;
        self.definitions.replace(catalog);
        self.record_reload(&by.into()).await
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

    /// A new id (UUID v7) stamped with the clock's now.
    pub fn new_id(&self) -> Uuid {
        self.ids.at(self.clock.now())
    }

    /// The definition version `instance` runs.
    pub async fn definition_of(
        &self,
        instance: &Instance,
    ) -> Result<Arc<Definition>, RuntimeError> {
        self.stored_definition(&instance.workflow, &instance.definition_hash)
            .await
    }

    /// The version of `workflow` with content hash `hash`, compiled from
    /// the store when not known yet.
    async fn stored_definition(
        &self,
        workflow: &str,
        hash: &str,
    ) -> Result<Arc<Definition>, RuntimeError> {
        if let Some(definition) = self.definitions.by_hash(hash) {
            return Ok(definition);
        }
        let source = self.store.definition_source(hash).await?;
        self.definitions.compile_stored(hash, workflow, source)
    }

    /// The write seam: runs `command` inside `tx` at the clock's now. It
    /// loads what it changes, runs one engine function and writes the
    /// outcome with its history line and audit entry (and what the
    /// outcome's spawns and sends cause). Nothing is committed: several commands may share
    /// `tx` (each under a savepoint of its own), and other writes may join
    /// it. Once `tx` committed, [`Self::committed`] hands the reply over.
    pub async fn execute<C: Command>(
        &self,
        tx: &mut WriteTx,
        command: &C,
    ) -> Result<Executed<C::Reply>, RuntimeError> {
        let mut change = Change::new(self, tx, self.clock.now());
        let reply = command.apply(&mut change).await?;
        change.flush_audit().await?;
        Ok(Executed {
            reply,
            wake: change.into_wake(),
        })
    }

    /// [`Self::execute`] without appending the command's audit entries:
    /// they are returned for the caller to append before it commits (group
    /// commit appends a whole batch's at once, last, so that on PostgreSQL
    /// the chain's head is held only from there to the commit).
    pub(super) async fn execute_keeping_audit<C: Command>(
        &self,
        tx: &mut WriteTx,
        command: &C,
    ) -> Result<(Executed<C::Reply>, Vec<AuditDraft>), RuntimeError> {
        let mut change = Change::new(self, tx, self.clock.now());
        let reply = command.apply(&mut change).await?;
        let audit = std::mem::take(&mut change.audit);
        let executed = Executed {
            reply,
            wake: change.into_wake(),
        };
        Ok((executed, audit))
    }

    /// The reply of a command whose transaction committed; wakes the
    /// scheduler's loops for the timers and deliveries it wrote.
    pub fn committed<R>(&self, executed: Executed<R>) -> R {
        let wake = executed.wake;
        if wake.timers {
            self.timers_changed.notify_one();
        }
        if wake.outbox {
            self.outbox_changed.notify_one();
        }
        executed.reply
    }

    /// Runs `command` in a transaction of its own, again while a concurrent
    /// change wins the race (up to a limit, then `Conflict`). A command that
    /// fails is rolled back before it is tried again or the error returns;
    /// a failure for want of room or of the database marks the store's
    /// writes as failing (see `Store::readiness`).
    pub async fn run<C: Command>(&self, command: &C) -> Result<C::Reply, RuntimeError> {
        let result = retrying(|| async {
            let mut tx = self.store.begin().await?;
            match self.execute(&mut tx, command).await {
                Ok(executed) => {
                    tx.commit().await?;
                    Ok(executed)
                }
                Err(error) => {
                    tx.rollback().await;
                    Err(error)
                }
            }
        })
        .await;
        if let Err(RuntimeError::Store(error)) = &result {
            self.store.note_write_failure(error);
        }
        Ok(self.committed(result?))
    }

    /// Runs `command` for a caller that may stop waiting (a client that
    /// hung up, a request timeout): it never stops the command halfway. It
    /// commits or fails whole, and a retry with the same idempotency key
    /// then finds its answer.
    ///
    /// With group commit on (the default, `[write]`), the command joins the
    /// next batch of concurrent commands sharing one transaction, under a
    /// savepoint of its own, and is answered once that batch committed,
    /// with what it would have been answered alone (see `group_commit.rs`).
    /// Otherwise it runs as [`Self::run`] in a task of its own.
    pub async fn run_detached<C>(self: &Arc<Self>, command: C) -> Result<C::Reply, RuntimeError>
    where
        C: Command + 'static,
        C::Reply: 'static,
    {
        if self.config.write.group_commit {
            return self.group_committed(command).await;
        }
        let runtime = Arc::clone(self);
        match tokio::spawn(async move { runtime.run(&command).await }).await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Only a runtime shutting down cancels the task.
            Err(_) => Err(RuntimeError::Store(StoreError::closed())),
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
