//! Writing one engine step: everything an [`Outcome`] decided about one
//! instance, in the caller's transaction.

use super::{StoreError, WriteTx, history, instances, sla_cycles, timers};
use crate::engine::{Instance, Outcome, Status};

impl WriteTx {
    /// Writes an engine outcome: the instance (inserted when
    /// `expected_revision` is `None`, else updated only if its revision is
    /// still `expected_revision`), its numbered history lines, timer upserts
    /// and deletions, and SLA cycles. Returns the instance as stored, with
    /// its new revision. Effects are the caller's: deliveries go through
    /// [`WriteTx::enqueue_delivery`].
    pub async fn commit_outcome(
        &mut self,
        outcome: &Outcome,
        expected_revision: Option<i64>,
    ) -> Result<Instance, StoreError> {
        let mut db = self.db();
        let mut instance = outcome.instance.clone();
        instance.revision = instances::write(&mut db, &instance, expected_revision).await?;
        history::append(&mut db, instance.id, &instance.workflow, &outcome.history).await?;
        for name in &outcome.timers_cancelled {
            timers::delete(&mut db, instance.id, name).await?;
        }
        for timer in &outcome.timers_set {
            timers::upsert(&mut db, instance.id, timer).await?;
        }
        if instance.status != Status::Active {
            timers::delete_all(&mut db, instance.id).await?;
        }
        for cycle in &outcome.sla_changes {
            sla_cycles::upsert(&mut db, instance.id, cycle).await?;
        }
        Ok(instance)
    }
}
