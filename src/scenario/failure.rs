//! A scenario step whose expectations did not hold, and where it is.

use std::fmt;
use std::path::PathBuf;

use super::check::Mismatch;
use super::format::Place;

/// Which part of a scenario a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Creating the instance (`[start]`).
    Start,
    /// The `n`th `[[steps]]` entry, from 1.
    Step(usize),
}

/// A step whose expectations did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub file: PathBuf,
    pub stage: Stage,
    /// Where the step is written.
    pub place: Place,
    /// What the step did, e.g. `` event `reopen` `` or `advance 4h 1ms`.
    pub action: String,
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Start => "start".to_owned(),
            Stage::Step(number) => format!("step {number}"),
        };
        write!(
            f,
            "{}:{}:{}: {stage} ({})",
            self.file.display(),
            self.place.line,
            self.place.column,
            self.action
        )?;
        for mismatch in &self.mismatches {
            for line in mismatch.to_string().lines() {
                write!(f, "\n  {line}")?;
            }
        }
        Ok(())
    }
}
