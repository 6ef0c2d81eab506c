//! `flowkeeper assess` (api.md): its flags, ready for the binary to
//! flatten into its subcommand, and [`execute`], the whole command.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::compute::{AssessCommandError, compute};
use super::config::load_file;
use super::period::{PeriodError, PeriodSpec};
use super::report::Report;
use crate::model::Catalog;
use crate::store::Store;

/// How long the command waits for the database before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `flowkeeper assess`: loads `assessment.toml` and the workflows
/// beside it, opens the database, assesses the period and writes the
/// report to `out` in the asked format.
///
/// The period is checked before anything is opened, so a mistyped month
/// fails at once with nothing touched.
pub async fn execute(args: &AssessArgs, out: &mut dyn Write) -> Result<(), AssessCommandError> {
    let spec = args.period()?;
    let config = load_file(&args.config_path()).map_err(AssessCommandError::Config)?;
    let catalog = Catalog::load(std::slice::from_ref(&args.workflows))
        .map_err(AssessCommandError::Workflows)?;
    let store = tokio::time::timeout(CONNECT_TIMEOUT, Store::connect(&args.database))
        .await
        .map_err(|_| AssessCommandError::ConnectTimeout(CONNECT_TIMEOUT.as_secs()))?
        .map_err(AssessCommandError::Connect)?;
    let report = compute(&store, &config, &catalog, spec, args.role.as_deref()).await?;
    out.write_all(args.format.render(&report).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// `flowkeeper assess (--month YYYY-MM | --year YYYY | --from D --to D)
/// [--role R] [--format table|json|csv] [--database URL] [--workflows DIR]`
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct AssessArgs {
    /// The calendar month, e.g. 2026-10.
    #[arg(long, value_name = "YYYY-MM", conflicts_with_all = ["year", "from", "to"], required_unless_present_any = ["year", "from"])]
    pub month: Option<String>,
    /// The calendar year, e.g. 2026 (computed from the year's facts).
    #[arg(long, value_name = "YYYY", conflicts_with_all = ["from", "to"])]
    pub year: Option<String>,
    /// The first day of the period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "to")]
    pub from: Option<String>,
    /// The day after the last day (excluded), e.g. --from 2026-10-01 --to 2026-11-01.
    #[arg(long, value_name = "DATE", requires = "from")]
    pub to: Option<String>,
    /// Only this role (a group such as `bss`, or `service_desk`).
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWKEEPER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://flowkeeper.db"
    )]
    pub database: String,
    /// Where `assessment.toml` is read from.
    #[arg(
        long,
        value_name = "DIR",
        env = "FLOWKEEPER_WORKFLOWS",
        default_value = "workflows"
    )]
    pub workflows: PathBuf,
}

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

impl AssessArgs {
    /// The period the flags ask for (the same rules as the REST query).
    pub fn period(&self) -> Result<PeriodSpec, PeriodError> {
        PeriodSpec::parse(
            self.month.as_deref(),
            self.year.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
        )
    }

    /// `<workflows>/assessment.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.workflows.join("assessment.toml")
    }
}

impl Format {
    pub fn render(self, report: &Report) -> String {
        match self {
            Format::Table => report.to_table(),
            Format::Json => report.to_json() + "\n",
            Format::Csv => report.to_csv(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        args: AssessArgs,
    }

    fn parse(argv: &[&str]) -> Result<AssessArgs, clap::Error> {
        Command::try_parse_from(["assess"].iter().chain(argv)).map(|command| command.args)
    }

    #[test]
    fn accepts_one_period_shorthand_and_the_defaults() {
        let args = parse(&["--month", "2026-10"]).unwrap();
        assert_eq!(
            args.period().unwrap(),
            PeriodSpec::Month {
                year: 2026,
                month: 10
            }
        );
        assert_eq!(args.format, Format::Table);
        assert_eq!(
            args.config_path(),
            PathBuf::from("workflows/assessment.toml")
        );
        let args = parse(&["--year", "2026", "--format", "csv", "--role", "bss"]).unwrap();
        assert_eq!(args.period().unwrap(), PeriodSpec::Year(2026));
        assert_eq!(
            (args.format, args.role.as_deref()),
            (Format::Csv, Some("bss"))
        );
        let args = parse(&["--from", "2026-10-01", "--to", "2026-10-08"]).unwrap();
        assert!(matches!(args.period().unwrap(), PeriodSpec::Dates { .. }));
    }

    #[test]
    fn refuses_no_period_two_periods_or_half_a_range() {
        for argv in [
            &[][..],
            &["--month", "2026-10", "--year", "2026"],
            &["--from", "2026-10-01"],
            &["--to", "2026-10-01"],
            &[
                "--year",
                "2026",
                "--from",
                "2026-10-01",
                "--to",
                "2026-10-02",
            ],
        ] {
            assert!(parse(argv).is_err(), "{argv:?} was accepted");
        }
    }
}
