//! Group commit: the commands of concurrent requests share one transaction.
//!
//! One event per transaction pays a `BEGIN`, a `COMMIT` (a WAL append or an
//! fsync) and, on SQLite, the file's single write lock for every request.
//! Here a request's command goes into a queue; a writer task takes every
//! command waiting (up to `max_batch`), runs each through the one write
//! seam, [`Runtime::execute`], inside one transaction, and commits once.
//! Commands that arrive while a batch commits wait for the next batch, so
//! the batch grows with the load and a lone request goes through at once.
//!
//! What holds, as with a transaction per command:
//!
//! - A request is answered only after its batch's `COMMIT` returned.
//! - Each command runs under a savepoint of its own: a refusal (the engine
//!   said no, an unknown instance, a key in use) undoes that command only;
//!   the others of the batch commit.
//! - Commands run in arrival order, so two events for one instance in one
//!   batch apply in the order they came; each sees what the earlier ones
//!   wrote (an idempotent retry finds the first answer, a second create of
//!   a key finds it in use).
//! - The history lines are written by the commands themselves, in order,
//!   exactly as alone; their audit entries are appended in the same order
//!   at the end of the batch, in three statements, so that on PostgreSQL
//!   the chain's head (a locked row) is held only for the commit and other
//!   writers' batches run meanwhile.
//! - A command that lost a race (a revision or unique-key conflict, a
//!   deadlock, a busy database) and everything queued behind it in the
//!   batch run alone once the batch committed, in order, each retried as
//!   [`Runtime::run`] retries. A batch that fails as a whole (its `BEGIN`,
//!   a savepoint or its `COMMIT`) is split the same way, so every request
//!   gets the answer it would have had alone; only a `COMMIT` whose fate is
//!   unknown (the connection broke) is not run again, and its requests are
//!   told the database is unavailable.
//!
//! SQLite has one writer per file, so there is one writer task; PostgreSQL
//! gets up to `writers` of them, each batching on a connection of its own.
//! Writer tasks exist only while there is work: the last one leaves when
//! the queue is empty, and the next request starts one again.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use tokio::sync::oneshot;

use super::{Command, Executed, Runtime, RuntimeError};
use crate::audit::AuditDraft;
use crate::store::{Backend, StoreError, WriteTx};

/// The `[write]` section of `flowkeeper.toml`: how requests' writes are
/// committed. Every key has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WriteConfig {
    /// Commit concurrent requests together (`group_commit`, default `true`);
    /// `false` gives every request a transaction of its own.
    pub group_commit: bool,
    /// The most commands in one transaction (`max_batch`, default 128).
    pub max_batch: usize,
    /// PostgreSQL: writer tasks batching at once, each on a connection of
    /// its own (`writers`, default 4). SQLite always has one.
    pub writers: usize,
}

impl Default for WriteConfig {
    fn default() -> Self {
        Self {
            group_commit: true,
            max_batch: 128,
            writers: 4,
        }
    }
}

/// Why a `[write]` section was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteConfigError {
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error("[write] {0} must be at least 1")]
    Zero(&'static str),
    #[error("[write] max_batch must be between 1 and {MAX_BATCH}")]
    MaxBatch,
}

/// The largest `max_batch`: a batch's audit entries go in one statement,
/// eight parameters each, within SQLite's limit of 32 766.
pub const MAX_BATCH: usize = 1000;

impl WriteConfig {
    /// The `[write]` section of a settings file's text (defaults for what it
    /// leaves out); other sections are ignored.
    pub fn from_settings(text: &str) -> Result<Self, WriteConfigError> {
        #[derive(Deserialize)]
        struct Settings {
            #[serde(default)]
            write: WriteConfig,
        }
        let write = toml::from_str::<Settings>(text)?.write;
        if !(1..=MAX_BATCH).contains(&write.max_batch) {
            return Err(WriteConfigError::MaxBatch);
        }
        if write.writers == 0 {
            return Err(WriteConfigError::Zero("writers"));
        }
        Ok(write)
    }
}

