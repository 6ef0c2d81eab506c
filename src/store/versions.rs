//! Looking up a stored workflow version by its number, for
//! `GET /v1/workflows/{id}?version=N`. Versions are kept by content hash;
//! should a number have been loaded with two different texts, the most
//! recently loaded one answers.

use super::{Store, StoreError};

const BY_VERSION: &str = "SELECT hash, source FROM definitions WHERE workflow = $1 AND version = $2 \
                          ORDER BY loaded_at DESC LIMIT 1";

impl Store {
    /// The hash and source text of `workflow` at `version`, if ever loaded.
    pub async fn definition_by_version(
        &self,
        workflow: &str,
        version: u32,
    ) -> Result<Option<(String, String)>, StoreError> {
        let version = i64::from(version);
        Ok(match self {
            Store::Sqlite(pool) => {
                sqlx::query_as(BY_VERSION)
                    .bind(workflow.to_owned())
                    .bind(version)
                    .fetch_optional(pool)
                    .await?
            }
            Store::Postgres(pool) => {
                sqlx::query_as(BY_VERSION)
                    .bind(workflow.to_owned())
                    .bind(version)
                    .fetch_optional(pool)
                    .await?
            }
        })
    }
}
