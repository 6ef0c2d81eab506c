//! What can go wrong when the runtime changes an instance, in terms the API
//! maps to one problem type each.

use std::fmt;

use super::Target;
use crate::accounts::{AccountError, Role};
use crate::engine::Rejection;
use crate::security_report::WeekError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(NotFound),
    /// The engine refused; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// A live instance already holds this business key.
    #[error("a live `{workflow}` instance already has key `{key}`")]
    KeyInUse { workflow: String, key: String },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key `{0}` was already used with a different request")]
    IdempotencyMismatch(String),
    /// Concurrent changes kept winning; the request may be retried.
    #[error("the instance kept changing concurrently; retry")]
    Conflict,
    /// A stored definition version no longer compiles.
    #[error("stored definition {hash} does not load: {message}")]
    Definition { hash: String, message: String },
    /// The account may not do this (`required`: roles and teams any one of
    /// which would have been allowed); nothing changed.
    #[error("{reason}")]
    Forbidden {
        required: Vec<String>,
        reason: String,
    },
    /// An account cannot be created or changed as asked.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The account name is taken.
    #[error("an account named `{0}` already exists")]
    AccountExists(String),
    /// The account is disabled or expired: it gets no new tokens.
    #[error("account `{0}` is disabled or expired")]
    AccountUnusable(String),
    /// A token was asked for with other rights than its account's.
    #[error("a token has exactly its account's rights: `{account}` is {role}")]
    TokenRole { account: String, role: Role },
    #[error(
        "a token name has 1 to 64 characters, no control characters and no surrounding spaces; `{0}` does not"
    )]
    TokenName(String),
    /// No credential, or one that is unknown, revoked, expired, or whose
    /// account is disabled or expired.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// A report's week cannot be placed in the configured time zone.
    #[error(transparent)]
    Week(#[from] WeekError),
    /// `advance_to` needs the runtime to run on a manual clock.
    #[error("the runtime is not on a manual clock")]
    NotManualClock,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was looked for and not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// No instance (for a key: no live one).
    Instance(Target),
    /// No workflow of this id is loaded.
    Workflow(String),
    /// No stored definition version has this content hash.
    Definition { hash: String },
    /// No account of this name.
    Account(String),
    /// No live token, or no live session, with this id.
    Token(String),
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotFound::Instance(target) => write!(f, "instance {target}"),
            NotFound::Workflow(workflow) => write!(f, "workflow `{workflow}`"),
            NotFound::Definition { hash } => write!(f, "definition {hash}"),
            NotFound::Account(name) => write!(f, "account `{name}`"),
            NotFound::Token(id) => write!(f, "live token `{id}`"),
        }
    }
}
