//! Signing in and out, and telling who presents a bearer secret (an API
//! token or a session). Judged on the real clock.
//!
//! A wrong name and a wrong password cost the same (the password is checked
//! against a dummy hash when there is no account) and answer the same. A
//! name with 5 failures in 15 minutes is locked (`accounts::Gate`); its
//! failures are read back from the audit log, where each is recorded.

use std::sync::Arc;

use uuid::Uuid;

use super::{NotFound, Principal, Runtime, RuntimeError};
use crate::accounts::{Account, AccountName, FAILURES, Gate, Secret, WINDOW, check_password};
use crate::audit::{AuditAction, AuditDraft, target};
use crate::engine::Millis;
use crate::store::{CredentialRow, SessionRow};

/// How a sign-in went.
#[derive(Debug)]
pub enum SignIn {
    /// A new session; the secret is shown to the client once.
    Granted(Box<NewSession>),
    /// Wrong name or password, or a disabled or expired account: one answer
    /// for all, so it tells nothing about which names exist.
    Refused,
    /// Too many failures for this name: refused unchecked for this long.
    Locked { retry_after_secs: u64 },
}

/// A session just opened.
#[derive(Debug)]
pub struct NewSession {
    pub secret: Secret,
    pub session: SessionRow,
    pub account: Account,
}

/// What a bearer secret turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Token(Uuid),
    Session(Uuid),
}

/// The account behind a live secret.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub account: Arc<Account>,
    pub credential: Credential,
}

/// Longest name kept in the audit log for a failed sign-in: anything
/// longer cannot be an account name, and is cut.
const MAX_TRIED_NAME: usize = 64;

/// `last_seen_at` is written at most this often per account.
const SEEN_EVERY: Millis = 60 * 60 * 1000;

impl Runtime {
    /// Checks `name` and `password`; a success opens a session (audited
    /// `session.create`), a failure is audited `session.fail` and the one
    /// that locks the name `session.lock` too.
    pub async fn sign_in(
        &self,
        name: &str,
        password: String,
        remote_addr: Option<&str>,
    ) -> Result<SignIn, RuntimeError> {
        let tried: String = name.chars().take(MAX_TRIED_NAME).collect();
        let now = self.real_now();
        // A lock lasts WINDOW after the last failure, and the failures that
        // caused it span up to WINDOW before that one.
        let failures = self
            .store
            .sign_in_failures(&tried, now - 2 * WINDOW)
            .await?;
        if let gate @ Gate::Locked { .. } = Gate::judge(&failures, now) {
            let retry_after_secs = gate.retry_after_secs(now).unwrap_or(1);
            return Ok(SignIn::Locked { retry_after_secs });
        }
        let account = match AccountName::parse(&tried) {
            Ok(parsed) => self.store.account(parsed.as_str()).await?,
            Err(_) => None,
        };
        let stored = account
            .as_ref()
            .and_then(|account| account.password.clone());
        let matches =
            tokio::task::spawn_blocking(move || check_password(stored.as_ref(), &password))
                .await
                .unwrap_or(false);
        let remote_addr = remote_addr.map(str::to_owned);
        let now = self.real_now();
        match account {
            Some(account) if matches && self.may_act(&account, now) => {
                self.open_session(account, remote_addr, now).await
            }
            account => {
                let reason = match &account {
                    None => "unknown name",
                    Some(account) if !self.may_act(account, now) => "disabled or expired",
                    Some(_) => "wrong password",
                };
                let locks = failures.len() + 1 >= FAILURES
                    && matches!(
                        Gate::judge(&[failures.as_slice(), &[now]].concat(), now),
                        Gate::Locked { .. }
                    );
                let mut tx = self.store.begin().await?;
                let fail = AuditDraft::new(
                    AuditAction::SessionFail,
                    tried.clone(),
                    target::account(&tried),
                )
                .with_detail(serde_json::json!({ "reason": reason }))
                .with_remote_addr(remote_addr.clone());
                tx.append_audit(fail, now).await?;
                if locks {
                    let lock = AuditDraft::new(
                        AuditAction::SessionLock,
                        tried.clone(),
                        target::account(&tried),
                    )
                    .with_detail(
                        serde_json::json!({ "failures": FAILURES, "minutes": WINDOW / 60_000 }),
                    )
                    .with_remote_addr(remote_addr);
                    tx.append_audit(lock, now).await?;
                }
                tx.commit().await?;
                Ok(SignIn::Refused)
            }
        }
    }

