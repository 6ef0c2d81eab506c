//! The life of a write transaction, made safe against the two ways a pooled
//! connection gets poisoned: a future dropped halfway (a client that went
//! away, a timeout) and a `COMMIT` that fails.
//!
//! sqlx's own `Transaction` tracks its depth on the client side and trusts
//! it: a failed `COMMIT` that SQLite already rolled back (`SQLITE_FULL`)
//! leaves the depth at one and every later `begin` on that connection
//! fails; a `BEGIN` cancelled on PostgreSQL leaves the server inside a
//! transaction the client does not know about (sqlx issues #4385, #4393,
//! fixed in #4394 after 0.9.0, the newest release). So this module sends
//! `BEGIN`, `COMMIT` and `ROLLBACK` itself on a connection it owns, and
//! keeps three rules:
//!
//! 1. `BEGIN` and `COMMIT` run in a task of their own, which the caller
//!    awaits: dropping the caller cannot cut them short.
//! 2. A transaction that does not commit is rolled back explicitly before
//!    its connection goes back to the pool: at once after a failed
//!    `COMMIT`, in a task of its own when dropped unfinished.
//! 3. A connection whose rollback fails is closed, never reused; the pool
//!    opens a fresh one.

use std::fmt;

use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};
use tokio::sync::OwnedMutexGuard;

use super::StoreError;
use super::db::{Db, Pool};

/// An open write transaction on a pooled connection.
pub(super) struct Conn {
    /// `None` once committed or rolled back.
    open: Option<Open>,
}

struct Open {
    connection: Pooled,
    /// SQLite: this file's in-process write gate (see `sqlite.rs`), held
    /// until the transaction has ended.
    _gate: Option<OwnedMutexGuard<()>>,
}

enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("open", &self.open.is_some())
            .finish()
    }
}

impl Conn {
    /// Takes a connection and begins (SQLite: `BEGIN IMMEDIATE` behind the
    /// file's write gate), in a task the caller cannot cancel: a caller
    /// that stops waiting leaves a transaction that is rolled back.
    pub(super) async fn begin(pool: &Pool) -> Result<Conn, StoreError> {
        let pool = pool.clone();
        finish(async move {
            let open = match &pool {
                Pool::Sqlite(sqlite) => {
                    let gate = super::sqlite::write_gate(sqlite).await;
                    let connection = Pooled::Sqlite(sqlite.acquire().await?);
                    Open {
                        connection,
                        _gate: gate,
                    }
                }
                Pool::Postgres(postgres) => Open {
                    connection: Pooled::Postgres(postgres.acquire().await?),
                    _gate: None,
                },
            };
            let statement = match pool.backend() {
                super::Backend::Sqlite => "BEGIN IMMEDIATE",
                super::Backend::Postgres => "BEGIN",
            };
            // Open from here on: should BEGIN fail halfway, dropping
            // `conn` rolls back (or closes) all the same.
            let mut conn = Conn { open: Some(open) };
            conn.raw(statement).await?;
            Ok(conn)
        })
        .await
    }

    /// Where the transaction's statements run.
    pub(super) fn db(&mut self) -> Db<'_> {
        match self.open.as_mut().map(|open| &mut open.connection) {
            Some(Pooled::Sqlite(connection)) => Db::Sqlite(connection),
            Some(Pooled::Postgres(connection)) => Db::Postgres(connection),
            None => unreachable!("a transaction is only reachable while open"),
        }
    }

    /// Commits, in a task the caller cannot cancel. When `COMMIT` fails the
    /// transaction is rolled back (or its connection closed) before the
    /// error is returned, so the connection never goes back to the pool
    /// inside a transaction.
    pub(super) async fn commit(mut self) -> Result<(), StoreError> {
        finish(async move {
            match self.raw("COMMIT").await {
                Ok(()) => {
                    // Committed: the connection goes back to the pool as is.
                    drop(self.open.take());
                    Ok(())
                }
                Err(error) => {
                    self.end().await;
                    Err(error)
                }
            }
        })
        .await
    }

    /// Marks a point the transaction can go back to ([`Self::undo_to_mark`])
    /// or keep ([`Self::keep_mark`]). One mark at a time.
    pub(super) async fn mark(&mut self) -> Result<(), StoreError> {
        self.raw("SAVEPOINT mark").await
    }

    /// Keeps what was done since [`Self::mark`].
    pub(super) async fn keep_mark(&mut self) -> Result<(), StoreError> {
        self.raw("RELEASE SAVEPOINT mark").await
    }

    /// Undoes what was done since [`Self::mark`], keeping the rest of the
    /// transaction (on PostgreSQL, also after a failed statement).
    pub(super) async fn undo_to_mark(&mut self) -> Result<(), StoreError> {
        self.raw("ROLLBACK TO SAVEPOINT mark").await?;
        self.raw("RELEASE SAVEPOINT mark").await
    }

    /// Rolls back now (closing the connection if that fails).
    pub(super) async fn rollback(mut self) {
        self.end().await;
    }

    async fn raw(&mut self, statement: &'static str) -> Result<(), StoreError> {
        match self.open.as_mut().map(|open| &mut open.connection) {
            Some(Pooled::Sqlite(connection)) => {
                sqlx::raw_sql(statement).execute(&mut **connection).await?;
            }
            Some(Pooled::Postgres(connection)) => {
                sqlx::raw_sql(statement).execute(&mut **connection).await?;
            }
            None => {}
        }
        Ok(())
    }

    /// Ends the transaction with `ROLLBACK` and hands the connection back
    /// to the pool, or closes it when the rollback fails: a connection in
    /// an unknown state is never reused.
    async fn end(&mut self) {
        let Some(open) = self.open.take() else { return };
        let Open { connection, _gate } = open;
        match connection {
            Pooled::Sqlite(mut connection) => {
                let rolled_back = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
                match rolled_back {
                    Ok(_) => {}
                    // SQLite rolls back by itself after some errors
                    // (SQLITE_FULL, SQLITE_IOERR); the connection is then
                    // outside any transaction, as wanted.
                    Err(error) if error.to_string().contains("no transaction is active") => {}
                    Err(error) => {
                        tracing::warn!(%error, "rollback failed; closing the connection");
                        let _ = connection.close().await;
                    }
                }
            }
            Pooled::Postgres(mut connection) => {
                // Outside a transaction PostgreSQL only warns; inside an
                // aborted one ROLLBACK ends it.
                let rolled_back = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
                if let Err(error) = rolled_back {
                    tracing::warn!(%error, "rollback failed; closing the connection");
                    let _ = connection.close().await;
                }
            }
        }
    }
}

impl Drop for Conn {
    /// An unfinished transaction (an error, or a caller that stopped
    /// waiting) is rolled back in a task of its own.
    fn drop(&mut self) {
        let Some(open) = self.open.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    Conn { open: Some(open) }.end().await;
                });
            }
            // No runtime left to roll back on: close rather than reuse.
            Err(_) => match open.connection {
                Pooled::Sqlite(mut connection) => connection.close_on_drop(),
                Pooled::Postgres(mut connection) => connection.close_on_drop(),
            },
        }
    }
}

/// Runs `work` in a task of its own and waits for it: dropping the waiter
/// lets the task finish instead of cutting it short.
async fn finish<T: Send + 'static>(
    work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::spawn(work).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // The runtime is shutting down.
        Err(_) => Err(StoreError::closed()),
    }
}
