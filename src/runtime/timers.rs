//! Firing due timers: claim a batch with a lease in one statement, then
//! fire the batch a few dozen per transaction, each timer a [`FireTimer`]
//! under a savepoint of its own, so that one failing firing is undone
//! alone and tried again by itself while the others commit together. The
//! batch's audit entries are appended last, so that on PostgreSQL the
//! audit chain's head is held only from there to the commit, and several
//! transactions (lanes, one per group of instances) fire at once there.
//! Called by the scheduler's timer loop and, on a manual clock, by
//! `advance_to` (time passing with the server running) and `jump_to` (time
//! passing with it down).

use futures_util::future::join_all;
use serde_json::json;

use super::change::Change;
use super::{Command, Executed, FireTimer, Firing, Principal, Runtime, RuntimeError, metrics};
use crate::audit::{AuditAction, AuditDraft, rfc3339, target};
use crate::engine::Millis;
use crate::store::{ClaimedTimer, WriteTx};

/// Timers fired per transaction: one commit (and one fsync) shared by many
/// firings, yet a transaction short enough that the writers it holds up
/// (SQLite's one writer, an instance's row on PostgreSQL) wait a few
/// milliseconds at most.
const FIRED_PER_TRANSACTION: usize = 50;

/// What firing some claimed timers came to.
#[derive(Debug, Default)]
struct Fired {
    fired: usize,
    /// Timers whose firing failed even alone, each with why. They stay
    /// leased to this runner and are not tried again in this round; the
    /// next round takes them again.
    failed: Vec<(ClaimedTimer, RuntimeError)>,
}

impl Fired {
    fn add(&mut self, other: Fired) {
        self.fired += other.fired;
        self.failed.extend(other.failed);
    }
}

impl Runtime {
    /// Fires every timer due now, including those that firings make due,
    /// earliest first (on PostgreSQL, earliest first per lane), batch after
    /// batch without pausing while timers are due. Returns how many fired
    /// (stale or refused claims do not count). A firing that fails does not
    /// stop the others: the round goes on and returns the first failure at
    /// its end.
    pub async fn fire_due_timers(&self) -> Result<usize, RuntimeError> {
        let mut round = Fired::default();
        let result = self.fire_round(&mut round).await;
        metrics::count_fired(round.fired);
        result?;
        match round.failed.into_iter().next() {
            Some((_, error)) => Err(error),
            None => Ok(round.fired),
        }
    }

    async fn fire_round(&self, round: &mut Fired) -> Result<(), RuntimeError> {
        loop {
            let now = self.clock.now();
            let lease_until = now + self.config.timer_lease;
            let batch = self.config.timer_batch;
            let claimed = self
                .store
                .claim_due_timers(now, &self.config.runner_id, lease_until, batch)
                .await?;
            let claimed: Vec<ClaimedTimer> = claimed
                .into_iter()
                .filter(|timer| round.failed.iter().all(|(failed, _)| failed != timer))
                .collect();
            if claimed.is_empty() {
                return Ok(());
            }
            let lanes = lanes(claimed, self.store.firing_lanes());
            let results = join_all(lanes.iter().map(|lane| self.fire_lane(lane))).await;
            let mut first_error = None;
            for (fired, error) in results {
                round.add(fired);
                first_error = first_error.or(error);
            }
            if let Some(error) = first_error {
                return Err(error);
            }
        }
    }

    /// Fires one lane's timers, [`FIRED_PER_TRANSACTION`] per transaction,
    /// until a transaction fails to begin or commit.
    async fn fire_lane(&self, timers: &[ClaimedTimer]) -> (Fired, Option<RuntimeError>) {
        let mut lane = Fired::default();
        for chunk in timers.chunks(FIRED_PER_TRANSACTION) {
            match self.fire_together(chunk).await {
                Ok(fired) => lane.add(fired),
                Err(error) => return (lane, Some(error)),
            }
        }
        (lane, None)
    }

    /// Fires `timers` in one transaction, each under a savepoint; a firing
    /// that fails is rolled back to its savepoint and, once the others
    /// committed, run alone in a transaction of its own (retried on a lost
    /// race). An error here (the transaction could not begin or commit)
    /// leaves every timer of the batch leased to this runner, unfired, for
    /// the next round.
    async fn fire_together(&self, timers: &[ClaimedTimer]) -> Result<Fired, RuntimeError> {
        let mut tx = self.store.begin().await?;
        let mut committed: Vec<Executed<Firing>> = Vec::with_capacity(timers.len());
        let mut audit = Vec::with_capacity(timers.len());
        let mut alone = Vec::new();
        for timer in timers {
            let command = FireTimer(timer.clone());
            let savepoint = tx.savepoint().await?;
            match self.fire_in(&mut tx, &command).await {
                Ok((executed, drafts)) => {
                    tx.release(savepoint).await?;
                    committed.push(executed);
                    audit.extend(drafts);
                }
                Err(error) => {
                    tracing::debug!(%error, timer = %timer.name, instance = %timer.instance_id,
                        "a firing failed in its batch; trying it alone");
                    tx.rollback_to(savepoint).await?;
                    alone.push(command);
                }
            }
        }
        let at = self.real_now();
        for draft in audit {
            tx.append_audit(draft, at).await?;
        }
        tx.commit().await?;
        let mut fired = Fired::default();
        for executed in committed {
            if self.committed(executed) == Firing::Fired {
                fired.fired += 1;
            }
        }
        for command in alone {
            match self.run(&command).await {
                Ok(Firing::Fired) => fired.fired += 1,
                Ok(Firing::Refused | Firing::Stale) => {}
                Err(error) => {
                    tracing::warn!(%error, timer = %command.0.name,
                        instance = %command.0.instance_id, "firing a timer failed");
                    fired.failed.push((command.0, error));
                }
            }
        }
        Ok(fired)
    }

    /// [`Runtime::execute`] of one firing, its audit entries handed back
    /// rather than appended: the batch appends them all last.
    async fn fire_in(
        &self,
        tx: &mut WriteTx,
        command: &FireTimer,
    ) -> Result<(Executed<Firing>, Vec<AuditDraft>), RuntimeError> {
        let mut change = Change::new(self, tx, self.clock.now());
        let reply = command.apply(&mut change).await?;
        let audit = std::mem::take(&mut change.audit);
        let executed = Executed {
            reply,
            wake: change.into_wake(),
        };
        Ok((executed, audit))
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

/// Splits claimed timers into at most `count` lanes by instance, keeping
/// their order in each: every timer of an instance in the same lane, so
/// that no two lanes wait for each other's instances.
fn lanes(claimed: Vec<ClaimedTimer>, count: usize) -> Vec<Vec<ClaimedTimer>> {
    let count = count.max(1);
    let mut lanes: Vec<Vec<ClaimedTimer>> = vec![Vec::new(); count];
    for timer in claimed {
        let lane = (timer.instance_id.as_u128() % count as u128) as usize;
        lanes[lane].push(timer);
    }
    lanes.retain(|lane| !lane.is_empty());
    lanes
}
