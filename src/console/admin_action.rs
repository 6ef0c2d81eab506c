//! What an admin may do to one instance from the console: cancel it, move
//! it, retry it. The instance page's forms and the stuck list's bulk form
//! both ask for these, and both get the runtime calls the API's
//! `POST /v1/instances/{id}/cancel|move|retry` make, with the signed-in
//! account as the actor.

use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::runtime::{Principal, Target};

/// One admin action, with what its form sent.
pub enum AdminAction<'f> {
    Cancel {
        reason: &'f str,
    },
    Move {
        to: &'f str,
        reason: &'f str,
    },
    /// Resolves the open incidents, then fires the timers that fell due
    /// meanwhile, as the API does.
    Retry,
}

impl AdminAction<'_> {
    /// Runs the action on `target` as `by`.
    pub async fn run(
        &self,
        state: &AppState,
        target: &Target,
        by: Principal,
    ) -> Result<(), Problem> {
        let runtime = state.runtime();
        match *self {
            AdminAction::Cancel { reason } => {
                runtime.cancel(target, reason, by).await?;
            }
            AdminAction::Move { to, reason } => {
                runtime.move_to(target, to, reason, by).await?;
            }
            AdminAction::Retry => {
                runtime.retry(target, by).await?;
                runtime.fire_due_timers().await?;
            }
        }
        Ok(())
    }
}
