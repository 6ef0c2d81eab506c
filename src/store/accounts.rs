//! Accounts (the `accounts` table, migration 0006): people and services.
//! The rules about them live in `crate::accounts`; this module only keeps
//! them. Role and teams are text and a JSON array here.

use sqlx::types::Json as SqlJson;

use super::db::{Arg, Db, Sql};
use super::{Store, StoreError, WriteTx};
use crate::accounts::{Account, AccountName, PasswordHash, Role};
use crate::engine::Millis;

pub(super) const TABLE: &str = "accounts";

const COLUMNS: &str = "name, role, teams, title, password_hash, expires_at, approval, emergency, \
                       disabled_at, last_seen_at, created_at, created_by";

/// An `accounts` row as read.
#[derive(sqlx::FromRow)]
struct AccountRow {
    name: String,
    role: String,
    teams: SqlJson<Vec<String>>,
    title: String,
    password_hash: Option<String>,
    expires_at: Option<i64>,
    approval: Option<String>,
    emergency: i64,
    disabled_at: Option<i64>,
    last_seen_at: Option<i64>,
    created_at: i64,
    created_by: String,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Account {
            name: AccountName::parse(&row.name)
                .map_err(|error| StoreError::Corrupt(format!("account name: {error}")))?,
            role: Role::parse(&row.role)
                .ok_or_else(|| StoreError::Corrupt(format!("role `{}`", row.role)))?,
            teams: row.teams.0,
            title: row.title,
            password: row.password_hash.map(PasswordHash::stored),
            expires_at: row.expires_at,
            approval: row.approval,
            emergency: row.emergency != 0,
            disabled_at: row.disabled_at,
            last_seen_at: row.last_seen_at,
            created_at: row.created_at,
            created_by: row.created_by,
        })
    }
}

async fn one(db: &mut Db<'_>, sql: Sql<'_>) -> Result<Option<Account>, StoreError> {
    db.fetch_optional::<AccountRow>(sql)
        .await?
        .map(Account::try_from)
        .transpose()
}

/// Binds the columns an update may change, `role` to `disabled_at`, in
/// [`COLUMNS`] order: after `name` in an insert, first in an update.
fn bind_changeable<'a>(sql: Sql<'a>, account: &'a Account) -> Result<Sql<'a>, StoreError> {
    Ok(sql
        .bind(account.role.as_str())
        .bind(Arg::json(&account.teams)?)
        .bind(account.title.as_str())
        .bind(account.password.as_ref().map(PasswordHash::as_str))
        .bind(account.expires_at)
        .bind(account.approval.as_deref())
        .bind(i64::from(account.emergency))
        .bind(account.disabled_at))
}

impl Store {
    /// The account with this name, if any.
    pub async fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let sql = Sql::new(format!("SELECT {COLUMNS} FROM accounts WHERE name = $1")).bind(name);
        one(&mut self.db(), sql).await
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = Sql::new(format!("SELECT {COLUMNS} FROM accounts ORDER BY name"));
        let rows: Vec<AccountRow> = self.db().fetch_all(sql).await?;
        rows.into_iter().map(Account::try_from).collect()
    }

    /// Records that `name` acted at `at`, in a transaction of its own.
    pub async fn touch_account(&self, name: &str, at: Millis) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.touch_account(name, at).await?;
        tx.commit().await?;
        self.credentials.seen(name, at);
        Ok(())
    }
}

impl WriteTx {
    /// Records that `name` acted at `at` (for the report's idle accounts);
    /// a later time already recorded stays.
    pub async fn touch_account(&mut self, name: &str, at: Millis) -> Result<(), StoreError> {
        let sql = Sql::new(
            "UPDATE accounts SET last_seen_at = $1 \
             WHERE name = $2 AND (last_seen_at IS NULL OR last_seen_at < $1)",
        )
        .bind(at)
        .bind(name);
        self.db().execute(sql).await?;
        Ok(())
    }

    /// Loads (and on PostgreSQL locks) the account to change it.
    pub async fn load_account(&mut self, name: &str) -> Result<Option<Account>, StoreError> {
        let mut db = self.db();
        let lock = db.backend().lock_row();
        let sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM accounts WHERE name = $1{lock}"
        ))
        .bind(name);
        one(&mut db, sql).await
    }

    /// Stores a new account; `Duplicate` when the name is taken.
    pub async fn insert_account(&mut self, account: &Account) -> Result<(), StoreError> {
        let sql = Sql::new(format!(
            "INSERT INTO accounts ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(account.name.as_str());
        let sql = bind_changeable(sql, account)?
            .bind(account.last_seen_at)
            .bind(account.created_at)
            .bind(account.created_by.as_str());
        let mut db = self.db();
        db.execute(sql).await?;
        super::credentials::changed(&mut db).await
    }

    /// Writes every changeable field of an existing account.
    pub async fn update_account(&mut self, account: &Account) -> Result<(), StoreError> {
        let sql = Sql::new(
            "UPDATE accounts SET role = $1, teams = $2, title = $3, password_hash = $4, \
             expires_at = $5, approval = $6, emergency = $7, disabled_at = $8 WHERE name = $9",
        );
        let sql = bind_changeable(sql, account)?.bind(account.name.as_str());
        let mut db = self.db();
        db.execute(sql).await?;
        super::credentials::changed(&mut db).await
    }
}
