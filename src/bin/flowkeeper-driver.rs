//! A headless runner for crash tests and load: opens a store, loads a
//! workflow folder, and either applies events read from stdin or fires due
//! timers. It answers on stdout only after the commit returned, so a test
//! that kills it knows exactly which events were durable.
//!
//! ```text
//! flowkeeper-driver --database URL [--schema S] --workflows DIR apply
//!     stdin, one JSON per line: {"id", "workflow", "key", "event"?, "data"?}
//!     (no "event": create the instance); stdout: `ack <id>` or `nack <id> <why>`
//! flowkeeper-driver … fire-timers [--clock-offset 8d] [--for 2s] [--wait-for-go]
//!     stdout: `ready`, then `fired <n>` when done
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use flowkeeper::engine::Millis;
use flowkeeper::engine::{AccountName, Actor};
use flowkeeper::model::{Catalog, Duration};
use flowkeeper::runtime::{Clock, Runtime, RuntimeConfig, RuntimeError, SystemClock, Target};
use flowkeeper::store::{Store, StoreOptions};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Parser)]
#[command(about = "Apply events or fire timers against a flowkeeper store, headless")]
struct Args {
    /// `sqlite://PATH` or `postgres://…`.
    #[arg(long, env = "FLOWKEEPER_DATABASE_URL", hide_env_values = true)]
    database: String,
    /// PostgreSQL only: the schema to work in.
    #[arg(long)]
    schema: Option<String>,
    /// The workflow folder (or files).
    #[arg(long, default_value = "workflows")]
    workflows: Vec<PathBuf>,
    /// Names this process in timer leases.
    #[arg(long, global = true)]
    runner: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the JSON lines of stdin, one transaction each.
    Apply,
    /// Fire due timers on the system clock (plus an offset).
    FireTimers {
        /// Pretend it is this much later than the system clock says.
        #[arg(long)]
        clock_offset: Option<Duration>,
        /// Run the timer loop this long instead of stopping when none is due.
        #[arg(long = "for")]
        run_for: Option<Duration>,
        /// Print `ready`, then wait for a line on stdin before firing, so
        /// that several processes start together.
        #[arg(long)]
        wait_for_go: bool,
    },
}

/// One stdin line of `apply`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    /// The client's id: the idempotency key of the create or event.
    id: String,
    workflow: String,
    key: String,
    event: Option<String>,
    #[serde(default)]
    data: Map<String, Json>,
}

/// The system clock moved by a fixed offset: "the process was down for 8 days".
struct OffsetClock {
    offset: Millis,
}

impl Clock for OffsetClock {
    fn now(&self) -> Millis {
        SystemClock.now() + self.offset
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let offset = match &args.command {
        Command::FireTimers {
            clock_offset: Some(offset),
            ..
        } => offset.as_millis(),
        _ => 0,
    };
    let runtime = Arc::new(open(&args, Arc::new(OffsetClock { offset })).await?);
    match args.command {
        Command::Apply => apply(&runtime).await,
        Command::FireTimers {
            run_for,
            wait_for_go,
            ..
        } => fire_timers(&runtime, run_for, wait_for_go).await,
    }
}

async fn open(args: &Args, clock: Arc<dyn Clock>) -> anyhow::Result<Runtime> {
    let options = StoreOptions {
        schema: args.schema.clone(),
        ..StoreOptions::new(args.database.clone())
    };
    let store = Store::connect_with(&options)
        .await
        .with_context(|| format!("while opening {}", args.database))?;
    let catalog = Catalog::load(&args.workflows)
        .map_err(|diagnostics| anyhow::anyhow!("{diagnostics}"))
        .context("while loading the workflows")?;
    let mut config = RuntimeConfig::default();
    if let Some(runner) = &args.runner {
        config.runner_id.clone_from(runner);
    }
    Ok(Runtime::with_config(store, catalog, clock, config).await?)
}

async fn apply(runtime: &Runtime) -> anyhow::Result<()> {
    let actor = Actor::Account(AccountName::parse("driver")?);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = std::io::stdout().lock();
    while let Some(text) = lines.next_line().await? {
        if text.trim().is_empty() {
            continue;
        }
        let line: Line =
            serde_json::from_str(&text).with_context(|| format!("bad input line: {text}"))?;
        let answer = match apply_line(runtime, &actor, &line).await {
            Ok(()) => format!("ack {}", line.id),
            // Store trouble is not the event's fault: stop, unanswered.
            Err(RuntimeError::Store(error)) => bail!("store error on {}: {error}", line.id),
            Err(refused) => format!("nack {} {refused}", line.id),
        };
        writeln!(stdout, "{answer}")?;
        stdout.flush()?;
    }
    Ok(())
}

async fn apply_line(runtime: &Runtime, actor: &Actor, line: &Line) -> Result<(), RuntimeError> {
    match &line.event {
        None => {
            runtime
                .create(
                    &line.workflow,
                    &line.key,
                    line.data.clone(),
                    actor,
                    Some(&line.id),
                )
                .await?;
        }
        Some(event) => {
            let target = Target::Key {
                workflow: line.workflow.clone(),
                key: line.key.clone(),
            };
            runtime
                .post_event(&target, event, line.data.clone(), actor, Some(&line.id))
                .await?;
        }
    }
    Ok(())
}

async fn fire_timers(
    runtime: &Runtime,
    run_for: Option<Duration>,
    wait_for_go: bool,
) -> anyhow::Result<()> {
    if wait_for_go {
        println!("ready");
        let mut go = String::new();
        BufReader::new(tokio::io::stdin())
            .read_line(&mut go)
            .await?;
    }
    let fired = match run_for {
        None => runtime.fire_due_timers().await?,
        // The timer loop's rhythm, counted: poll until the time is up.
        Some(run_for) => {
            let until =
                Instant::now() + StdDuration::from_millis(run_for.as_millis().unsigned_abs());
            let mut fired = 0;
            while Instant::now() < until {
                fired += runtime.fire_due_timers().await?;
                tokio::time::sleep(StdDuration::from_millis(50)).await;
            }
            fired
        }
    };
    println!("fired {fired}");
    Ok(())
}
