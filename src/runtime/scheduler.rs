//! The background work of a runtime: firing due timers, delivering
//! webhooks, and upkeep (metrics, disabling emergency accounts whose
//! approval never came). One [`Scheduler`] runs all three loops;
//! `serve` starts it and stops it, tests start the same one.
//!
//! Each loop does a round, then sleeps until its poll interval passes (the
//! timer loop: at most until the next timer is due), a commit wakes it (a
//! timer due before the loop's next round, a queued delivery), or it is
//! told to stop. A round in progress is finished before a loop
//! stops, so no transaction is cut short.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::{Runtime, RuntimeError, metrics};
use crate::engine::Millis;

/// How often each loop runs when nothing wakes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// How often the timer loop looks for due timers: the longest a timer
    /// waits past its due time. `None`: no timer loop, timers fire only
    /// when a manual clock is moved (`serve --manual-clock`).
    pub timer_poll: Option<Duration>,
    /// How often the outbox loop looks for due deliveries.
    pub outbox_poll: Duration,
    /// How often metrics are drained, the gauges read from the database and
    /// overdue emergency accounts disabled.
    pub upkeep_every: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            timer_poll: Some(Duration::from_millis(250)),
            outbox_poll: Duration::from_secs(1),
            upkeep_every: Duration::from_secs(15),
        }
    }
}

/// The running loops; [`Scheduler::stop`] ends them.
#[derive(Debug)]
pub struct Scheduler {
    stop: watch::Sender<bool>,
    loops: JoinSet<()>,
}

/// How long [`Scheduler::stop`] waits for a round in progress (a webhook
/// POST may take its whole timeout) before it cuts the round short. A
/// delivery cut short stays leased and is sent again after its lease.
const STOP_GRACE: Duration = Duration::from_secs(15);

impl Scheduler {
    /// Tells every loop to stop and waits until they did.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let joined = tokio::time::timeout(STOP_GRACE, async {
            while self.loops.join_next().await.is_some() {}
        })
        .await;
        if joined.is_err() {
            tracing::warn!("background loops did not stop in time; cutting them short");
            self.loops.shutdown().await;
        }
    }
}

impl Runtime {
    /// Starts the timer, outbox and upkeep loops on this runtime.
    pub fn start_scheduler(self: &Arc<Self>, config: SchedulerConfig) -> Scheduler {
        let (stop, stopped) = watch::channel(false);
        let mut loops = JoinSet::new();
        if let Some(poll) = config.timer_poll {
            loops.spawn(timer_loop(Arc::clone(self), poll, stopped.clone()));
        }
        loops.spawn(outbox_loop(
            Arc::clone(self),
            config.outbox_poll,
            stopped.clone(),
        ));
        loops.spawn(upkeep_loop(Arc::clone(self), config.upkeep_every, stopped));
        Scheduler { stop, loops }
    }
}

async fn timer_loop(runtime: Arc<Runtime>, poll: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        metrics::record_timer_lag(&runtime).await;
        let wait = match runtime.fire_due_timers().await {
            Ok(_) => until_next_timer(&runtime, poll).await,
            // Not at once again: the database may be down or full.
            Err(error) => {
                if let RuntimeError::Store(error) = &error {
                    runtime.store.note_write_failure(error);
                }
                tracing::error!(%error, "firing due timers failed");
                poll
            }
        };
        let next_round = runtime
            .now()
            .saturating_add(Millis::try_from(wait.as_millis()).unwrap_or(Millis::MAX));
        runtime
            .next_timer_round
            .store(next_round, Ordering::Relaxed);
        if pause(wait, &runtime.timers_changed, &mut stop).await {
            return;
        }
    }
}

/// How long the timer loop may sleep: until the next timer is due, at most
/// `poll`, and not at all when one is due already (it became due after the
/// round's last claim, or its lease ran out). Timers leased to a runner
/// are not counted: their runner fires them, or after the lease another.
async fn until_next_timer(runtime: &Runtime, poll: Duration) -> Duration {
    let now = runtime.now();
    match runtime.store.next_due_at(now).await {
        Ok(Some(due_at)) => {
            let until_due = u64::try_from(due_at.saturating_sub(now)).unwrap_or(0);
            poll.min(Duration::from_millis(until_due))
        }
        Ok(None) => poll,
        Err(error) => {
            tracing::warn!(%error, "cannot read when the next timer is due");
            poll
        }
    }
}

async fn outbox_loop(runtime: Arc<Runtime>, poll: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(error) = runtime.deliver_due_outbox().await {
            tracing::warn!(%error, "delivering webhooks failed");
        }
        if pause(poll, &runtime.outbox_changed, &mut stop).await {
            return;
        }
    }
}

async fn upkeep_loop(runtime: Arc<Runtime>, every: Duration, mut stop: watch::Receiver<bool>) {
    let idle = Notify::new();
    loop {
        metrics::handle().run_upkeep();
        metrics::refresh_gauges(&runtime).await;
        if let Err(error) = runtime.disable_overdue_accounts().await {
            tracing::warn!(%error, "cannot disable overdue emergency accounts");
        }
        if pause(every, &idle, &mut stop).await {
            return;
        }
    }
}

/// Waits for `period`, or until `wake` is notified; `true` when told to
/// stop meanwhile.
async fn pause(period: Duration, wake: &Notify, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(period) => *stop.borrow(),
        () = wake.notified() => *stop.borrow(),
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
    }
}
