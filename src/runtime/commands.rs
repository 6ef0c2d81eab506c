//! Every change of state, as a command: what it loads, which engine
//! function decides it, what it answers. [`Runtime::execute`] runs any of
//! them inside a given transaction; the methods at the end run one in a
//! transaction of its own.
//!
//! A command owns its data, so it can be handed to another task (which
//! finishes it even when the caller stops waiting) and tried again after a
//! lost race. Who sent it is its [`Principal`]: a signed-in account is
//! authorized here, against the instance as loaded in the transaction, and
//! every change is recorded in the audit log with it.

use serde_json::{Map, Value as Json, json};

use super::audit::instance_change;
use super::change::Change;
use super::idempotency::{self, Idempotency};
use super::{EventReply, Principal, RetryReport, Runtime, RuntimeError, Target};
use crate::audit::{AuditAction, AuditDraft};
use crate::engine::{
    self, Actor, CreateInput, EventInput, Instance, Millis, Outcome, Status, authorize_create,
    authorize_event,
};
use crate::model::Definition;
use crate::store::{Answer, ClaimedTimer, IncidentKind};

/// A change of state, run by [`Runtime::execute`] inside a transaction.
pub trait Command: Send + Sync {
    /// What the command answers.
    type Reply: Send;

    /// Loads what the command changes, runs one engine function on it and
    /// commits the outcome through `change`.
    fn apply(
        &self,
        change: &mut Change<'_>,
    ) -> impl Future<Output = Result<Self::Reply, RuntimeError>> + Send;
}

/// Starts an instance of `workflow` with business key `key`.
///
/// Fails with `KeyInUse` while a live instance holds the key. With an
/// `idempotency_key` (unique per sender), a retry of the same request
/// returns the first answer and a different request with that key fails
/// with `IdempotencyMismatch`.
#[derive(Debug, Clone)]
pub struct CreateInstance {
    pub workflow: String,
    pub key: String,
    pub data: Map<String, Json>,
    pub by: Principal,
    pub idempotency_key: Option<String>,
}

impl Command for CreateInstance {
    type Reply = Instance;

    async fn apply(&self, change: &mut Change<'_>) -> Result<Instance, RuntimeError> {
        let actor = self.by.actor();
        let idempotency = self.idempotency_key.as_deref().map(|idempotency_key| {
            Idempotency::new(
                &actor,
                format!("create:{}", self.workflow),
                idempotency_key,
                &json!({ "key": self.key, "data": self.data }),
            )
        });
        if let Some(answer) = change.replay(idempotency.as_ref()).await? {
            return Ok(EventReply::from(answer).instance);
        }
        let definition = change.current_definition(&self.workflow)?;
        if let Some(account) = self.by.account() {
            authorize_create(&definition, &self.data, account)?;
        }
        if change.load_live(&self.workflow, &self.key).await?.is_some() {
            return Err(RuntimeError::KeyInUse {
                workflow: self.workflow.clone(),
                key: self.key.clone(),
            });
        }
        let input = CreateInput {
            id: change.new_id(),
            key: self.key.as_str().into(),
            data: self.data.clone(),
            actor: actor.to_string().into(),
        };
        let outcome = engine::create(&definition, input, change.now())?;
        let audit = instance_change(
            AuditAction::InstanceCreate,
            &actor,
            self.by.remote_addr(),
            &outcome,
            json!({ "version": definition.version }),
        );
        let instance = change.commit(&outcome, None, audit).await?;
        let answer = Answer::Created(instance.clone());
        change.remember(idempotency.as_ref(), &answer).await?;
        Ok(instance)
    }
}

/// Posts `event` with `data` to the target instance. `event_id` makes the
/// post idempotent like a create's idempotency key; an id is unique per
/// instance and sender, whether the event was posted by id or by business
/// key.
#[derive(Debug, Clone)]
pub struct PostEvent {
    pub target: Target,
    pub event: String,
    pub data: Map<String, Json>,
    pub by: Principal,
    pub event_id: Option<String>,
}

impl Command for PostEvent {
    type Reply = EventReply;

    async fn apply(&self, change: &mut Change<'_>) -> Result<EventReply, RuntimeError> {
        let actor = self.by.actor();
        let idempotency = self.event_id.as_deref().map(|event_id| {
            Idempotency::new(
                &actor,
                idempotency::event_scope(&self.target.to_string()),
                event_id,
                &json!({ "event": self.event, "data": self.data }),
            )
        });
        let input = EventInput {
            name: self.event.as_str().into(),
            data: self.data.clone(),
            actor: actor.to_string().into(),
        };
        let step = |definition: &Definition, instance: &Instance, now: Millis| {
            if let Some(account) = self.by.account() {
                authorize_event(definition, instance, &self.event, account)?;
            }
            let outcome = engine::apply(definition, instance.clone(), &input, now)?;
            let extra = match &self.event_id {
                Some(event_id) => json!({ "event_id": event_id }),
                None => json!({}),
            };
            let audit = instance_change(
                AuditAction::InstanceEvent,
                &actor,
                self.by.remote_addr(),
                &outcome,
                extra,
            );
            Ok((outcome, audit))
        };
        step_existing(change, &self.target, idempotency, step).await
    }
}

