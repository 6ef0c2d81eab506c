//! Accounts and their tokens from the runtime's side: every change in one
//! transaction with its audit entry, judged on the real clock. The rules
//! themselves are `crate::accounts`'; passwords arrive hashed (the caller
//! hashes them off the async threads, see `accounts::PasswordHash`).

use serde_json::json;
use uuid::Uuid;

use super::{NotFound, Principal, Runtime, RuntimeError};
use crate::accounts::{
    Account, AccountChange, AccountDraft, AccountError, AccountName, AccountPolicy, Role, Secret,
};
use crate::audit::detail::{self, AccountCreated, AccountUpdated, TokenDetail};
use crate::audit::{AuditAction, AuditDraft, rfc3339, target};
use crate::engine::{Actor, Millis};
use crate::model::Duration;
use crate::store::{StoreError, TokenRow, WriteTx};

/// The name of the bootstrap administrator's account.
pub const BOOTSTRAP_ADMIN: &str = "admin";

/// A token to issue.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The account it belongs to; it gets exactly this account's rights.
    pub account: AccountName,
    /// The token's own name, to tell an account's tokens apart (`ci`).
    pub name: String,
    /// When given, it must be the account's role: a token cannot carry
    /// other rights than its account's (and a vendor's never admin).
    pub role: Option<Role>,
    /// How long it lives (real time); none: until revoked.
    pub expires_in: Option<Duration>,
}

/// Longest token name accepted.
const MAX_TOKEN_NAME: usize = 64;

impl Runtime {
    /// The `[accounts]` settings.
    pub fn account_policy(&self) -> &AccountPolicy {
        &self.config.accounts
    }

