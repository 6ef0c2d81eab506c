//! What can go wrong when the runtime changes an instance, in terms the API
//! maps to one problem type each.

use crate::engine::Rejection;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The named thing (instance, workflow, definition version) does not exist.
    #[error("{0} not found")]
    NotFound(String),
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