/// An administrator ends a live instance where it stands.
#[derive(Debug, Clone)]
pub struct Cancel {
    pub target: Target,
    pub reason: String,
    pub by: Principal,
}

impl Command for Cancel {
    type Reply = EventReply;

    async fn apply(&self, change: &mut Change<'_>) -> Result<EventReply, RuntimeError> {
        self.by.must_be_admin()?;
        let actor = self.by.actor();
        step_existing(change, &self.target, None, |definition, instance, now| {
            let outcome =
                engine::cancel(definition, instance, &self.reason, &actor.to_string(), now)?;
            let audit = instance_change(
                AuditAction::InstanceCancel,
                &actor,
                self.by.remote_addr(),
                &outcome,
                json!({ "reason": self.reason }),
            );
            Ok((outcome, audit))
        })
        .await
    }
}

/// An administrator moves an instance to `state`.
#[derive(Debug, Clone)]
pub struct MoveTo {
    pub target: Target,
    pub state: String,
    pub reason: String,
    pub by: Principal,
}

impl Command for MoveTo {
    type Reply = EventReply;

    async fn apply(&self, change: &mut Change<'_>) -> Result<EventReply, RuntimeError> {
        self.by.must_be_admin()?;
        let actor = self.by.actor();
        step_existing(change, &self.target, None, |definition, instance, now| {
            let name = actor.to_string();
            let outcome =
                engine::move_to(definition, instance, &self.state, &self.reason, &name, now)?;
            let audit = instance_change(
                AuditAction::InstanceMove,
                &actor,
                self.by.remote_addr(),
                &outcome,
                json!({ "from": instance.state, "reason": self.reason }),
            );
            Ok((outcome, audit))
        })
        .await
    }
}

/// The shape of every command on an existing instance: replay an
/// idempotent request, load the instance, run `step` (which authorizes and
/// decides, and says how to audit the outcome), commit, remember.
async fn step_existing(
    change: &mut Change<'_>,
    target: &Target,
    idempotency: Option<Idempotency>,
    step: impl FnOnce(&Definition, &Instance, Millis) -> Result<(Outcome, AuditDraft), RuntimeError>,
) -> Result<EventReply, RuntimeError> {
    if let Some(answer) = change.replay(idempotency.as_ref()).await? {
        return Ok(answer.into());
    }
    let instance = change.load(target).await?;
    let by_instance = idempotency
        .as_ref()
        .and_then(|key| key.for_instance(instance.id));
    if let Some(answer) = change.replay(by_instance.as_ref()).await? {
        return Ok(answer.into());
    }
    let definition = change.definition_of(&instance).await?;
    let (outcome, audit) = step(&definition, &instance, change.now())?;
    let stored = change
        .commit(&outcome, Some(instance.revision), audit)
        .await?;
    let answer = Answer::Changed {
        instance: stored,
        transition: outcome.transition.clone(),
    };
    change.remember(idempotency.as_ref(), &answer).await?;
    change.remember(by_instance.as_ref(), &answer).await?;
    Ok(answer.into())
}

/// For administrators: resolves the instance's open incidents and puts its
/// dead deliveries back in the queue, due now, recorded in its history as
/// `{"action": "retry"}`.
#[derive(Debug, Clone)]
pub struct Retry {
    pub target: Target,
    pub by: Principal,
}

impl Command for Retry {
    type Reply = RetryReport;

    async fn apply(&self, change: &mut Change<'_>) -> Result<RetryReport, RuntimeError> {
        self.by.must_be_admin()?;
        let actor = self.by.actor();
        let instance = change.load(&self.target).await?;
        let now = change.now();
        let incidents_resolved = change.tx().resolve_incidents_of(instance.id, now).await?;
        let deliveries_requeued = change.tx().requeue_dead_outbox(instance.id, now).await?;
        let definition = change.definition_of(&instance).await?;
        let outcome = engine::record_retry(
            &definition,
            &instance,
            incidents_resolved,
            deliveries_requeued,
            &actor.to_string(),
            now,
        );
        let audit = instance_change(
            AuditAction::InstanceRetry,
            &actor,
            self.by.remote_addr(),
            &outcome,
            json!({
                "incidents_resolved": incidents_resolved,
                "deliveries_requeued": deliveries_requeued,
            }),
        );
        change
            .commit(&outcome, Some(instance.revision), audit)
            .await?;
        if deliveries_requeued > 0 {
            change.wake_outbox();
        }
        Ok(RetryReport {
            instance_id: instance.id,
            incidents_resolved,
            deliveries_requeued,
        })
    }
}

