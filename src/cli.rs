//! The command line: one argument struct and one function per subcommand.
//!
//! Adding a subcommand (serve, test, assess…) is a variant in [`Command`],
//! its `…Args` struct, one arm in [`run`] and one function here; each
//! function returns the exit code it wants, errors go up to `main`, which
//! prints them once. [`run`] is synchronous: a subcommand that needs async
//! builds its own tokio runtime.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::model::{self, export};

mod assess;
mod backup;
mod security;
mod versions;

pub use security::redacted;

/// flowkeeper: a workflow engine whose processes are declared in TOML files.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check workflow files; prints every problem as file:line:column.
    Validate(ValidateArgs),
    /// Draw a workflow's state graph as Mermaid, Graphviz DOT or SVG.
    Graph(GraphArgs),
    /// Print the JSON Schema (draft-07) of the workflow file format (or of
    /// `calendars.toml`).
    Schema(SchemaArgs),
    /// Run the REST API, the timer loop and the store (see docs/api.md).
    Serve(crate::api::ServeOptions),
    /// Run scenario tests in virtual time; prints one line per scenario,
    /// what differed, and the coverage; exits 1 when any scenario fails.
    Test(TestArgs),
    /// Score each role's indicators (考覈) for a month, a year or dates
    /// from the recorded history (see docs/assessment.md).
    Assess(assess::AssessArgs),
    /// Manage accounts: add (password from stdin), list, set, disable, token
    /// (see docs/security.md).
    Accounts(security::AccountsArgs),
    /// The audit log: `verify` recomputes its hash chain.
    Audit(security::AuditArgs),
    /// The weekly security report (每週審覈安全日誌) as a table, JSON or CSV.
    SecurityReport(security::ReportArgs),
    /// Back the store up to one compressed file while it keeps running, or
    /// check such a file with `--verify` (see docs/backups.md).
    Backup(backup::BackupArgs),
    /// Fill an empty database (SQLite or PostgreSQL) from a backup.
    Restore(backup::RestoreArgs),
    /// What changed between two versions of a workflow file, in words
    /// (with --database: live instances in the states that are gone).
    Diff(versions::DiffArgs),
    /// Move live instances to another workflow version by a migration
    /// plan (see docs/workflow-format.md); --dry-run changes nothing.
    Migrate(versions::MigrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Workflow files or folders of them. A folder's `*.toml` files are
    /// each checked as what they are (`assessment.toml` as the assessment
    /// configuration); a single file is checked against the other
    /// workflows of its folder.
    #[arg(default_value = "workflows")]
    pub paths: Vec<PathBuf>,
    /// Exit 1 on warnings too (for CI).
    #[arg(long)]
    pub deny_warnings: bool,
    /// A database whose stored workflow versions the migration plans of
    /// `<folder>/migrations/` are checked against.
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWKEEPER_DATABASE_URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which file format.
    #[arg(value_enum, default_value_t = SchemaOf::Workflow)]
    pub of: SchemaOf,
}

/// The file formats `schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaOf {
    /// A workflow file (`workflows/<id>.toml`).
    Workflow,
    /// The business calendars (`workflows/calendars.toml`).
    Calendars,
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Scenario files, folders of them, or a workflows folder (its `tests`
    /// folder is searched). The workflows are loaded from the folder the
    /// scenarios' `tests` folder is in.
    #[arg(default_value = crate::scenario::DEFAULT_FOLDER)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The workflow file to draw.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

/// The picture formats of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid state diagram (renders in GitHub, GitLab, many wikis).
    Mermaid,
    /// Graphviz DOT, for `dot -Tpng` and friends.
    Dot,
    /// A self-contained SVG picture, laid out without external programs.
    Svg,
}

/// Runs one subcommand.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate(&args),
        Command::Graph(args) => graph(&args),
        Command::Schema(args) => schema(args.of),
        Command::Serve(options) => serve(options),
        Command::Test(args) => test(&args),
        Command::Assess(args) => assess(&args),
        Command::Accounts(args) => blocking_on(async {
            let mut input = std::io::stdin().lock();
            let mut out = std::io::stdout().lock();
            security::accounts(&args, &mut input, &mut out).await
        }),
        Command::Audit(args) => {
            blocking_on(async { security::audit(&args, &mut std::io::stdout().lock()).await })
        }
        Command::SecurityReport(args) => {
            blocking_on(async { security::report(&args, &mut std::io::stdout().lock()).await })
        }
        Command::Backup(args) => {
            blocking_on(async { backup::backup(&args, &mut std::io::stdout().lock()).await })
        }
        Command::Restore(args) => {
            blocking_on(async { backup::restore(&args, &mut std::io::stdout().lock()).await })
        }
        Command::Diff(args) => {
            blocking_on(async { versions::run_diff(&args, &mut std::io::stdout().lock()).await })
        }
        Command::Migrate(args) => {
            blocking_on(async { versions::run_migrate(&args, &mut std::io::stdout().lock()).await })
        }
    }
}

