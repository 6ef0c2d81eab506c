//! Every workflow version ever loaded, by content hash (the `definitions`
//! table): a running instance keeps the version it started with, so its
//! source must stay readable after the files changed.

use super::db::{Db, Sql};
use super::{Store, StoreError, WriteTx};
use crate::engine::Millis;

pub(super) const TABLE: &str = "definitions";

impl Store {
    /// Keeps a workflow version; saving the same hash again does nothing.
    pub async fn save_definition(
        &self,
        hash: &str,
        workflow: &str,
        version: u32,
        source: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = Sql::new(
            "INSERT INTO definitions (hash, workflow, version, source, loaded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING",
        )
        .bind(hash)
        .bind(workflow)
        .bind(version)
        .bind(source)
        .bind(now);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// The source text of the version with this hash.
    pub async fn definition_source(&self, hash: &str) -> Result<Option<String>, StoreError> {
        source(&mut self.db(), hash).await
    }

    /// The hash and source text of `workflow` at `version`, if ever
    /// loaded. Should a number have been loaded with two different texts,
    /// the most recently loaded one answers.
    pub async fn definition_by_version(
        &self,
        workflow: &str,
        version: u32,
    ) -> Result<Option<(String, String)>, StoreError> {
        let sql = Sql::new(
            "SELECT hash, source FROM definitions WHERE workflow = $1 AND version = $2 \
             ORDER BY loaded_at DESC LIMIT 1",
        )
        .bind(workflow)
        .bind(version);
        self.db().fetch_optional(sql).await
    }
}

/// One stored version of a workflow (`GET /v1/workflows/{id}/versions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub workflow: String,
    pub version: u32,
    pub hash: String,
    /// When this content was first loaded.
    pub loaded_at: Millis,
    /// Its instances with status `active`.
    pub active_instances: i64,
}

impl Store {
    /// Every stored version of `workflow` (of every workflow with `None`),
    /// oldest number first, with how many active instances run each.
    pub async fn definition_versions(
        &self,
        workflow: Option<&str>,
    ) -> Result<Vec<StoredVersion>, StoreError> {
        let mut sql = Sql::new(
            "SELECT d.workflow, d.version, d.hash, d.loaded_at, \
             (SELECT COUNT(*) FROM instances i \
              WHERE i.definition_hash = d.hash AND i.status = 'active') \
             FROM definitions d WHERE 1 = 1",
        );
        if let Some(workflow) = workflow {
            sql.push(" AND d.workflow = ").push_bind(workflow);
        }
        sql.push(" ORDER BY d.workflow, d.version, d.loaded_at");
        let rows: Vec<(String, i64, String, Millis, i64)> = self.db().fetch_all(sql).await?;
        rows.into_iter()
            .map(|(workflow, version, hash, loaded_at, active_instances)| {
                Ok(StoredVersion {
                    version: u32::try_from(version)
                        .map_err(|_| StoreError::Corrupt(format!("version {version}")))?,
                    workflow,
                    hash,
                    loaded_at,
                    active_instances,
                })
            })
            .collect()
    }
}

impl WriteTx {
    /// The source of a stored definition version, read inside the
    /// transaction (a second pool connection could wait on this one).
    pub async fn definition_source(&mut self, hash: &str) -> Result<Option<String>, StoreError> {
        source(&mut self.db(), hash).await
    }
}

async fn source(db: &mut Db<'_>, hash: &str) -> Result<Option<String>, StoreError> {
    let sql = Sql::new("SELECT source FROM definitions WHERE hash = $1").bind(hash);
    let row: Option<(String,)> = db.fetch_optional(sql).await?;
    Ok(row.map(|(source,)| source))
}