    /// Creates the account `draft` describes, if it follows the rules at
    /// the real now; audited as `account.create`.
    pub async fn create_account(
        &self,
        draft: AccountDraft,
        by: impl Into<Principal>,
    ) -> Result<Account, RuntimeError> {
        let by = by.into();
        let now = self.real_now();
        let account = draft.admit(&self.config.accounts, &by.actor().to_string(), now)?;
        super::retrying(|| async {
            let mut tx = self.store.begin().await?;
            create_in(&mut tx, &account, &by, now).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        Ok(account)
    }

    /// Applies `change` to the account `name`; audited as `account.disable`
    /// when it disables the account, else `account.update` (nothing when
    /// nothing changed).
    pub async fn update_account(
        &self,
        name: &str,
        change: AccountChange,
        by: impl Into<Principal>,
    ) -> Result<Account, RuntimeError> {
        let by = by.into();
        super::retrying(|| async {
            let now = self.real_now();
            let mut tx = self.store.begin().await?;
            let account = tx
                .load_account(name)
                .await?
                .ok_or_else(|| no_account(name))?;
            let changed = change.clone().apply(&account, &self.config.accounts, now)?;
            if changed.fields.is_empty() {
                return Ok(changed.account);
            }
            tx.update_account(&changed.account).await?;
            let action = if changed.disabled() {
                AuditAction::AccountDisable
            } else {
                AuditAction::AccountUpdate
            };
            let updated = AccountUpdated {
                fields: changed
                    .fields
                    .iter()
                    .map(|field| (*field).to_owned())
                    .collect(),
            };
            let draft = AuditDraft::new(action, by.actor().to_string(), target::account(name))
                .with_detail(detail::to_json(&updated))
                .with_remote_addr(by.remote_addr().map(str::to_owned));
            tx.append_audit(draft, now).await?;
            tx.commit().await?;
            Ok(changed.account)
        })
        .await
    }

    /// Issues a token for an existing, usable account; audited as
    /// `token.issue`. The secret is in the answer only.
    pub async fn issue_token(
        &self,
        grant: TokenGrant,
        by: impl Into<Principal>,
    ) -> Result<(Secret, TokenRow), RuntimeError> {
        check_token_name(&grant.name)?;
        self.grant_token(&grant, None, &by.into()).await
    }

    /// `POST /v1/admin/tokens` without an account: the token belongs to the
    /// account named like it, which is created with `draft` (audited as
    /// `account.create`) when it does not exist yet.
    pub async fn issue_token_for(
        &self,
        draft: AccountDraft,
        expires_in: Option<Duration>,
        by: impl Into<Principal>,
    ) -> Result<(Secret, TokenRow), RuntimeError> {
        let grant = TokenGrant {
            account: draft.name.clone(),
            name: draft.name.to_string(),
            role: Some(draft.role),
            expires_in,
        };
        self.grant_token(&grant, Some(&draft), &by.into()).await
    }

    /// Revokes a live token; audited as `token.revoke`.
    pub async fn revoke_token(
        &self,
        id: Uuid,
        by: impl Into<Principal>,
    ) -> Result<TokenRow, RuntimeError> {
        let by = by.into();
        super::retrying(|| async {
            let now = self.real_now();
            let mut tx = self.store.begin().await?;
            let row = tx
                .revoke_token(id, now)
                .await?
                .ok_or_else(|| RuntimeError::NotFound(NotFound::Token(id.to_string())))?;
            let draft = token_audit(AuditAction::TokenRevoke, &row, &by)?;
            tx.append_audit(draft, now).await?;
            tx.commit().await?;
            Ok(row)
        })
        .await
    }

    /// Makes sure an administrator can get in: the account `admin` exists
    /// (created by `engine` on a fresh database), `given` is one of its
    /// tokens, and without `given` a database with no usable admin token
    /// gets a new one, returned to be shown once.
    pub async fn bootstrap_admin(
        &self,
        given: Option<&Secret>,
    ) -> Result<Option<Secret>, RuntimeError> {
        let engine = Principal::Trusted(Actor::Engine);
        let account = self.admin_account().await?;
        let name = account.name.clone();
        let now = self.real_now();
        if account.role != Role::Admin || !account.is_usable(now) {
            return Err(RuntimeError::Forbidden {
                required: vec![Role::Admin.as_str().to_owned()],
                reason: format!(
                    "the bootstrap account `{BOOTSTRAP_ADMIN}` is not a usable admin account \
                     (role {}, disabled or expired?): fix it with `flowkeeper accounts set {BOOTSTRAP_ADMIN} --role admin --enable`",
                    account.role
                ),
            });
        }
        let secret = match given {
            Some(given) if self.store.find_token(&given.hash()).await?.is_some() => {
                return Ok(None);
            }
            Some(given) => given.clone(),
            None if self.store.has_live_admin(now).await? => return Ok(None),
            None => Secret::generate(),
        };
        let grant = TokenGrant {
            account: name,
            name: "bootstrap".into(),
            role: Some(Role::Admin),
            expires_in: None,
        };
        let mut tx = self.store.begin().await?;
        self.token_in(&mut tx, &account, &grant, &secret, &engine, now)
            .await?;
        tx.commit().await?;
        Ok(given.is_none().then_some(secret))
    }

    /// The bootstrap account `admin`, created by `engine` (audited) when
    /// missing: the local command line acts as it.
    pub async fn admin_account(&self) -> Result<Account, RuntimeError> {
        if let Some(account) = self.store.account(BOOTSTRAP_ADMIN).await? {
            return Ok(account);
        }
        let draft = AccountDraft {
            name: AccountName::parse(BOOTSTRAP_ADMIN).expect("a valid name"),
            role: Role::Admin,
            teams: Vec::new(),
            title: "Administrator".into(),
            password: None,
            expires_at: None,
            approval: None,
            emergency: false,
        };
        match self
            .create_account(draft, Principal::Trusted(Actor::Engine))
            .await
        {
            Err(RuntimeError::AccountExists(_)) => self
                .store
                .account(BOOTSTRAP_ADMIN)
                .await?
                .ok_or_else(|| no_account(BOOTSTRAP_ADMIN)),
            other => other,
        }
    }

    /// Disables every emergency vendor account still without its approval
    /// after the grace (4.2.6 1): 事後補文字確認說明), as `engine`; run by
    /// the scheduler's upkeep. Returns the names disabled.
    pub async fn disable_overdue_accounts(&self) -> Result<Vec<AccountName>, RuntimeError> {
        let policy = &self.config.accounts;
        let overdue: Vec<AccountName> = self
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|account| account.is_overdue(policy, self.real_now()))
            .map(|account| account.name)
            .collect();
        let mut disabled = Vec::new();
        for name in overdue {
            let done = super::retrying(|| async {
                let now = self.real_now();
                let mut tx = self.store.begin().await?;
                let Some(mut account) = tx.load_account(name.as_str()).await? else {
                    return Ok(false);
                };
                if !account.is_overdue(policy, now) {
                    return Ok(false);
                }
                account.disabled_at = Some(now);
                tx.update_account(&account).await?;
                let detail = json!({
                    "fields": ["disabled"],
                    "reason": format!(
                        "emergency account without approval after {}",
                        policy.emergency_grace
                    ),
                });
                let draft = AuditDraft::new(
                    AuditAction::AccountDisable,
                    Actor::Engine.to_string(),
                    target::account(name.as_str()),
                )
                .with_detail(detail);
                tx.append_audit(draft, now).await?;
                tx.commit().await?;
                Ok(true)
            })
            .await?;
            if done {
                tracing::warn!(account = %name, "disabled an emergency account whose approval never came");
                disabled.push(name);
            }
        }
        Ok(disabled)
    }

    /// Issues `grant` in a transaction of its own; a missing account is
    /// created from `missing` when given, else `NotFound`.
    async fn grant_token(
        &self,
        grant: &TokenGrant,
        missing: Option<&AccountDraft>,
        by: &Principal,
    ) -> Result<(Secret, TokenRow), RuntimeError> {
        let secret = Secret::generate();
        let row = super::retrying(|| async {
            let now = self.real_now();
            let mut tx = self.store.begin().await?;
            let account = match (tx.load_account(grant.account.as_str()).await?, missing) {
                (Some(account), _) => account,
                (None, Some(draft)) => {
                    let account =
                        draft
                            .clone()
                            .admit(&self.config.accounts, &by.actor().to_string(), now)?;
                    create_in(&mut tx, &account, by, now).await?;
                    account
                }
                (None, None) => return Err(no_account(grant.account.as_str())),
            };
            let row = self
                .token_in(&mut tx, &account, grant, &secret, by, now)
                .await?;
            tx.commit().await?;
            Ok(row)
        })
        .await?;
        Ok((secret, row))
    }

    /// Inserts the token for `account` in `tx`, with its audit entry.
    async fn token_in(
        &self,
        tx: &mut WriteTx,
        account: &Account,
        grant: &TokenGrant,
        secret: &Secret,
        by: &Principal,
        now: Millis,
    ) -> Result<TokenRow, RuntimeError> {
        match grant.role {
            Some(Role::Admin) if account.role == Role::Vendor => {
                return Err(AccountError::VendorAdmin.into());
            }
            Some(role) if role != account.role => {
                return Err(RuntimeError::TokenRole {
                    account: account.name.to_string(),
                    role: account.role,
                });
            }
            _ => {}
        }
        if !account.is_usable(now) {
            return Err(RuntimeError::AccountUnusable(account.name.to_string()));
        }
        let row = TokenRow {
            id: self.ids.at(now).hyphenated().to_string(),
            name: grant.name.clone(),
            role: account.role.as_str().to_owned(),
            hash: secret.hash(),
            created_at: now,
            expires_at: grant
                .expires_in
                .map(|lifetime| now.saturating_add(lifetime.as_millis())),
            approved_by: match by {
                Principal::Account { account, .. } => Some(account.name.to_string()),
                Principal::Trusted(_) => None,
            },
            revoked_at: None,
            account: Some(account.name.to_string()),
        };
        tx.insert_token(&row).await?;
        let draft = token_audit(AuditAction::TokenIssue, &row, by)?;
        tx.append_audit(draft, now).await?;
        Ok(row)
    }
}

/// The `NotFound` for the account `name`.
fn no_account(name: &str) -> RuntimeError {
    RuntimeError::NotFound(NotFound::Account(name.to_owned()))
}

/// Inserts `account` in `tx` with its `account.create` entry; a taken name
/// is `AccountExists`.
async fn create_in(
    tx: &mut WriteTx,
    account: &Account,
    by: &Principal,
    now: Millis,
) -> Result<(), RuntimeError> {
    if tx.load_account(account.name.as_str()).await?.is_some() {
        return Err(RuntimeError::AccountExists(account.name.to_string()));
    }
    match tx.insert_account(account).await {
        Err(StoreError::Duplicate) => {
            return Err(RuntimeError::AccountExists(account.name.to_string()));
        }
        other => other?,
    }
    let created = AccountCreated {
        role: account.role,
        teams: account.teams.clone(),
        title: account.title.clone(),
        expires_at: account.expires_at.map(rfc3339),
        emergency: account.emergency,
    };
    let draft = AuditDraft::new(
        AuditAction::AccountCreate,
        by.actor().to_string(),
        target::account(account.name.as_str()),
    )
    .with_detail(detail::to_json(&created))
    .with_remote_addr(by.remote_addr().map(str::to_owned));
    tx.append_audit(draft, now).await?;
    Ok(())
}

fn token_audit(
    action: AuditAction,
    row: &TokenRow,
    by: &Principal,
) -> Result<AuditDraft, RuntimeError> {
    let id = Uuid::try_parse(&row.id)
        .map_err(|_| StoreError::Corrupt(format!("token id `{}`", row.id)))?;
    let role = Role::parse(&row.role)
        .ok_or_else(|| StoreError::Corrupt(format!("token role `{}`", row.role)))?;
    let token = TokenDetail {
        account: row.account.clone().unwrap_or_default(),
        name: row.name.clone(),
        role,
        expires_at: row.expires_at.map(rfc3339),
    };
    Ok(
        AuditDraft::new(action, by.actor().to_string(), target::token(id))
            .with_detail(detail::to_json(&token))
            .with_remote_addr(by.remote_addr().map(str::to_owned)),
    )
}

fn check_token_name(name: &str) -> Result<(), RuntimeError> {
    let length = name.chars().count();
    if (1..=MAX_TOKEN_NAME).contains(&length)
        && !name.chars().any(char::is_control)
        && name.trim() == name
    {
        Ok(())
    } else {
        Err(RuntimeError::TokenName(name.to_owned()))
    }
}
