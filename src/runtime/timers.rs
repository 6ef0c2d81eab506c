//! Firing due timers: claim a batch with a lease, then run a [`FireTimer`]
//! command for each, in its own transaction. Called by the scheduler's
//! timer loop and, on a manual clock, by `advance_to` (time passing with
//! the server running) and `jump_to` (time passing with it down).

use serde_json::json;

use super::{FireTimer, Firing, Principal, Runtime, RuntimeError, metrics};
use crate::audit::{AuditAction, AuditDraft, rfc3339, target};
use crate::engine::Millis;

impl Runtime {
    /// Fires every timer due now, including those that firings make due,
    /// earliest first. Returns how many fired (stale or refused claims do
    /// not count).
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
                metrics::count_fired(fired);
                return Ok(fired);
            }
            for timer in claimed {
                if self.run(&FireTimer(timer)).await? == Firing::Fired {
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
