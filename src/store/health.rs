//! Whether the store can do its work, for `/readyz`. Cheap while writes
//! work (one `SELECT 1`). While the last write failed it is not ready;
//! once no real write has failed for two seconds, a probe write (one a
//! second at most) tells whether writes work again, so that readiness
//! comes back by itself once the cause is gone (room made on the disk, the
//! database back) even when no client writes meanwhile.

use super::db::Sql;
use super::{Fault, Store, StoreError};
use crate::engine::Millis;

pub(super) const TABLE: &str = "write_probe";

/// What a probe writes: about one history line and its instance, so that
/// a disk with no room for an event has no room for the probe either.
const PROBE_BYTES: usize = 2_048;

/// Why the store is not ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// The database does not answer at all.
    #[error("the database does not answer")]
    Unreachable(#[source] StoreError),
    /// Reads work, writes fail (the last one did, and so did the probe).
    #[error("writes fail")]
    WritesFail(Fault),
}

impl NotReady {
    /// What kind of trouble keeps the store from being ready.
    pub fn fault(&self) -> Fault {
        match self {
            NotReady::Unreachable(error) => error.fault().unwrap_or(Fault::Unavailable),
            NotReady::WritesFail(fault) => *fault,
        }
    }
}

impl Store {
    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db().execute(Sql::new("SELECT 1")).await?;
        Ok(())
    }

    /// Ready when the database answers and writes work: after a write
    /// failed for want of room or of the database, a real write or a probe
    /// write must commit first. `now` stamps the probe row.
    pub async fn readiness(&self, now: Millis) -> Result<(), NotReady> {
        self.ping().await.map_err(NotReady::Unreachable)?;
        let Some(fault) = self.health.failing() else {
            return Ok(());
        };
        if !self.health.probe_due() {
            return Err(NotReady::WritesFail(fault));
        }
        match self.probe_write(now).await {
            Ok(()) => Ok(()),
            Err(error) => {
                tracing::warn!(%error, "the readiness probe could not write");
                Err(NotReady::WritesFail(error.fault().unwrap_or(fault)))
            }
        }
    }

    /// Rewrites the probe's row in a transaction of its own; its commit
    /// marks writes as working again.
    async fn probe_write(&self, now: Millis) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let mut db = tx.db();
        db.execute(Sql::new("DELETE FROM write_probe")).await?;
        let insert =
            Sql::new("INSERT INTO write_probe (id, written_at, padding) VALUES (1, $1, $2)")
                .bind(now)
                .bind("x".repeat(PROBE_BYTES));
        db.execute(insert).await?;
        tx.commit().await
    }
}
