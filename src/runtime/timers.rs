//! Firing due timers: claim a batch with a lease in one statement, then
//! fire the batch a few dozen per transaction, each timer a [`FireTimer`]
//! run through [`Runtime::execute`] under a savepoint of its own, so that
//! one failing firing is undone alone and tried again by itself while the
//! others commit together. Called by the scheduler's timer loop and, on a
//! manual clock, by `advance_to` (time passing with the server running)
//! and `jump_to` (time passing with it down).

use serde_json::json;

use super::{Executed, FireTimer, Firing, Principal, Runtime, RuntimeError, metrics};
use crate::audit::{AuditAction, AuditDraft, rfc3339, target};
use crate::engine::Millis;
use crate::store::ClaimedTimer;

/// Timers fired per transaction: one commit (and one fsync) shared by many
/// firings, yet a transaction short enough that the writers it holds up
/// (SQLite's one writer, the audit chain's head on PostgreSQL) wait a few
/// milliseconds at most.
const FIRED_PER_TRANSACTION: usize = 50;

/// How one call of [`Runtime::fire_due_timers`] went so far.
#[derive(Debug, Default)]
struct Round {
    fired: usize,
    /// Timers whose firing failed even alone: not tried again in this
    /// round (they stay leased to this runner, and the next round takes
    /// them again).
    failed: Vec<ClaimedTimer>,
    /// The first such failure, returned when the round is over.
    error: Option<RuntimeError>,
}

impl Runtime {
    /// Fires every timer due now, including those that firings make due,
    /// earliest first, batch after batch without pausing while timers are
    /// due. Returns how many fired (stale or refused claims do not count).
    /// A firing that fails does not stop the others: the round goes on and
    /// returns the first failure at its end.
    pub async fn fire_due_timers(&self) -> Result<usize, RuntimeError> {
        let mut round = Round::default();
        loop {
            let now = self.clock.now();
            let lease_until = now + self.config.timer_lease;
            let batch = self.config.timer_batch;
            let claimed = match self
                .store
                .claim_due_timers(now, &self.config.runner_id, lease_until, batch)
                .await
            {
                Ok(claimed) => claimed,
                Err(error) => {
                    metrics::count_fired(round.fired);
                    return Err(error.into());
                }
            };
            let claimed: Vec<ClaimedTimer> = claimed
                .into_iter()
                .filter(|timer| !round.failed.contains(timer))
                .collect();
            if claimed.is_empty() {
                break;
            }
            for timers in claimed.chunks(FIRED_PER_TRANSACTION) {
                if let Err(error) = self.fire_together(timers, &mut round).await {
                    metrics::count_fired(round.fired);
                    return Err(error);
                }
            }
        }
        metrics::count_fired(round.fired);
        match round.error {
            Some(error) => Err(error),
            None => Ok(round.fired),
        }
    }

    /// Fires `timers` in one transaction, each under a savepoint; a firing
    /// that fails is rolled back to its savepoint and, once the others
    /// committed, run alone in a transaction of its own (retried on a lost
    /// race). An error here (the transaction could not begin or commit)
    /// leaves every timer of the batch leased to this runner, unfired, for
    /// the next round.
    async fn fire_together(
        &self,
        timers: &[ClaimedTimer],
        round: &mut Round,
    ) -> Result<(), RuntimeError> {
        let mut tx = self.store.begin().await?;
        tx.lock_claimed_instances(timers).await?;
        let mut committed: Vec<Executed<Firing>> = Vec::with_capacity(timers.len());
        let mut alone = Vec::new();
        for timer in timers {
            let command = FireTimer(timer.clone());
            let savepoint = tx.savepoint().await?;
            match self.execute(&mut tx, &command).await {
                Ok(executed) => {
                    tx.release(savepoint).await?;
                    committed.push(executed);
                }
                Err(error) => {
                    tracing::debug!(%error, timer = %timer.name, instance = %timer.instance_id,
                        "a firing failed in its batch; trying it alone");
                    tx.rollback_to(savepoint).await?;
                    alone.push(command);
                }
            }
        }
        tx.commit().await?;
        for executed in committed {
            if self.committed(executed) == Firing::Fired {
                round.fired += 1;
            }
        }
        for command in alone {
            match self.run(&command).await {
                Ok(Firing::Fired) => round.fired += 1,
                Ok(Firing::Refused | Firing::Stale) => {}
                Err(error) => {
                    tracing::warn!(%error, timer = %command.0.name,
                        instance = %command.0.instance_id, "firing a timer failed");
                    round.failed.push(command.0);
                    if round.error.is_none() {
                        round.error = Some(error);
                    }
                }
            }
        }
        Ok(())
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

    /// An administrator moves the manual clock to `at`: recorded as
    /// `clock.move` (from, to, and whether it jumped) before the timers due
    /// by then fire, each in its own transaction, as [`Self::advance_to`]
    /// (or, with `jump`, [`Self::jump_to`]) says.
    pub async fn move_clock(
        &self,
        at: Millis,
        jump: bool,
        by: impl Into<Principal>,
    ) -> Result<usize, RuntimeError> {
        self.clock.manual().ok_or(RuntimeError::NotManualClock)?;
        let by = by.into();
        let from = self.clock.now();
        let draft = AuditDraft::new(
            AuditAction::ClockMove,
            by.actor().to_string(),
            target::CLOCK,
        )
        .with_detail(json!({ "from": rfc3339(from), "to": rfc3339(at.max(from)), "jump": jump }))
        .with_remote_addr(by.remote_addr().map(str::to_owned));
        self.record(draft).await?;
        if jump {
            self.jump_to(at).await
        } else {
            self.advance_to(at).await
        }
    }

    /// `advance_to(now + by)`.
    pub async fn advance(&self, by: Millis) -> Result<usize, RuntimeError> {
        self.advance_to(self.clock.now() + by.max(0)).await
    }

    /// On a manual clock: moves time to `at` at once, as if the server had
    /// been down until then: nothing fires on the way, then every timer due
    /// by `at` fires, late — a recurring timer more than a period late
    /// catches up as its `catch_up` says (once, by default). Returns how
    /// many fired.
    pub async fn jump_to(&self, at: Millis) -> Result<usize, RuntimeError> {
        let manual = self.clock.manual().ok_or(RuntimeError::NotManualClock)?;
        manual.set(at);
        self.fire_due_timers().await
    }

    /// `jump_to(now + by)`.
    pub async fn jump(&self, by: Millis) -> Result<usize, RuntimeError> {
        self.jump_to(self.clock.now() + by.max(0)).await
    }
}
