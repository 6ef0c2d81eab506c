//! `flowkeeper assess` (api.md): its flags and [`execute`], the whole
//! command: the IO around the pure calculator of `crate::assess`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::{Args, ValueEnum};

use super::redacted;
use crate::assess::{PeriodError, PeriodSpec, Plan, Report, load_file};
use crate::model::Catalog;
use crate::store::{Store, StoreOptions};

/// How long the command waits for the database before giving up: a
/// command should fail, not hang on a database that is down (the pool
/// would keep retrying for 30 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `flowkeeper assess`: loads `assessment.toml` and the workflows
/// beside it, opens the database read-only, assesses the period and writes
/// the report to `out` in the asked format.
///
/// The period and the files are checked before the database is opened, so
/// a mistyped month fails at once with nothing touched; the database is
/// never created, migrated or written.
pub async fn execute(args: &AssessArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let spec = args.period()?;
    let config = load_file(&args.config_path()).map_err(|diagnostics| anyhow!("{diagnostics}"))?;
    let catalog = Catalog::load(std::slice::from_ref(&args.workflows))
        .map_err(|diagnostics| anyhow!("the workflows do not load:\n{diagnostics}"))?;
    let plan = Plan::new(&config, &catalog, spec)?;
    let context = || format!("cannot open the database {}", redacted(&args.database));
    let options = StoreOptions::new(&args.database);
    let store = tokio::time::timeout(CONNECT_TIMEOUT, Store::open_read_only(&options))
        .await
        .map_err(|_| anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))
        .with_context(context)?
        .with_context(context)?;
    let period = plan.period();
    let instances = store.assessment_instances(plan.selection(), period.from(), period.to());
    let report = plan.tally(instances, args.role.as_deref()).await?;
    out.write_all(args.format.render(&report).as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write the report")?;
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