/// A command's answer as its caller receives it; a panic inside the
/// command travels back to the caller, as it would have in its own task.
type Answer<R> = std::thread::Result<Result<R, RuntimeError>>;

/// The queue of commands waiting for a writer, and how many writers run.
#[derive(Default)]
pub(super) struct GroupCommit {
    queue: Mutex<Queue>,
    /// Transactions committed with more than one command in them.
    batches: AtomicU64,
    /// Commands those transactions held.
    batched_commands: AtomicU64,
}

/// How much group commit shared: transactions that held more than one
/// command, and how many commands they held (for benchmarks and tests;
/// `/metrics` has the same as `flowkeeper_write_batches_total` and
/// `flowkeeper_write_batched_commands_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    pub batches: u64,
    pub commands: u64,
}

/// Committed transactions that held more than one command.
pub const WRITE_BATCHES: &str = "flowkeeper_write_batches_total";
/// Commands committed in those transactions.
pub const WRITE_BATCHED_COMMANDS: &str = "flowkeeper_write_batched_commands_total";

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Box<dyn Job>>,
    /// Writer tasks running; each leaves when it finds `jobs` empty.
    writers: usize,
}

impl Runtime {
    /// Queues `command` for the next batch and waits for its answer, given
    /// once the batch committed. The command is the queue's from here: a
    /// caller that stops waiting does not stop it.
    pub(super) async fn group_committed<C>(
        self: &Arc<Self>,
        command: C,
    ) -> Result<C::Reply, RuntimeError>
    where
        C: Command + 'static,
        C::Reply: 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            command,
            reply,
            ran: None,
            audit: Vec::new(),
        });
        let start_writer = {
            let mut queue = self.lock_queue();
            queue.jobs.push_back(job);
            let wanted = queue.writers < self.max_writers();
            if wanted {
                queue.writers += 1;
            }
            wanted
        };
        if start_writer {
            tokio::spawn(write_batches(Arc::clone(self)));
        }
        match answer.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The writer was dropped with the job: the runtime shuts down.
            Err(_) => Err(RuntimeError::Store(StoreError::closed())),
        }
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.group_commit
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// What group commit shared since the runtime started.
    pub fn batch_stats(&self) -> BatchStats {
        BatchStats {
            batches: self.group_commit.batches.load(Ordering::Relaxed),
            commands: self.group_commit.batched_commands.load(Ordering::Relaxed),
        }
    }

    /// Counts a committed batch of `commands` commands.
    fn count_batch(&self, commands: usize) {
        let commands = commands as u64;
        self.group_commit.batches.fetch_add(1, Ordering::Relaxed);
        self.group_commit
            .batched_commands
            .fetch_add(commands, Ordering::Relaxed);
        metrics::counter!(WRITE_BATCHES).increment(1);
        metrics::counter!(WRITE_BATCHED_COMMANDS).increment(commands);
    }

    /// SQLite admits one writer per file; PostgreSQL as many as configured.
    fn max_writers(&self) -> usize {
        match self.store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => self.config.write.writers,
        }
    }

    /// The next batch: every queued command up to `max_batch`; `None` (and
    /// this writer is counted out) when the queue is empty.
    fn next_batch(&self) -> Option<Vec<Box<dyn Job>>> {
        let mut queue = self.lock_queue();
        if queue.jobs.is_empty() {
            queue.writers -= 1;
            return None;
        }
        let take = queue.jobs.len().min(self.config.write.max_batch);
        Some(queue.jobs.drain(..take).collect())
    }
}

/// A writer task: runs batches until the queue is empty.
async fn write_batches(runtime: Arc<Runtime>) {
    let mut writer = Writer {
        runtime,
        done: false,
    };
    while let Some(batch) = writer.runtime.next_batch() {
        run_batch(&writer.runtime, batch).await;
    }
    writer.done = true;
}

