//! Sign-in sessions (the `sessions` table, migration 0006): bearer secrets
//! with a short lifetime, given for a name and password. Only the SHA-256
//! of the secret is stored.

use uuid::Uuid;

use super::db::Sql;
use super::{Store, StoreError, WriteTx};
use crate::engine::Millis;

pub(super) const TABLE: &str = "sessions";

/// One session, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub account: String,
    /// Lower-case hex SHA-256 of the secret.
    pub hash: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// When it was signed out.
    pub ended_at: Option<Millis>,
    pub remote_addr: Option<String>,
}

impl SessionRow {
    /// Usable at `now`: not signed out and not expired.
    pub fn is_live(&self, now: Millis) -> bool {
        self.ended_at.is_none() && self.expires_at > now
    }
}

const COLUMNS: &str = "id, account, hash, created_at, expires_at, ended_at, remote_addr";

impl Store {
    /// The session with this hash, live or not.
    pub async fn find_session(&self, hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let sql = Sql::new(format!("SELECT {COLUMNS} FROM sessions WHERE hash = $1")).bind(hash);
        self.db().fetch_optional(sql).await
    }
}

impl WriteTx {
    pub async fn insert_session(&mut self, row: &SessionRow) -> Result<(), StoreError> {
        let sql = Sql::new(format!(
            "INSERT INTO sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(row.id.as_str())
        .bind(row.account.as_str())
        .bind(row.hash.as_str())
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(row.ended_at)
        .bind(row.remote_addr.as_deref());
        let mut db = self.db();
        db.execute(sql).await?;
        super::credentials::changed(&mut db).await
    }

    /// Signs a session out; `false` when it had ended already.
    pub async fn end_session(&mut self, id: Uuid, now: Millis) -> Result<bool, StoreError> {
        let sql = Sql::new("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(now)
            .bind(id);
        let mut db = self.db();
        let ended = db.execute(sql).await? > 0;
        if ended {
            super::credentials::changed(&mut db).await?;
        }
        Ok(ended)
    }
}
