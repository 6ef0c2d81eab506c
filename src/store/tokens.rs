//! API tokens: the `tokens` table (migrations `0002_tokens.sql`).
//!
//! Only hashes are stored and looked up; the plain token exists once, in the
//! answer that created it. Roles are kept as text here: what a role may do is
//! the API's business, not the store's.

use uuid::Uuid;

use super::{Store, StoreError};
use crate::engine::Millis;

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

/// Runs the same query on whichever pool the store holds: the SQL in this
/// file is written once, in the dialect both databases accept.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

const BY_HASH: &str = "SELECT id, name, role, hash, created_at, expires_at, approved_by, revoked_at \
                       FROM tokens WHERE hash = $1";
const LIST: &str = "SELECT id, name, role, hash, created_at, expires_at, approved_by, revoked_at \
                    FROM tokens ORDER BY created_at DESC, id DESC";

impl Store {
    /// Stores a new token row.
    pub async fn insert_token(&self, row: &TokenRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO tokens (id, name, role, hash, created_at, expires_at, approved_by, revoked_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, |pool| {
            sqlx::query(sql)
                .bind(row.id.clone())
                .bind(row.name.clone())
                .bind(row.role.clone())
                .bind(row.hash.clone())
                .bind(row.created_at)
                .bind(row.expires_at)
                .bind(row.approved_by.clone())
                .bind(row.revoked_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The token with this hash, live or not (the caller decides what an
    /// expired token means).
    pub async fn find_token(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        on_pool!(self, |pool| {
            sqlx::query_as(BY_HASH)
                .bind(hash.to_owned())
                .fetch_optional(pool)
                .await
        })
        .map_err(StoreError::from)
    }

    /// Every token, newest first, for the admin listing.
    pub async fn list_tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        on_pool!(self, |pool| { sqlx::query_as(LIST).fetch_all(pool).await })
            .map_err(StoreError::from)
    }

    /// Whether a usable admin token exists, so `serve` only mints a bootstrap
    /// token on a fresh database.
    pub async fn has_live_admin(&self, now: Millis) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM tokens WHERE role = 'admin' AND revoked_at IS NULL \
                   AND (expires_at IS NULL OR expires_at > $1)";
        let count: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(sql).bind(now).fetch_one(pool).await?
        });
        Ok(count > 0)
    }

    /// Revokes a token; `false` when no live token has this id.
    pub async fn revoke_token(&self, id: Uuid, now: Millis) -> Result<bool, StoreError> {
        let sql = "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
        let id = id.hyphenated().to_string();
        let affected = on_pool!(self, |pool| {
            sqlx::query(sql)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected > 0)
    }
}
