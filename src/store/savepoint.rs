//! Savepoints inside a write transaction, so that several commands can
//! share one transaction (one commit, one fsync) and one command's failure
//! undoes only its own writes: `ROLLBACK TO` a savepoint leaves what came
//! before it, and on PostgreSQL it also clears the aborted state a failed
//! statement leaves the transaction in.
//!
//! Both databases accept the same statements; a savepoint of the same name
//! taken again hides the earlier one until released, so nesting works too.

use super::db::Sql;
use super::{StoreError, WriteTx};

/// A savepoint taken in a [`WriteTx`]: hand it back to
/// [`WriteTx::release`] to keep what was written since, or to
/// [`WriteTx::rollback_to`] to undo it.
#[derive(Debug)]
#[must_use = "a savepoint is released or rolled back to"]
pub struct Savepoint(());

impl WriteTx {
    /// Marks the point [`WriteTx::rollback_to`] goes back to.
    pub async fn savepoint(&mut self) -> Result<Savepoint, StoreError> {
        self.db().execute(Sql::new("SAVEPOINT step")).await?;
        Ok(Savepoint(()))
    }

    /// Keeps what was written since `savepoint` (it commits or rolls back
    /// with the transaction).
    pub async fn release(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        let Savepoint(()) = savepoint;
        self.db()
            .execute(Sql::new("RELEASE SAVEPOINT step"))
            .await?;
        Ok(())
    }

    /// Undoes what was written since `savepoint`; the transaction goes on
    /// usable, with what came before.
    pub async fn rollback_to(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        let Savepoint(()) = savepoint;
        let mut db = self.db();
        db.execute(Sql::new("ROLLBACK TO SAVEPOINT step")).await?;
        db.execute(Sql::new("RELEASE SAVEPOINT step")).await?;
        Ok(())
    }
}
