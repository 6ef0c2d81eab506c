//! The assessment over this runtime's store and loaded workflows: the
//! shell around the pure calculator, shared by `GET /v1/assessment` and the
//! console's assessment page so that both check the same names and read
//! the same rows.

use crate::assess::{AssessmentConfig, PeriodSpec, Plan, PlanError, Report, TallyError};
use crate::store::StoreError;

use super::Runtime;

/// Why the runtime could not assess a period.
#[derive(Debug, thiserror::Error)]
pub enum AssessmentFailure {
    /// The period or the configuration is wrong (the caller's to fix).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The history could not be read or did not add up.
    #[error(transparent)]
    Tally(#[from] TallyError<StoreError>),
}

impl Runtime {
    /// Scores every role (or only `role`) over the period `spec` asks for,
    /// by `config`, against the workflows loaded now.
    pub async fn assess(
        &self,
        config: &AssessmentConfig,
        spec: PeriodSpec,
        role: Option<&str>,
    ) -> Result<Report, AssessmentFailure> {
        let catalog = self.catalog();
        let plan = Plan::new(config, &catalog, spec)?;
        let period = plan.period();
        let instances =
            self.store
                .assessment_instances(plan.selection(), period.from(), period.to());
        Ok(plan.tally(instances, role).await?)
    }
}
