//! The assessment from the store: the one piece of IO around the pure
//! calculation, shared by `flowkeeper assess` and `GET /v1/assessment` so
//! that both check the same names and read the same rows.

use futures_util::TryStreamExt as _;

use super::calc::{AssessError, Tallies};
use super::config::AssessmentConfig;
use super::period::{PeriodError, PeriodSpec};
use super::report::Report;
use crate::model::{Catalog, Diagnostics};
use crate::store::{Store, StoreError};

/// Why an assessment could not be made, in the terms of whoever asked.
#[derive(Debug, thiserror::Error)]
pub enum AssessCommandError {
    /// The asked period is malformed or empty (the caller's mistake).
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// `assessment.toml` cannot be read, is invalid, or names workflows,
    /// clocks, events or states that the loaded workflows do not have.
    #[error("{0}")]
    Config(Diagnostics),
    /// The workflow files the names are checked against do not load.
    #[error("the workflows do not load:\n{0}")]
    Workflows(Diagnostics),
    #[error("cannot open the database: {0}")]
    Connect(StoreError),
    /// No answer in time: a command should fail, not hang on a database
    /// that is down (the pool would keep retrying for 30 s).
    #[error("cannot open the database: no answer within {0} s")]
    ConnectTimeout(u64),
    #[error("cannot read the history: {0}")]
    Store(StoreError),
    #[error(transparent)]
    Assess(#[from] AssessError),
    /// Printing the report failed. The cause is the error's source, so
    /// that the binary can tell a closed pipe (`| head`) from a failure.
    #[error("cannot write the report")]
    Output(#[from] std::io::Error),
}

/// Assesses the period `spec` asks for from `store`'s history, for every
/// role or only `role`.
///
/// First checks that the names in `config` exist in `catalog`, so that a
/// typo fails here, naming its line, rather than scoring "no data". Rows
/// stream from the store one instance at a time.
pub async fn compute(
    store: &Store,
    config: &AssessmentConfig,
    catalog: &Catalog,
    spec: PeriodSpec,
    role: Option<&str>,
) -> Result<Report, AssessCommandError> {
    config
        .check_names(catalog)
        .map_err(AssessCommandError::Config)?;
    let period = spec.resolve(config.time_zone())?;
    let selection = config.row_selection();
    let mut instances = store.assessment_instances(&selection, period.from(), period.to());
    let mut tallies = Tallies::new(config, period);
    while let Some(rows) = instances
        .try_next()
        .await
        .map_err(AssessCommandError::Store)?
    {
        tallies.push_instance(rows)?;
    }
    Ok(tallies.report(role))
}
