//! The assessment calculator (考覈, seed 004 篇三 4.2.5): recorded facts of a
//! period → per role, each indicator's numerator, denominator, rate, band
//! and points → the total.
//!
//! Pure apart from reading `assessment.toml`: the store owns the query and
//! its row type ([`crate::store::AssessmentRow`]); a [`Plan`] says which rows
//! to read and tallies the stream its caller hands over, and [`run`] takes
//! rows already in memory. Either returns a [`Report`] that renders as JSON,
//! CSV or a table. The IO is the callers': `Runtime::assess` (the API and
//! the console) and `flowkeeper assess` (`src/cli/assess.rs`).
//! See `docs/assessment.md` for the rules and the decisions behind them.

mod bands;
mod calc;
mod config;
mod facts;
mod names;
mod period;
mod plan;
mod ratio;
mod report;
mod selection;

pub use bands::{Band, BandTable, Lower, Upper};
pub use calc::{AssessError, Tallies, run};
pub use config::{AssessmentConfig, DEFAULT_ROLE, Indicator, load_file, load_str, time_zone_in};
pub use facts::{Anchor, Attribution, Count, OutcomeFilter};
pub use period::{Period, PeriodError, PeriodSpec};
pub use plan::{Plan, PlanError, TallyError};
pub use ratio::{Ratio, RatioError};
pub use report::{IndicatorReport, Report, RoleReport};
