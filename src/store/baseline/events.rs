//! The runtime benchmark's raw work: one idempotent event is the
//! idempotency key read, the row changed ([`change_row`]), the answer
//! remembered. [`Baseline::event`] commits each event alone; a [`Batcher`]
//! commits the events of concurrent callers together, as group commit
//! does, without savepoints or anything else of the engine's.

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::{Baseline, BaselineError};
use crate::engine::Millis;

/// The statements of one event on `$row` under idempotency `$key`.
macro_rules! event_on {
    ($tx:expr, $lock:literal, $row:expr, $key:expr) => {{
        let tx = &mut $tx;
        let seen: Option<String> = sqlx::query_scalar("SELECT answer FROM raw_keys WHERE key = $1")
            .bind($key)
            .fetch_optional(&mut **tx)
            .await?;
        if seen.is_some() {
            return Err(BaselineError::KeyUsedTwice($key.to_owned()));
        }
        let data = change_row!(*tx, $lock, $row, None::<Millis>);
        sqlx::query("INSERT INTO raw_keys (key, answer) VALUES ($1, $2)")
            .bind($key)
            .bind(&data)
            .execute(&mut **tx)
            .await?;
    }};
}

impl Baseline {
    /// One event on `row` under idempotency `key`, in a transaction of its own.
    pub async fn event(&self, row: &str, key: &str) -> Result<(), BaselineError> {
        self.events(&[(row.to_owned(), key.to_owned())]).await
    }

    /// The events `(row, key)` in one transaction.
    pub async fn events(&self, events: &[(String, String)]) -> Result<(), BaselineError> {
        match self {
            Baseline::Sqlite(pool) => {
                // Queued in-process like the store's writers, for a fair comparison.
                static GATE: Mutex<()> = Mutex::const_new(());
                let _gate = GATE.lock().await;
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                for (row, key) in events {
                    event_on!(tx, "", row, key);
                }
                tx.commit().await?;
            }
            Baseline::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for (row, key) in events {
                    event_on!(tx, " FOR UPDATE", row, key);
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// Group commit of the raw events: callers queue an event and wait;
/// `lanes` writer tasks each take every event waiting (up to `max_batch`)
/// and commit them in one transaction.
#[derive(Clone)]
pub struct Batcher {
    queue: mpsc::UnboundedSender<Queued>,
}

type Queued = ((String, String), oneshot::Sender<Result<(), BaselineError>>);

impl Batcher {
    pub fn start(baseline: Baseline, lanes: usize, max_batch: usize) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel::<Queued>();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..lanes.max(1) {
            let (baseline, receiver) = (baseline.clone(), Arc::clone(&receiver));
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::new();
                    {
                        let mut receiver = receiver.lock().await;
                        if receiver.recv_many(&mut batch, max_batch).await == 0 {
                            return;
                        }
                    }
                    let (events, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                    match baseline.events(&events).await {
                        Ok(()) => replies.into_iter().for_each(|reply| {
                            let _ = reply.send(Ok(()));
                        }),
                        Err(error) => {
                            let message = error.to_string();
                            for reply in replies {
                                let error = sqlx::Error::Protocol(message.clone());
                                let _ = reply.send(Err(error.into()));
                            }
                        }
                    }
                }
            });
        }
        Self { queue }
    }

    /// One event, committed with whatever else is waiting.
    pub async fn event(&self, row: &str, key: &str) -> Result<(), BaselineError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(((row.to_owned(), key.to_owned()), reply))
            .map_err(|_| BaselineError::WriterGone)?;
        answer.await.map_err(|_| BaselineError::WriterGone)?
    }
}