    async fn open_session(
        &self,
        account: Account,
        remote_addr: Option<String>,
        now: Millis,
    ) -> Result<SignIn, RuntimeError> {
        let secret = Secret::generate();
        let id = self.ids.at(now);
        let session = SessionRow {
            id: id.hyphenated().to_string(),
            account: account.name.to_string(),
            hash: secret.hash(),
            created_at: now,
            expires_at: now.saturating_add(self.config.session_lifetime),
            ended_at: None,
            remote_addr: remote_addr.clone(),
        };
        let mut tx = self.store.begin().await?;
        tx.insert_session(&session).await?;
        tx.touch_account(account.name.as_str(), now).await?;
        let draft = AuditDraft::new(
            AuditAction::SessionCreate,
            account.name.to_string(),
            target::session(id),
        )
        .with_remote_addr(remote_addr);
        tx.append_audit(draft, now).await?;
        tx.commit().await?;
        Ok(SignIn::Granted(Box::new(NewSession {
            secret,
            session,
            account,
        })))
    }

    /// Ends a session (signing out); audited as `session.delete`.
    pub async fn sign_out(
        &self,
        session: Uuid,
        by: impl Into<Principal>,
    ) -> Result<(), RuntimeError> {
        let by = by.into();
        let now = self.real_now();
        let mut tx = self.store.begin().await?;
        if !tx.end_session(session, now).await? {
            return Err(RuntimeError::NotFound(NotFound::Token(session.to_string())));
        }
        let draft = AuditDraft::new(
            AuditAction::SessionDelete,
            by.actor().to_string(),
            target::session(session),
        )
        .with_remote_addr(by.remote_addr().map(str::to_owned));
        tx.append_audit(draft, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Enabled, unexpired, and not an emergency account past its grace: the
    /// upkeep disables those only every few seconds, so access ends here at
    /// the instant the grace does.
    fn may_act(&self, account: &Account, real_now: Millis) -> bool {
        account.is_usable(real_now) && !account.is_overdue(&self.config.accounts, real_now)
    }

    /// The usable account behind `secret` (an API token, else a session),
    /// at the real now; `Unauthenticated` says why not. The store answers
    /// from its cache while no credential changed (`store/credentials.rs`):
    /// a revocation, a disabled account, a sign-out anywhere is seen by
    /// the very next request, and expiry is judged here at every request.
    pub async fn authenticate(&self, secret: &str) -> Result<Authenticated, RuntimeError> {
        let hash = Secret::given(secret).hash();
        let now = self.real_now();
        let Some(stored) = self.store.credential(&hash).await? else {
            return Err(RuntimeError::Unauthenticated("unknown token"));
        };
        let credential = match stored.row.as_ref() {
            CredentialRow::Token(token) => {
                if !token.is_live(now) {
                    return Err(RuntimeError::Unauthenticated(
                        "the token is revoked or expired",
                    ));
                }
                let id = Uuid::try_parse(&token.id)
                    .map_err(|_| RuntimeError::Unauthenticated("the token is unreadable"))?;
                Credential::Token(id)
            }
            CredentialRow::Session(session) => {
                if !session.is_live(now) {
                    return Err(RuntimeError::Unauthenticated(
                        "the session has ended or expired; sign in again",
                    ));
                }
                let id = Uuid::try_parse(&session.id)
                    .map_err(|_| RuntimeError::Unauthenticated("the session is unreadable"))?;
                Credential::Session(id)
            }
        };
        let account = stored
            .account
            .filter(|account| self.may_act(account, now))
            .ok_or(RuntimeError::Unauthenticated(
                "the account is disabled or expired",
            ))?;
        if account
            .last_seen_at
            .is_none_or(|seen| now - seen >= SEEN_EVERY)
            && let Err(error) = self.store.touch_account(account.name.as_str(), now).await
        {
            tracing::warn!(%error, account = %account.name, "cannot record when the account was seen");
        }
        Ok(Authenticated {
            account,
            credential,
        })
    }
}
