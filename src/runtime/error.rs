//! What can go wrong when the runtime changes an instance, in terms the API
//! maps to one problem type each.

use std::fmt;

use super::Target;
use crate::engine::Rejection;
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
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotFound::Instance(target) => write!(f, "instance {target}"),
            NotFound::Workflow(workflow) => write!(f, "workflow `{workflow}`"),
            NotFound::Definition { hash } => write!(f, "definition {hash}"),
        }
    }
}
