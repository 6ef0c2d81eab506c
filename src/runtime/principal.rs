//! Who asks the runtime for a change, and whether the workflow's rules of
//! who may act apply to them.

use std::sync::Arc;

use crate::accounts::{Account, Role};
use crate::engine::{Actor, Refusal};

use super::RuntimeError;

/// The sender of a command.
#[derive(Debug, Clone)]
pub enum Principal {
    /// An account signed in over the API (a token or a session): what it
    /// posts and creates is authorized against the state the instance is
    /// in (`engine::authorize_*`), inside the transaction that changes it.
    Account {
        account: Arc<Account>,
        /// The client's address, for the audit log.
        remote_addr: Option<String>,
    },
    /// The system (timers, other workflows) or a local tool that runs with
    /// the database's own authority (scenario tests, the CLI, the crash
    /// driver): recorded as this actor, not authorized.
    Trusted(Actor),
}

impl Principal {
    /// What history and the audit log record.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::Account { account, .. } => Actor::Account(account.name.clone()),
            Principal::Trusted(actor) => actor.clone(),
        }
    }

    /// The signed-in account, whose rights are checked.
    pub fn account(&self) -> Option<&Account> {
        match self {
            Principal::Account { account, .. } => Some(account),
            Principal::Trusted(_) => None,
        }
    }

    pub fn remote_addr(&self) -> Option<&str> {
        match self {
            Principal::Account { remote_addr, .. } => remote_addr.as_deref(),
            Principal::Trusted(_) => None,
        }
    }

    /// `Forbidden` unless trusted or an admin: for cancel, move and retry,
    /// which the API already keeps to admins (a second lock on the same door).
    pub(super) fn must_be_admin(&self) -> Result<(), RuntimeError> {
        match self.account() {
            Some(account) if account.role != Role::Admin => Err(RuntimeError::Forbidden {
                required: vec![Role::Admin.as_str().to_owned()],
                reason: "only admin accounts cancel, move or retry instances".into(),
            }),
            _ => Ok(()),
        }
    }
}

impl From<Actor> for Principal {
    fn from(actor: Actor) -> Self {
        Principal::Trusted(actor)
    }
}

impl From<&Actor> for Principal {
    fn from(actor: &Actor) -> Self {
        Principal::Trusted(actor.clone())
    }
}

impl From<&Principal> for Principal {
    fn from(principal: &Principal) -> Self {
        principal.clone()
    }
}

impl From<Refusal> for RuntimeError {
    fn from(refusal: Refusal) -> Self {
        let reason = refusal.to_string();
        match refusal {
            Refusal::Forbidden { required, .. } => RuntimeError::Forbidden { required, reason },
            Refusal::Ended { status, .. } => {
                RuntimeError::Rejected(crate::engine::Rejection::InstanceEnded { status })
            }
        }
    }
}
