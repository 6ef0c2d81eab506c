//! Whether the database is there, for `/readyz`. Cheap, safe to call on
//! every probe.

use super::db::Sql;
use super::{Store, StoreError};

impl Store {
    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db().execute(Sql::new("SELECT 1")).await?;
        Ok(())
    }
}
