//! `flowkeeper diff OLD NEW` and `flowkeeper migrate PLAN` (see
//! `docs/workflow-format.md` and `docs/process-owners.md`), and the stored
//! versions `flowkeeper validate --database` checks plans against.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use super::security::redacted;
use crate::engine::Status;
use crate::model::{self, Catalog, Definition};
use crate::runtime::{Principal, Runtime, Selection, SystemClock};
use crate::store::{InstanceFilter, Store};
use crate::versions::diff::{diff, removed_states, render};
use crate::versions::resolve::{PlanError, resolve};

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The workflow file as it was.
    pub old: PathBuf,
    /// The workflow file as it is now.
    pub new: PathBuf,
    /// With a database (`sqlite://…`, `postgres://…`): how many live
    /// instances of the old version stand in each state the new one drops.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The migration plan (e.g. `workflows/migrations/service_desk-1-to-2.toml`).
    pub plan: PathBuf,
    /// Report what would happen; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// `sqlite://PATH` or `postgres://…`.
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWKEEPER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://flowkeeper.db"
    )]
    pub database: String,
    /// The workflows folder: its versions are saved, so a plan may name
    /// the version the server has not reloaded yet.
    #[arg(long, env = "FLOWKEEPER_WORKFLOWS", default_value = "./workflows")]
    pub workflows: PathBuf,
    /// Only instances standing in this state (of the old version).
    #[arg(long)]
    pub state: Option<String>,
    /// Only the instance with this business key.
    #[arg(long)]
    pub key: Option<String>,
}

/// Prints what changed; exit 0 whether or not the files differ, 1 when a
/// file is invalid.
pub async fn run_diff(args: &DiffArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let (old, new) = match (model::load_file(&args.old), model::load_file(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            for problems in [old.err(), new.err()].into_iter().flatten() {
                writeln!(out, "{problems}")?;
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    if old.id != new.id {
        writeln!(
            out,
            "note: comparing two different workflows, `{}` and `{}`",
            old.id, new.id
        )?;
    }
    let sections = diff(&old, &new);
    write!(out, "{}", render(&old, &new, &sections))?;
    if let Some(url) = &args.database {
        let removed = removed_states(&old, &new);
        if !removed.is_empty() {
            let store = Store::connect(url)
                .await
                .with_context(|| format!("while opening the database {}", redacted(url)))?;
            writeln!(
                out,
                "\nLive instances of version {} in removed states:",
                old.version
            )?;
            for state in removed {
                let count = live_in(&store, &old, state).await?;
                let plural = if count == 1 { "" } else { "s" };
                writeln!(
                    out,
                    "  `{state}`: {count} instance{plural} (map it in the migration plan)"
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Live instances of `old`'s version standing in `state`.
async fn live_in(store: &Store, old: &Definition, state: &str) -> anyhow::Result<usize> {
    let mut filter = InstanceFilter {
        workflow: Some(old.id.clone()),
        state: Some(state.to_owned()),
        status: Some(Status::Active),
        limit: 500,
        ..InstanceFilter::default()
    };
    let mut count = 0;
    loop {
        let page = store.list_instances(&filter).await?;
        count += page
            .instances
            .iter()
            .filter(|instance| instance.version == old.version)
            .count();
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => return Ok(count),
        }
    }
}

/// Runs a plan on the database; exit 1 when the plan is invalid or an
/// instance was refused.
pub async fn run_migrate(args: &MigrateArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.plan)
        .with_context(|| format!("while reading {}", args.plan.display()))?;
    let catalog = Catalog::load(std::slice::from_ref(&args.workflows))
        .map_err(|problems| anyhow::anyhow!("{problems}"))
        .with_context(|| format!("while loading {}", args.workflows.display()))?;
    let store = Store::connect(&args.database)
        .await
        .with_context(|| format!("while opening the database {}", redacted(&args.database)))?;
    let runtime = Runtime::new(store, catalog, Arc::new(SystemClock)).await?;
    let plan = match resolve(&runtime, &args.plan, &text).await {
        Ok(plan) => Arc::new(plan),
        Err(PlanError::Invalid(problems)) => {
            writeln!(out, "{problems}")?;
            return Ok(ExitCode::FAILURE);
        }
        Err(PlanError::Runtime(error)) => return Err(error.into()),
    };
    let by = Principal::Account {
        account: Arc::new(runtime.admin_account().await?),
        remote_addr: Some("cli".to_owned()),
    };
    let selection = Selection {
        state: args.state.clone(),
        key: args.key.clone(),
        ..Selection::default()
    };
    let report = runtime
        .migrate_instances(Arc::clone(&plan), &selection, args.dry_run, by)
        .await?;
    let verb = if args.dry_run { "would move" } else { "moved" };
    for done in &report.instances {
        writeln!(
            out,
            "{} {}: {verb} from `{}` (version {}) to `{}` (version {})",
            done.id, done.key, done.from_state, plan.from.version, done.to_state, plan.to.version
        )?;
    }
    for refused in &report.refused {
        writeln!(
            out,
            "{}: refused, left as it was: {}",
            refused.id, refused.reason
        )?;
    }
    writeln!(out, "{}", summary(&report, args.dry_run, &args.plan))?;
    Ok(if report.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn summary(report: &crate::runtime::MigrationReport, dry_run: bool, plan: &Path) -> String {
    let refused = report.refused.len();
    if dry_run {
        format!(
            "dry run of {}: {} would migrate, {refused} would be refused; nothing changed",
            plan.display(),
            report.migrated
        )
    } else {
        format!(
            "{}: {} migrated, {refused} refused",
            plan.display(),
            report.migrated
        )
    }
}

/// Every workflow version the database keeps: (workflow, version, source).
pub async fn stored_sources(url: &str) -> anyhow::Result<Vec<(String, u32, String)>> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("while opening the database {}", redacted(url)))?;
    let mut sources = Vec::new();
    for kept in store.definition_versions(None).await? {
        if let Some(source) = store.definition_source(&kept.hash).await? {
            sources.push((kept.workflow, kept.version, source));
        }
    }
    Ok(sources)
}
