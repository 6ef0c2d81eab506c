//! Who a bearer secret belongs to, answered from memory: the token or
//! session with that hash and its account, cached per store by the
//! secret's SHA-256 (the secret itself is never kept), so that a request
//! costs one read of one integer instead of two or three reads of rows.
//!
//! Revocation takes effect at once, in this process and in every other on
//! the same database (several `serve` processes on one PostgreSQL, a CLI
//! changing an account beside a running server on SQLite): every write to
//! `accounts`, `tokens` or `sessions` (other than `last_seen_at`) rewrites
//! the one row of `credential_revision` in the same transaction, with a
//! fresh random value. Each lookup reads that row first; a value other than
//! the one the cache was filled under empties the cache. A change committed
//! before a request began is therefore seen by that request, with no
//! notification to miss and no window: a revoked token, a disabled or
//! re-roled account, a new password, a signed-out session is refused on
//! the very next request. What changes with time alone (a token's, a
//! session's or an account's expiry, an emergency account's grace) the
//! caller judges on every request from the cached rows and its clock.
//!
//! A random value rather than a counter: a restore (which brings back the
//! backup's value with the backup's rows) or another database can never
//! present the value a cache was filled under with other rows behind it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::db::{Db, Sql};
use super::{SessionRow, Store, StoreError, TokenRow};
use crate::accounts::Account;
use crate::engine::Millis;

pub(super) const TABLE: &str = "credential_revision";

/// Credentials kept at most; a cache that fills up is emptied (unknown
/// secrets are never cached, so only issued credentials count).
const MAX_CACHED: usize = 10_000;

/// What a secret's hash stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRow {
    Token(TokenRow),
    Session(SessionRow),
}

impl CredentialRow {
    /// The account it acts as, when it names one.
    fn account(&self) -> Option<&str> {
        match self {
            CredentialRow::Token(token) => token.account.as_deref(),
            CredentialRow::Session(session) => Some(&session.account),
        }
    }
}

/// A credential as last read, with its account (`None`: the account does
/// not exist). Live or not: the caller judges expiry at its now.
#[derive(Debug, Clone)]
pub struct StoredCredential {
    pub row: Arc<CredentialRow>,
    pub account: Option<Arc<Account>>,
}

/// The per-store cache; every clone of a [`Store`] shares it.
#[derive(Default)]
pub(super) struct CredentialCache {
    cached: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    /// The revision the entries were read under; `None`: nothing read yet.
    revision: Option<i64>,
    /// By the secret's hash.
    credentials: HashMap<String, Arc<CredentialRow>>,
    /// By name (`None`: no such account).
    accounts: HashMap<String, Option<Arc<Account>>>,
}

/// Never prints the hashes it holds.
impl fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.lock();
        f.debug_struct("CredentialCache")
            .field("credentials", &cached.credentials.len())
            .finish()
    }
}

impl CredentialCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached credential under `revision`, emptying the cache first
    /// when it was filled under another.
    fn get(&self, revision: i64, hash: &str) -> Option<StoredCredential> {
        let mut cached = self.lock();
        if cached.revision != Some(revision) {
            *cached = Cached {
                revision: Some(revision),
                ..Cached::default()
            };
            return None;
        }
        let row = Arc::clone(cached.credentials.get(hash)?);
        let account = match row.account() {
            Some(name) => cached.accounts.get(name)?.clone(),
            None => None,
        };
        Some(StoredCredential { row, account })
    }

    /// Keeps what was read under `revision`, unless the cache has moved to
    /// another revision meanwhile (what was read may be older than it).
    fn put(&self, revision: i64, hash: &str, credential: &StoredCredential) {
        let mut cached = self.lock();
        if cached.revision != Some(revision) {
            return;
        }
        if cached.credentials.len() >= MAX_CACHED {
            cached.credentials.clear();
            cached.accounts.clear();
        }
        cached
            .credentials
            .insert(hash.to_owned(), Arc::clone(&credential.row));
        if let Some(name) = credential.row.account() {
            cached
                .accounts
                .insert(name.to_owned(), credential.account.clone());
        }
    }

    /// `name` acted at `at` (already written): the cached account says so
    /// too, so the next request does not write it again.
    pub(super) fn seen(&self, name: &str, at: Millis) {
        let mut cached = self.lock();
        if let Some(Some(account)) = cached.accounts.get_mut(name)
            && account.last_seen_at.is_none_or(|seen| seen < at)
        {
            Arc::make_mut(account).last_seen_at = Some(at);
        }
    }
}

impl Store {
    /// The token (else the session) whose secret hashes to `hash`, with its
    /// account, as committed when this call began: from memory while no
    /// credential changed since it was read, else from the tables.
    pub async fn credential(&self, hash: &str) -> Result<Option<StoredCredential>, StoreError> {
        let revision = revision(&mut self.db()).await?;
        if let Some(credential) = self.credentials.get(revision, hash) {
            return Ok(Some(credential));
        }
        let row = match self.find_token(hash).await? {
            Some(token) => CredentialRow::Token(token),
            None => match self.find_session(hash).await? {
                Some(session) => CredentialRow::Session(session),
                None => return Ok(None),
            },
        };
        let account = match row.account() {
            Some(name) => self.account(name).await?.map(Arc::new),
            None => None,
        };
        let credential = StoredCredential {
            row: Arc::new(row),
            account,
        };
        self.credentials.put(revision, hash, &credential);
        Ok(Some(credential))
    }
}

/// The current revision (0 before any credential was written).
async fn revision(db: &mut Db<'_>) -> Result<i64, StoreError> {
    let sql = Sql::new("SELECT revision FROM credential_revision WHERE id = 1");
    let row: Option<(i64,)> = db.fetch_optional(sql).await?;
    Ok(row.map_or(0, |(revision,)| revision))
}

/// Marks a change to the credentials, in the transaction making it: every
/// cache reading them afterwards reads them again.
pub(super) async fn changed(db: &mut Db<'_>) -> Result<(), StoreError> {
    let sql = Sql::new(
        "INSERT INTO credential_revision (id, revision) VALUES (1, $1) \
         ON CONFLICT (id) DO UPDATE SET revision = excluded.revision",
    )
    .bind(rand::random::<i64>());
    db.execute(sql).await?;
    Ok(())
}
