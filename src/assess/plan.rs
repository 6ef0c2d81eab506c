//! An assessment ready to be fed: the names checked, the period resolved
//! and the rows it needs chosen. Whoever holds the store (the CLI, the API
//! handler, the console) asks it for those rows and hands their stream to
//! [`Plan::tally`]; this module reads nothing itself.

use futures_util::{Stream, TryStreamExt as _};

use super::calc::{AssessError, Tallies};
use super::config::AssessmentConfig;
use super::period::{Period, PeriodError, PeriodSpec};
use super::report::Report;
use crate::model::{Catalog, Diagnostics};
use crate::store::{AssessmentRow, RowSelection};

/// Why an assessment cannot be planned: the caller's mistake, never the
/// database's.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The asked period is malformed or empty.
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// `assessment.toml` names workflows, clocks, events or states that the
    /// loaded workflows do not have.
    #[error("{0}")]
    Config(Diagnostics),
}

/// Why the rows fed to a plan gave no report.
#[derive(Debug, thiserror::Error)]
pub enum TallyError<E> {
    /// The source of the rows failed (the store's error, kept as it came).
    #[error("cannot read the history: {0}")]
    Read(E),
    #[error(transparent)]
    Assess(#[from] AssessError),
}

/// One assessment of one period, before its rows are read.
#[derive(Debug)]
pub struct Plan<'c> {
    config: &'c AssessmentConfig,
    period: Period,
    selection: RowSelection,
}

impl<'c> Plan<'c> {
    /// Checks that the names in `config` exist in `catalog`, so that a typo
    /// fails here, naming its line, rather than scoring "no data"; then
    /// resolves `spec` in the configured time zone.
    pub fn new(
        config: &'c AssessmentConfig,
        catalog: &Catalog,
        spec: PeriodSpec,
    ) -> Result<Self, PlanError> {
        config.check_names(catalog).map_err(PlanError::Config)?;
        let period = spec.resolve(config.time_zone())?;
        Ok(Self {
            config,
            period,
            selection: config.row_selection(),
        })
    }

    /// The rows the indicators read: what the store should select.
    pub fn selection(&self) -> &RowSelection {
        &self.selection
    }

    /// The period assessed (`[from, to)`).
    pub fn period(&self) -> Period {
        self.period
    }

    /// The report, for every role or only `role`, over `instances`: each
    /// item one instance's rows in `seq` order, instances in any order (the
    /// store's `assessment_instances` stream). One instance is held at a time.
    pub async fn tally<E>(
        &self,
        instances: impl Stream<Item = Result<Vec<AssessmentRow>, E>>,
        role: Option<&str>,
    ) -> Result<Report, TallyError<E>> {
        let mut tallies = Tallies::new(self.config, self.period);
        let mut instances = std::pin::pin!(instances);
        while let Some(rows) = instances.try_next().await.map_err(TallyError::Read)? {
            tallies.push_instance(rows)?;
        }
        Ok(tallies.report(role))
    }
}