/// What became of a claimed timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    /// It fired (its event may still have been ignored, as history says).
    Fired,
    /// It could not fire: dropped, with an incident for a person.
    Refused,
    /// Fired by another runner, re-set, or its instance ended.
    Stale,
}

/// Fires a timer this runner claimed. A timer fires once: the instance must
/// still have it with the claimed due time, and its row is deleted or
/// re-set in the same commit.
#[derive(Debug, Clone)]
pub struct FireTimer(pub ClaimedTimer);

impl Command for FireTimer {
    type Reply = Firing;

    async fn apply(&self, change: &mut Change<'_>) -> Result<Firing, RuntimeError> {
        let timer = &self.0;
        let instance = change.tx().load_instance(timer.instance_id).await?;
        let current = instance.filter(|instance| {
            instance.status == Status::Active
                && instance
                    .timers
                    .iter()
                    .any(|pending| pending.name == timer.name && pending.due_at == timer.due_at)
        });
        let Some(instance) = current else {
            change
                .tx()
                .forget_timer(timer.instance_id, &timer.name, timer.due_at)
                .await?;
            return Ok(Firing::Stale);
        };
        let definition = change.definition_of(&instance).await?;
        let now = change.now();
        let fired = |outcome: &Outcome, extra: Json| {
            let mut detail = json!({ "timer": timer.name });
            if let (Json::Object(detail), Json::Object(extra)) = (&mut detail, extra) {
                detail.extend(extra);
            }
            instance_change(
                AuditAction::InstanceEvent,
                &Actor::Timer,
                None,
                outcome,
                detail,
            )
        };
        match engine::fire_timer(&definition, &instance, &timer.name, now) {
            Ok(outcome) => {
                let audit = fired(&outcome, json!({}));
                change
                    .commit(&outcome, Some(instance.revision), audit)
                    .await?;
                Ok(Firing::Fired)
            }
            Err(rejection) => {
                let reason = rejection.to_string();
                let outcome = engine::drop_timer(&definition, &instance, &timer.name, &reason, now);
                let audit = fired(&outcome, json!({ "refused": reason }));
                change
                    .commit(&outcome, Some(instance.revision), audit)
                    .await?;
                let message = format!("timer `{}` was refused: {reason}", timer.name);
                change
                    .open_incident(instance.id, IncidentKind::Timer, &message)
                    .await?;
                Ok(Firing::Refused)
            }
        }
    }
}

impl Runtime {
    /// Runs [`CreateInstance`].
    pub async fn create(
        &self,
        workflow: &str,
        key: &str,
        data: Map<String, Json>,
        by: impl Into<Principal>,
        idempotency_key: Option<&str>,
    ) -> Result<Instance, RuntimeError> {
        self.run(&CreateInstance {
            workflow: workflow.to_owned(),
            key: key.to_owned(),
            data,
            by: by.into(),
            idempotency_key: idempotency_key.map(str::to_owned),
        })
        .await
    }

    /// Runs [`PostEvent`].
    pub async fn post_event(
        &self,
        target: &Target,
        event: &str,
        data: Map<String, Json>,
        by: impl Into<Principal>,
        event_id: Option<&str>,
    ) -> Result<EventReply, RuntimeError> {
        self.run(&PostEvent {
            target: target.clone(),
            event: event.to_owned(),
            data,
            by: by.into(),
            event_id: event_id.map(str::to_owned),
        })
        .await
    }

    /// Runs [`Cancel`].
    pub async fn cancel(
        &self,
        target: &Target,
        reason: &str,
        by: impl Into<Principal>,
    ) -> Result<EventReply, RuntimeError> {
        self.run(&Cancel {
            target: target.clone(),
            reason: reason.to_owned(),
            by: by.into(),
        })
        .await
    }

    /// Runs [`MoveTo`].
    pub async fn move_to(
        &self,
        target: &Target,
        state: &str,
        reason: &str,
        by: impl Into<Principal>,
    ) -> Result<EventReply, RuntimeError> {
        self.run(&MoveTo {
            target: target.clone(),
            state: state.to_owned(),
            reason: reason.to_owned(),
            by: by.into(),
        })
        .await
    }

    /// Runs [`Retry`].
    pub async fn retry(
        &self,
        target: &Target,
        by: impl Into<Principal>,
    ) -> Result<RetryReport, RuntimeError> {
        self.run(&Retry {
            target: target.clone(),
            by: by.into(),
        })
        .await
    }
}
