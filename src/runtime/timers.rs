//! Firing due timers: claim a batch with a lease, then fire each in its own
//! transaction. A timer fires once: the firing transaction checks that the
//! instance still has that timer with the claimed due time, and deletes or
//! re-sets the row in the same commit.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::engine::{self, Millis, Outcome, Status};
use crate::store::ClaimedTimer;

use super::{Runtime, RuntimeError, retrying};

impl Runtime {
    /// Fires every timer due now, including those that firings make due,
    /// earliest first. Returns how many fired (stale claims do not count).
    pub async fn fire_due_timers(&self) -> Result<usize, RuntimeError> {
        let mut fired = 0;
        loop {
            let now = self.clock.now();
            let lease_until = now + self.config.timer_lease;
            let batch = self.config.timer_batch;
            let claimed = self
                .store
                .claim_due_timers(now, &self.config.runner_id, lease_until, batch)
                .await?;
            if claimed.is_empty() {
                return Ok(fired);
            }
            for timer in &claimed {
                if self.fire(timer).await? {
                    fired += 1;
                }
            }
        }
    }

    /// On a manual clock: moves time to `at`, firing every timer due by then
    /// in due order, each at its own due time (so a 7-day timer fires at day
    /// 7 and what it schedules is measured from there). Returns how many fired.
    pub async fn advance_to(&self, at: Millis) -> Result<usize, RuntimeError> {
        let manual = self.clock.manual().ok_or(RuntimeError::NotManualClock)?;
        let mut fired = self.fire_due_timers().await?;
        loop {
            let now = self.clock.now();
            match self.store.next_due_at(now).await? {
                // Due now yet unfired: leased by another runner; leave it.
                Some(due) if due > now && due <= at => {
                    manual.set(due);
                    fired += self.fire_due_timers().await?;
                }
                _ => break,
            }
        }
        manual.set(at);
        fired += self.fire_due_timers().await?;
        Ok(fired)
    }

    /// `advance_to(now + by)`.
    pub async fn advance(&self, by: Millis) -> Result<usize, RuntimeError> {
        self.advance_to(self.clock.now() + by.max(0)).await
    }

    /// Runs `fire_due_timers` every `poll` and whenever a commit sets a
    /// timer, until the task is aborted. Errors are logged and retried on
    /// the next round: a lease that ran out lets the timer be claimed again.
    pub fn spawn_timer_loop(self: &Arc<Self>, poll: Duration) -> JoinHandle<()> {
        let runtime = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if let Err(error) = runtime.fire_due_timers().await {
                    tracing::warn!(%error, "firing due timers failed");
                }
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    () = runtime.timers_changed.notified() => {}
                }
            }
        })
    }

    /// Fires one claimed timer; `false` when it was stale or refused.
    async fn fire(&self, timer: &ClaimedTimer) -> Result<bool, RuntimeError> {
        retrying(|| self.try_fire(timer)).await
    }

    async fn try_fire(&self, timer: &ClaimedTimer) -> Result<bool, RuntimeError> {
        let mut tx = self.store.begin().await?;
        let instance = tx.load_instance(timer.instance_id).await?;
        let current = instance.as_ref().filter(|instance| {
            instance.status == Status::Active
                && instance
                    .timers
                    .iter()
                    .any(|pending| pending.name == timer.name && pending.due_at == timer.due_at)
        });
        let Some(instance) = current else {
            // Fired by another runner, re-set, or its instance ended.
            tx.forget_timer(timer.instance_id, &timer.name, timer.due_at)
                .await?;
            tx.commit().await?;
            return Ok(false);
        };
        let definition = self.definition_in(&mut tx, instance).await?;
        let now = self.clock.now();
        match engine::fire_timer(&definition, instance, &timer.name, now) {
            Ok(mut outcome) => {
                let re_set = outcome
                    .timers_set
                    .iter()
                    .any(|pending| pending.name == timer.name);
                if !re_set && !outcome.timers_cancelled.contains(&timer.name) {
                    outcome.timers_cancelled.push(timer.name.clone());
                }
                let stored = tx.commit_outcome(&outcome, Some(instance.revision)).await?;
                self.cascade(&mut tx, &stored, &outcome.effects, now)
                    .await?;
                tx.commit().await?;
                self.note_commit(&outcome);
                Ok(true)
            }
            Err(rejection) => {
                // Drop the timer so it is not claimed forever, and tell a person.
                let mut dropped = instance.clone();
                dropped.timers.retain(|pending| pending.name != timer.name);
                let outcome = Outcome {
                    instance: dropped,
                    history: Vec::new(),
                    transition: None,
                    timers_set: Vec::new(),
                    timers_cancelled: vec![timer.name.clone()],
                    sla_changes: Vec::new(),
                    effects: Vec::new(),
                };
                tx.commit_outcome(&outcome, Some(instance.revision)).await?;
                let message = format!("timer `{}` was refused: {rejection}", timer.name);
                tx.open_incident(instance.id, "timer", &message, now)
                    .await?;
                tx.commit().await?;
                Ok(false)
            }
        }
    }
}