/// Counts a writer out should its task end otherwise than by finding the
/// queue empty (a panic outside the commands, a runtime shutting down), and
/// starts another for what is still queued.
struct Writer {
    runtime: Arc<Runtime>,
    done: bool,
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let restart = {
            let mut queue = self.runtime.lock_queue();
            let restart = !queue.jobs.is_empty();
            if !restart {
                queue.writers -= 1;
            }
            restart
        };
        if restart && let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(write_batches(Arc::clone(&self.runtime)));
        }
    }
}

/// One batch: a transaction with a savepoint per command, one commit, then
/// the answers; what could not be decided in the batch runs alone after.
async fn run_batch(runtime: &Runtime, batch: Vec<Box<dyn Job>>) {
    if batch.len() == 1 {
        for job in batch {
            job.run_alone(runtime).await;
        }
        return;
    }
    let Ok(mut tx) = runtime.store.begin().await else {
        // Alone, each meets (and is answered with) its own error.
        return run_each_alone(runtime, batch).await;
    };
    let mut ran: Vec<Box<dyn Job>> = Vec::with_capacity(batch.len());
    let mut waiting = batch.into_iter();
    while let Some(mut job) = waiting.next() {
        if tx.mark().await.is_err() {
            tx.rollback().await;
            ran.push(job);
            ran.extend(waiting);
            return run_each_alone(runtime, ran).await;
        }
        let ran_how = job.execute(runtime, &mut tx).await;
        let kept = match ran_how {
            Ran::Done => tx.keep_mark().await,
            Ran::Refused | Ran::LostRace => tx.undo_to_mark().await,
            Ran::Panicked => {
                // The transaction may be cut mid-statement: give it up.
                tx.rollback().await;
                job.answer(runtime);
                ran.extend(waiting);
                return run_each_alone(runtime, ran).await;
            }
        };
        if kept.is_err() {
            tx.rollback().await;
            ran.push(job);
            ran.extend(waiting);
            return run_each_alone(runtime, ran).await;
        }
        if ran_how == Ran::LostRace {
            // Alone after the commit, in order, behind what ran before.
            let mut after = vec![job];
            after.extend(waiting);
            return commit_batch(runtime, tx, ran, after).await;
        }
        ran.push(job);
    }
    commit_batch(runtime, tx, ran, Vec::new()).await;
}

/// Appends the audit entries of `ran`, commits and answers each of its
/// commands, then runs `after` alone.
async fn commit_batch(
    runtime: &Runtime,
    mut tx: WriteTx,
    mut ran: Vec<Box<dyn Job>>,
    after: Vec<Box<dyn Job>>,
) {
    let audit: Vec<AuditDraft> = ran.iter_mut().flat_map(|job| job.take_audit()).collect();
    let committed = match tx.append_audits(audit, runtime.real_now()).await {
        Ok(()) => tx.commit().await,
        Err(error) => {
            tx.rollback().await;
            Err(error)
        }
    };
    match committed {
        Ok(()) => {
            if ran.len() > 1 {
                runtime.count_batch(ran.len());
            }
            for job in ran {
                job.answer(runtime);
            }
        }
        Err(error) if commit_fate_unknown(&error) => {
            runtime.store.note_write_failure(&error);
            for job in ran {
                job.fail(unavailable(&error));
            }
        }
        // Rolled back for sure: alone, each gets its own answer.
        Err(_) => run_each_alone(runtime, ran).await,
    }
    run_each_alone(runtime, after).await;
}

async fn run_each_alone(runtime: &Runtime, jobs: Vec<Box<dyn Job>>) {
    for job in jobs {
        job.run_alone(runtime).await;
    }
}

/// Whether a failed `COMMIT` may have committed all the same: the
/// connection broke before the answer came. A database that answered with
/// an error (disk full, a serialization failure) rolled back.
fn commit_fate_unknown(error: &StoreError) -> bool {
    matches!(error, StoreError::Database(error) if error.as_database_error().is_none())
}

