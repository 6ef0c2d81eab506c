//! One command at work inside its write transaction.
//!
//! A [`Change`] is what a [`Command`](super::Command) sees: the instant it
//! runs at, ids made from that instant, the instance it loads (locked), the
//! definition version that instance runs, and [`Change::commit`], the one
//! place an engine [`Outcome`] is written: the instance with its history
//! lines, timers and SLA cycles, its webhook deliveries, the spawns and
//! sends it causes, and its audit entry (appended when the command is done,
//! see `audit.rs`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use uuid::Uuid;

use super::idempotency::Idempotency;
use super::{NotFound, Runtime, RuntimeError, Target};
use crate::audit::AuditDraft;
use crate::engine::{Effect, Instance, Millis, Outcome};
use crate::model::Definition;
use crate::store::{Answer, Delivery, IncidentKind, NewIncident, WriteTx};

/// What a committed change should wake.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Wake {
    /// A timer was set that is due before the timer loop looks again.
    pub timers: bool,
    /// A webhook delivery was queued.
    pub outbox: bool,
}

/// One command's work in progress.
pub struct Change<'a> {
    runtime: &'a Runtime,
    tx: &'a mut WriteTx,
    now: Millis,
    wake: Wake,
    /// Audit entries of this command's changes, appended last.
    pub(super) audit: Vec<AuditDraft>,
}

impl<'a> Change<'a> {
    pub(super) fn new(runtime: &'a Runtime, tx: &'a mut WriteTx, now: Millis) -> Self {
        Self {
            runtime,
            tx,
            now,
            wake: Wake::default(),
            audit: Vec::new(),
        }
    }

    pub(super) fn into_wake(self) -> Wake {
        self.wake
    }

    /// The instant the command runs at.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// A new id stamped with [`Self::now`].
    pub fn new_id(&self) -> Uuid {
        self.runtime.ids.at(self.now)
    }

    pub(super) fn runtime(&self) -> &Runtime {
        self.runtime
    }

    /// The transaction, for statements a command runs besides its outcome.
    pub fn tx(&mut self) -> &mut WriteTx {
        self.tx
    }

    /// Loads (and on PostgreSQL locks) the instance `target` names.
    pub async fn load(&mut self, target: &Target) -> Result<Instance, RuntimeError> {
        match target {
            Target::Id(id) => self.tx.load_instance(*id).await?,
            Target::Key { workflow, key } => self.tx.load_live(workflow, key).await?,
        }
        .ok_or_else(|| RuntimeError::NotFound(NotFound::Instance(target.clone())))
    }

    /// The live instance of `workflow` holding `key`, if any (locked).
    pub async fn load_live(
        &mut self,
        workflow: &str,
        key: &str,
    ) -> Result<Option<Instance>, RuntimeError> {
        Ok(self.tx.load_live(workflow, key).await?)
    }

    /// The definition version `instance` runs, read through the
    /// transaction when it is not known yet.
    pub async fn definition_of(
        &mut self,
        instance: &Instance,
    ) -> Result<Arc<Definition>, RuntimeError> {
        let definitions = &self.runtime.definitions;
        if let Some(definition) = definitions.by_hash(&instance.definition_hash) {
            return Ok(definition);
        }
        let source = self.tx.definition_source(&instance.definition_hash).await?;
        definitions.compile_stored(&instance.definition_hash, &instance.workflow, source)
    }

    /// The current version of `workflow`, which new instances start on.
    pub fn current_definition(&self, workflow: &str) -> Result<Arc<Definition>, RuntimeError> {
        self.runtime.definitions.current(workflow)
    }

    /// Writes `outcome` (inserting the instance when `expected_revision` is
    /// `None`), queues its webhook deliveries, records `audit` (see
    /// `audit::instance_change`) and applies its spawns and sends. Returns
    /// the instance as stored.
    pub async fn commit(
        &mut self,
        outcome: &Outcome,
        expected_revision: Option<i64>,
        audit: AuditDraft,
    ) -> Result<Instance, RuntimeError> {
        let stored = self.write(outcome, expected_revision, audit).await?;
        self.cascade(&stored, &outcome.effects).await?;
        Ok(stored)
    }

    /// Writes `outcome`, queues its deliveries and records `audit`, without
    /// its spawns and sends (the cascade applies those one hop at a time).
    pub(super) async fn write(
        &mut self,
        outcome: &Outcome,
        expected_revision: Option<i64>,
        audit: AuditDraft,
    ) -> Result<Instance, RuntimeError> {
        let stored = self.tx.commit_outcome(outcome, expected_revision).await?;
        self.audit.push(audit);
        for effect in &outcome.effects {
            if let Effect::Notify { webhook, payload } = effect {
                let delivery = Delivery {
                    id: self.new_id(),
                    instance_id: stored.id,
                    webhook,
                    payload,
                    created_at: self.now,
                };
                self.tx.enqueue_delivery(&delivery).await?;
                self.wake.outbox = true;
            }
        }
        let next_round = self.runtime.next_timer_round.load(Ordering::Relaxed);
        if outcome
            .timers_set
            .iter()
            .any(|timer| timer.due_at < next_round)
        {
            self.wake.timers = true;
        }
        Ok(stored)
    }

    /// Wakes the outbox loop once committed: deliveries became due.
    pub fn wake_outbox(&mut self) {
        self.wake.outbox = true;
    }

    /// Opens an incident on `instance_id` for a person to look at.
    pub async fn open_incident(
        &mut self,
        instance_id: Uuid,
        kind: IncidentKind,
        message: &str,
    ) -> Result<(), RuntimeError> {
        let incident = NewIncident {
            id: self.new_id(),
            instance_id,
            kind,
            message,
            created_at: self.now,
        };
        Ok(self.tx.open_incident(&incident).await?)
    }

    /// The answer given before to this idempotent request, if any; a
    /// different request under the same key is refused.
    pub(super) async fn replay(
        &mut self,
        idempotency: Option<&Idempotency>,
    ) -> Result<Option<Answer>, RuntimeError> {
        match idempotency {
            Some(idempotency) => idempotency.replay(self.tx).await,
            None => Ok(None),
        }
    }

    /// Keeps `answer` under the request's key, in this transaction.
    pub(super) async fn remember(
        &mut self,
        idempotency: Option<&Idempotency>,
        answer: &Answer,
    ) -> Result<(), RuntimeError> {
        match idempotency {
            Some(idempotency) => idempotency.remember(self.tx, answer, self.now).await,
            None => Ok(()),
        }
    }
}
