//! Scenario tests: a process owner's script of events and clock advances,
//! with what they expect after each step, run in virtual time by
//! `flowkeeper test`.
//!
//! `format` parses the files; `names` finds names the workflows lack;
//! `runner` runs one scenario through the runtime on an in-memory store; `check` compares expectations with what
//! the store shows; `coverage` reads the histories for what was exercised;
//! `suite` is the command: find, run, report.

mod check;
pub mod coverage;
pub mod failure;
pub mod format;
mod names;
pub mod runner;
mod suite;

pub use check::Mismatch;
pub use coverage::{Coverage, Ratio, WorkflowCoverage};
pub use failure::{Failure, Stage};
pub use format::{Scenario, load_file, parse, scenario_files};
pub use runner::{ScenarioRun, run};
pub use suite::{DEFAULT_FOLDER, Summary, TestError, run_tests};
