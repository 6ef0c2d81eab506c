//! API tokens: the `tokens` table (migrations 0002, 0006).
//!
//! Only hashes are stored and looked up; the plain token exists once, in the
//! answer that created it. Every token belongs to an account and has
//! exactly its rights: `role` records the account's role when the token
//! was issued, for the listing, and decides nothing.

use uuid::Uuid;

use super::db::Sql;
use super::{Store, StoreError, WriteTx};
use crate::engine::Millis;

pub(super) const TABLE: &str = "tokens";

/// One issued token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    /// The token's own name (`ci`, `console`), to tell an account's tokens apart.
    pub name: String,
    /// The account's role when it was issued.
    pub role: String,
    /// Lower-case hex SHA-256 of the token.
    pub hash: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    /// The name of the admin who issued it (`None` for the bootstrap token).
    pub approved_by: Option<String>,
    pub revoked_at: Option<Millis>,
    /// The account it belongs to; `None` only for a token from before
    /// accounts whose name could not become an account (it does not work).
    pub account: Option<String>,
}

impl TokenRow {
    /// Usable at `now`: not revoked and not expired.
    pub fn is_live(&self, now: Millis) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires| expires > now)
    }
}

const COLUMNS: &str =
    "id, name, role, hash, created_at, expires_at, approved_by, revoked_at, account";

impl Store {
    /// The token with this hash, live or not (the caller decides what an
    /// expired token means).
    pub async fn find_token(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let sql = Sql::new(format!("SELECT {COLUMNS} FROM tokens WHERE hash = $1")).bind(hash);
        self.db().fetch_optional(sql).await
    }

    /// Every token (of `account`, when given), newest first.
    pub async fn list_tokens(&self, account: Option<&str>) -> Result<Vec<TokenRow>, StoreError> {
        let sql = match account {
            None => Sql::new(format!(
                "SELECT {COLUMNS} FROM tokens ORDER BY created_at DESC, id DESC"
            )),
            Some(account) => Sql::new(format!(
                "SELECT {COLUMNS} FROM tokens WHERE account = $1 \
                 ORDER BY created_at DESC, id DESC"
            ))
            .bind(account),
        };
        self.db().fetch_all(sql).await
    }

    /// Whether a usable token of a usable admin account exists at `now`,
    /// so `serve` only mints a bootstrap token on a fresh database.
    pub async fn has_live_admin(&self, now: Millis) -> Result<bool, StoreError> {
        let sql = Sql::new(
            "SELECT COUNT(*) FROM tokens JOIN accounts ON accounts.name = tokens.account \
             WHERE accounts.role = 'admin' AND accounts.disabled_at IS NULL \
             AND (accounts.expires_at IS NULL OR accounts.expires_at > $1) \
             AND tokens.revoked_at IS NULL \
             AND (tokens.expires_at IS NULL OR tokens.expires_at > $1)",
        )
        .bind(now);
        let (count,): (i64,) = self.db().fetch_one(sql).await?;
        Ok(count > 0)
    }
}

impl WriteTx {
    /// Stores a new token row.
    pub async fn insert_token(&mut self, row: &TokenRow) -> Result<(), StoreError> {
        let sql = Sql::new(format!(
            "INSERT INTO tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(row.id.as_str())
        .bind(row.name.as_str())
        .bind(row.role.as_str())
        .bind(row.hash.as_str())
        .bind(row.created_at)
        .bind(row.expires_at)
        .bind(row.approved_by.as_deref())
        .bind(row.revoked_at)
        .bind(row.account.as_deref());
        let mut db = self.db();
        db.execute(sql).await?;
        super::credentials::changed(&mut db).await
    }

    /// Revokes a live token; returns it as it was, `None` when no live
    /// token has this id.
    pub async fn revoke_token(
        &mut self,
        id: Uuid,
        now: Millis,
    ) -> Result<Option<TokenRow>, StoreError> {
        let mut db = self.db();
        let lock = db.backend().lock_row();
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM tokens WHERE id = $1 AND revoked_at IS NULL{lock}"
        ))
        .bind(id);
        let Some(row) = db.fetch_optional::<TokenRow>(sql).await? else {
            return Ok(None);
        };
        let sql = Sql::new("UPDATE tokens SET revoked_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id);
        db.execute(sql).await?;
        super::credentials::changed(&mut db).await?;
        Ok(Some(row))
    }
}
