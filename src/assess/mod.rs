//! The assessment calculator (考覈, seed 004 篇三 4.2.5): recorded facts of a
//! period → per role, each indicator's numerator, denominator, rate, band
//! and points → the total.
//!
//! Pure apart from reading `assessment.toml` and [`compute`], which streams
//! the rows from the store: [`run`] takes the history rows (ordered by
//! instance and `seq`) and the period, and returns a [`Report`] that renders
//! as JSON, CSV or a table. `cli::execute` is the whole `flowkeeper assess`.
//! See `docs/assessment.md` for the rules and the decisions behind them.

mod bands;
mod calc;
pub mod cli;
mod compute;
mod config;
mod facts;
mod names;
mod period;
mod ratio;
mod report;
mod selection;

pub use bands::{Band, BandTable, Lower, Upper};
pub use calc::{AssessError, Tallies, run};
pub use compute::{AssessCommandError, compute};
pub use config::{AssessmentConfig, DEFAULT_ROLE, Indicator, load_file, load_str, time_zone_in};
pub use facts::{Anchor, Attribution, Count, OutcomeFilter};
pub use period::{Period, PeriodError, PeriodSpec};
pub use ratio::{Ratio, RatioError};
pub use report::{IndicatorReport, Report, RoleReport};