/// The error a request of a batch whose commit's fate is unknown gets:
/// the database is unavailable, as for the request whose driver error it
/// copies (sqlx errors cannot be cloned).
fn unavailable(error: &StoreError) -> RuntimeError {
    RuntimeError::Store(StoreError::Database(sqlx::Error::Protocol(format!(
        "the commit of this request's batch failed: {error}"
    ))))
}

/// How a command ran inside the batch's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    /// It wrote its change; its answer waits for the commit.
    Done,
    /// It was refused (or failed in a way running it again would not
    /// mend): its savepoint is undone, its answer is the error.
    Refused,
    /// It lost a race with another transaction: undone, to run alone.
    LostRace,
    /// It panicked: the panic goes back to its caller.
    Panicked,
}

/// A queued command with its reply channel, its type erased so that one
/// batch holds commands of any kind.
trait Job: Send {
    /// Runs the command inside `tx` and keeps what came of it.
    fn execute<'a>(&'a mut self, runtime: &'a Runtime, tx: &'a mut WriteTx) -> BoxFuture<'a, Ran>;
    /// The audit entries of what [`Self::execute`] changed, to append.
    fn take_audit(&mut self) -> Vec<AuditDraft>;
    /// Hands over what [`Self::execute`] kept, the transaction committed.
    fn answer(self: Box<Self>, runtime: &Runtime);
    /// Answers with `error`.
    fn fail(self: Box<Self>, error: RuntimeError);
    /// Runs the command in a transaction of its own ([`Runtime::run`]) and
    /// answers.
    fn run_alone<'a>(self: Box<Self>, runtime: &'a Runtime) -> BoxFuture<'a, ()>;
}

struct Pending<C: Command> {
    command: C,
    reply: oneshot::Sender<Answer<C::Reply>>,
    /// What came of running the command in the batch's transaction.
    ran: Option<Answer<Executed<C::Reply>>>,
    /// The audit entries of its change, appended with the batch's.
    audit: Vec<AuditDraft>,
}

impl<C> Job for Pending<C>
where
    C: Command + 'static,
    C::Reply: 'static,
{
    fn execute<'a>(&'a mut self, runtime: &'a Runtime, tx: &'a mut WriteTx) -> BoxFuture<'a, Ran> {
        Box::pin(async move {
            let result = AssertUnwindSafe(runtime.execute_keeping_audit(tx, &self.command))
                .catch_unwind()
                .await
                .map(|result| {
                    result.map(|(executed, audit)| {
                        self.audit = audit;
                        executed
                    })
                });
            let ran = match &result {
                Ok(Ok(_)) => Ran::Done,
                Ok(Err(RuntimeError::Store(error))) if error.is_retryable() => Ran::LostRace,
                Ok(Err(_)) => Ran::Refused,
                Err(_) => Ran::Panicked,
            };
            if let Ok(Err(RuntimeError::Store(error))) = &result {
                runtime.store.note_write_failure(error);
            }
            self.ran = Some(result);
            ran
        })
    }

    fn take_audit(&mut self) -> Vec<AuditDraft> {
        std::mem::take(&mut self.audit)
    }

    fn answer(self: Box<Self>, runtime: &Runtime) {
        let answer = match self.ran {
            Some(Ok(Ok(executed))) => Ok(Ok(runtime.committed(executed))),
            Some(Ok(Err(error))) => Ok(Err(error)),
            Some(Err(panic)) => Err(panic),
            None => unreachable!("a command is answered only after it ran"),
        };
        // A caller that stopped waiting gets nothing; the change stands.
        let _ = self.reply.send(answer);
    }

    fn fail(self: Box<Self>, error: RuntimeError) {
        let _ = self.reply.send(Ok(Err(error)));
    }

    fn run_alone<'a>(self: Box<Self>, runtime: &'a Runtime) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let answer = AssertUnwindSafe(runtime.run(&self.command))
                .catch_unwind()
                .await;
            let _ = self.reply.send(answer);
        })
    }
}
