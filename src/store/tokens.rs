//! API tokens: the `tokens` table (migrations `0002_tokens.sql`).
//!
//! Only hashes are stored and looked up; the plain token exists once, in the
//! answer that created it. Roles are kept as text here: what a role may do is
//! the API's business, not the store's.

use uuid::Uuid;

use super::db::Sql;
use super::{Store, StoreError};
use crate::engine::Millis;

pub(super) const TABLE: &str = "tokens";

/// One issued token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    /// Who holds it; recorded as the actor of every change made with it.
    pub name: String,
    pub role: String,
    /// Lower-case hex SHA-256 of the token.
    pub hash: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    /// The name of the admin who issued it (`None` for the bootstrap token).
    pub approved_by: Option<String>,
    pub revoked_at: Option<Millis>,
}

impl TokenRow {
    /// Usable at `now`: not revoked and not expired.
    pub fn is_live(&self, now: Millis) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires| expires > now)
    }
}

const COLUMNS: &str = "id, name, role, hash, created_at, expires_at, approved_by, revoked_at";

impl Store {
    /// Stores a new token row.
    pub async fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError> {
        let sql = Sql::new(format!(
            "INSERT INTO tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(row.id.as_str())
        .bind(row.name.as_str())
        .bind(row.role.as_str())
        .bind(row.hash.as_str())
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(row.approved_by.as_deref())
        .bind(row.revoked_at);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// The token with this hash, live or not (the caller decides what an
    /// expired token means).
    pub async fn find_token(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let sql = Sql::new(format!("SELECT {COLUMNS} FROM tokens WHERE hash = $1")).bind(hash);
        self.db().fetch_optional(sql).await
    }

    /// Every token, newest first, for the admin listing.
    pub async fn list_tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM tokens ORDER BY created_at DESC, id DESC"
        ));
        self.db().fetch_all(sql).await
    }

    /// Whether a usable admin token exists, so `serve` only mints a bootstrap
    /// token on a fresh database.
    pub async fn has_live_admin(&self, now: Millis) -> Result<bool, StoreError> {
        let sql = Sql::new(
            "SELECT COUNT(*) FROM tokens WHERE role = 'admin' AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $1)",
        )
        .bind(now);
        let (count,): (i64,) = self.db().fetch_one(sql).await?;
        Ok(count > 0)
    }

    /// Revokes a token; `false` when no live token has this id.
    pub async fn revoke_token(&self, id: Uuid, now: Millis) -> Result<bool, StoreError> {
        let sql =
            Sql::new("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id);
        Ok(self.db().execute(sql).await? > 0)
    }
}
