//! The assessment calculator (考覈, seed 004 篇三 4.2.5): recorded facts of a
//! period → per role, each indicator's numerator, denominator, rate, band
//! and points → the total.
//!
//! Pure apart from reading `assessment.toml`: [`run`] takes the history rows
//! (the caller queries the store, ordered by instance and `seq`) and the
//! period, and returns a [`Report`] that renders as JSON, CSV or a table.
//! See `docs/assessment.md` for the rules and the decisions behind them.

mod bands;
mod calc;
pub mod cli;
mod config;
mod facts;
mod period;
mod ratio;
mod report;

pub use bands::{Band, BandTable, Lower, Upper};
pub use calc::{AssessError, run};
pub use config::{AssessmentConfig, DEFAULT_ROLE, Indicator, load_file, load_str};
pub use facts::{Anchor, Attribution, Count, HistoryRow, OutcomeFilter};
pub use period::{Period, PeriodError, PeriodSpec};
pub use ratio::{Ratio, RatioError};
pub use report::{IndicatorReport, Report, RoleReport};