/// Runs one async command on a single-threaded runtime.
fn blocking_on<T>(command: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?
        .block_on(command)
}

/// Prints the assessment report to stdout.
fn assess(args: &assess::AssessArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("while starting the async runtime")?;
    let mut out = std::io::stdout().lock();
    runtime.block_on(assess::execute(args, &mut out))?;
    Ok(ExitCode::SUCCESS)
}

/// Scenarios run one after the other on in-memory stores: one thread will do.
fn test(args: &TestArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    let mut out = std::io::stdout().lock();
    let summary = runtime.block_on(crate::scenario::run_tests(&args.paths, &mut out))?;
    Ok(if summary.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs the server on a multi-threaded tokio runtime until SIGTERM or Ctrl-C.
fn serve(options: crate::api::ServeOptions) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("while starting the async runtime")?;
    runtime.block_on(crate::api::serve(options))?;
    Ok(ExitCode::SUCCESS)
}

/// Exit 0 when no file has an error (and, with `--deny-warnings`, no
/// warning), 1 otherwise; the problems go to stdout (they are the
/// command's answer), then a summary line.
fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let stored = match &args.database {
        Some(url) => Some(blocking_on(versions::stored_sources(url))?),
        None => None,
    };
    let outcome = match crate::validate::check_with_stored(&args.paths, stored.as_deref()) {
        Ok(outcome) => outcome,
        Err(problems) => crate::validate::Outcome {
            diagnostics: problems,
            ..Default::default()
        },
    };
    if outcome.files == 0 && outcome.diagnostics.0.is_empty() {
        let searched: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!("no workflow files (*.toml) in {}", searched.join(", "));
    }
    for problem in &outcome.diagnostics.0 {
        writeln!(out, "{problem}")?;
    }
    let (errors, warnings) = (outcome.errors(), outcome.warnings());
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    writeln!(out, "{}", summary(&outcome, args.deny_warnings))?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `6 workflows, 1 calendar and assessment.toml valid`, `2 problems in 1 of 8 files`,
/// `3 problems (2 errors, 1 warning) in 2 of 7 files`.
fn summary(outcome: &crate::validate::Outcome, deny_warnings: bool) -> String {
    let (errors, warnings) = (outcome.errors(), outcome.warnings());
    let files = outcome.files;
    let count = errors + warnings;
    if errors == 0 && (warnings == 0 || !deny_warnings) {
        let mut parts = vec![format!(
            "{} workflow{}",
            outcome.workflows,
            plural(outcome.workflows)
        )];
        parts.extend(outcome.others.iter().cloned());
        let valid = match parts.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, first)) => format!("{} and {last}", first.join(", ")),
            None => String::new(),
        };
        return match warnings {
            0 => format!("{valid} valid"),
            _ => format!("{valid} valid, with {warnings} warning{}", plural(warnings)),
        };
    }
    let kinds = if warnings == 0 {
        String::new()
    } else {
        format!(
            " ({errors} error{}, {warnings} warning{})",
            plural(errors),
            plural(warnings)
        )
    };
    format!(
        "{count} problem{}{kinds} in {} of {files} file{}",
        plural(count),
        outcome.files_with_problems(),
        plural(files)
    )
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn graph(args: &GraphArgs) -> anyhow::Result<ExitCode> {
    let definition = model::load_file(&args.file)
        .with_context(|| format!("while loading {}", args.file.display()))?;
    let text = match args.format {
        GraphFormat::Mermaid => export::mermaid(&definition),
        GraphFormat::Dot => export::dot(&definition),
        GraphFormat::Svg => export::svg(&definition)?,
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn schema(of: SchemaOf) -> anyhow::Result<ExitCode> {
    let schema = match of {
        SchemaOf::Workflow => model::json_schema(),
        SchemaOf::Calendars => crate::calendar::json_schema(),
    };
    let text = serde_json::to_string_pretty(&schema)?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(ExitCode::SUCCESS)
}
