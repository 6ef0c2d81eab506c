//! The runtime's throughput and latency on a real database, beside the raw
//! rate of the same database doing a comparable transaction without the
//! engine, so the engine's overhead is visible.
//!
//! Each writer count is measured four ways in the same run: the engine with
//! group commit (`Runtime::run_detached`, as the API runs requests), the
//! engine with a transaction per event (`Runtime::run`), and the raw
//! database one event per transaction and batched (`store::baseline`).
//! The output ends with `metric <name> <value>` lines for scripts.
//!
//! ```text
//! cargo bench --bench runtime -- --database sqlite
//! cargo bench --bench runtime -- --database postgres://postgres@127.0.0.1/test
//! ```
//!
//! `sqlite` means a fresh file in a temporary folder; a PostgreSQL URL gets
//! a fresh schema, dropped at the end. Every event is posted with a client
//! event id (the idempotent path the API recommends), so one event is:
//! read the idempotency key, load the instance (locked), update it, number
//! and insert its history line, remember the answer — the raw baseline runs
//! the same six statements on tables of its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use flowkeeper::engine::{AccountName, Actor, Millis};
use flowkeeper::model::{Catalog, load_str};
use flowkeeper::runtime::{ManualClock, PostEvent, Runtime, RuntimeConfig, Target};
use flowkeeper::store::Store;
use flowkeeper::store::baseline::{Baseline, Batcher};
use serde_json::{Map, json};

#[path = "support/scratch.rs"]
mod scratch;

/// The workflow both engine benchmarks run: `bump` for posted events, a
/// one-minute `tick` timer for fired ones.
const WORKFLOW: &str = include_str!("support/bench.toml");

#[derive(Debug, Parser)]
struct Args {
    /// `sqlite` (a fresh temporary file) or a `postgres://` URL.
    #[arg(long)]
    database: String,
    /// Events per run, split evenly between the writers.
    #[arg(long, default_value_t = 4_000)]
    events: usize,
    /// The writer counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    writers: Vec<usize>,
    /// Timers to fire in the timer run.
    #[arg(long, default_value_t = 4_000)]
    timers: usize,
    /// Connections in the pool.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// 2026-01-01T00:00:00Z: the manual clock's start.
const START: Millis = 1_767_225_600_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (store, raw, cleanup) = scratch::open(&args.database, args.connections).await?;
    let clock = ManualClock::new(START);
    let config = RuntimeConfig {
        timer_batch: 200,
        ..RuntimeConfig::default()
    };
    let catalog =
        Catalog::from_definitions([load_str("bench.toml".as_ref(), WORKFLOW)
            .map_err(|errors| anyhow::anyhow!("{errors}"))?]);
    let runtime = Arc::new(
        Runtime::with_config(
            store.clone(),
            catalog,
            Arc::new(clock.clone()),
            config.clone(),
        )
        .await?,
    );
    let batched_raw = Batcher::start(raw.clone(), lanes(&store, &config), config.write.max_batch);
    // Warm up: every pooled connection prepares its statements once, and the
    // first measured run should not pay for that.
    let warm_up = args.connections as usize;
    engine_run(&runtime, "warm", Mode::GroupCommit, warm_up, 5).await?;
    engine_run(&runtime, "warm-alone", Mode::Alone, warm_up, 5).await?;
    raw_run(&raw, "warm", None, warm_up, 5).await?;
    raw_run(&raw, "warm-batched", Some(&batched_raw), warm_up, 5).await?;

    let backend = label(&args.database);
    println!("database: {backend}");
    println!(
        "| writers | events | group commit events/s | p50 ms | p99 ms | events per batch | \
         a tx each events/s | p50 ms | p99 ms | raw a tx each events/s | p50 ms | p99 ms | \
         raw batched events/s | p50 ms | p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut metrics = Vec::new();
    for (run, &writers) in args.writers.iter().enumerate() {
        let per_writer = (args.events / writers.max(1)).max(1);
        let before = runtime.batch_stats();
        let grouped = engine_run(
            &runtime,
            &format!("g{run}"),
            Mode::GroupCommit,
            writers,
            per_writer,
        )
        .await?;
        let after = runtime.batch_stats();
        let alone = engine_run(
            &runtime,
            &format!("a{run}"),
            Mode::Alone,
            writers,
            per_writer,
        )
        .await?;
        let raw_alone = raw_run(&raw, &format!("r{run}"), None, writers, per_writer).await?;
        let raw_batched = raw_run(
            &raw,
            &format!("b{run}"),
            Some(&batched_raw),
            writers,
            per_writer,
        )
        .await?;
        // Commands committed in shared transactions, plus those alone.
        let shared = after.commands - before.commands;
        let transactions = (after.batches - before.batches) + (grouped.count as u64 - shared);
        let per_batch = grouped.count as f64 / transactions.max(1) as f64;
        println!(
            "| {writers} | {} | {:.0} | {:.2} | {:.2} | {per_batch:.1} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} |",
            grouped.count,
            grouped.rate(),
            grouped.percentile(50.0),
            grouped.percentile(99.0),
            alone.rate(),
            alone.percentile(50.0),
            alone.percentile(99.0),
            raw_alone.rate(),
            raw_alone.percentile(50.0),
            raw_alone.percentile(99.0),
            raw_batched.rate(),
            raw_batched.percentile(50.0),
            raw_batched.percentile(99.0),
        );
        let name = format!(
            "{}_{writers}_writer{}",
            metric_prefix(&args.database),
            if writers == 1 { "" } else { "s" }
        );
        metrics.push((format!("{name}_events_per_s"), grouped.rate()));
        metrics.push((format!("{name}_p50_ms"), grouped.percentile(50.0)));
        metrics.push((format!("{name}_p99_ms"), grouped.percentile(99.0)));
        metrics.push((format!("{name}_events_per_batch"), per_batch));
        metrics.push((format!("{name}_tx_each_events_per_s"), alone.rate()));
        metrics.push((format!("{name}_raw_events_per_s"), raw_alone.rate()));
        metrics.push((
            format!("{name}_raw_batched_events_per_s"),
            raw_batched.rate(),
        ));
        metrics.push((
            format!("{name}_ratio_to_raw"),
            grouped.rate() / raw_alone.rate(),
        ));
        metrics.push((
            format!("{name}_ratio_to_raw_batched"),
            grouped.rate() / raw_batched.rate(),
        ));
    }
    let (fired, took) = timer_run(&runtime, &clock, args.timers).await?;
    let timers_per_s = fired as f64 / took.as_secs_f64();
    println!(
        "timers: {fired} fired in {:.2} s = {timers_per_s:.0} timers/s (one runner)",
        took.as_secs_f64(),
    );
    metrics.push((
        format!("{}_timers_per_s", metric_prefix(&args.database)),
        timers_per_s,
    ));
    for (name, value) in metrics {
        println!("metric {name} {value:.2}");
    }
    raw.close().await;
    cleanup.run(&store).await
}

/// How the engine commits: with group commit, or a transaction per event.
#[derive(Debug, Clone, Copy)]
enum Mode {
    GroupCommit,
    Alone,
}

/// The raw batcher's writer tasks: as many as group commit's writers.
fn lanes(store: &Store, config: &RuntimeConfig) -> usize {
    match store.backend() {
        flowkeeper::store::Backend::Sqlite => 1,
        flowkeeper::store::Backend::Postgres => config.write.writers,
    }
}

fn metric_prefix(database: &str) -> &'static str {
    if database.starts_with("postgres") {
        "pg"
    } else {
        "sqlite"
    }
}

/// A run's latencies (ms) and wall time.
struct Measured {
    count: usize,
    wall: Duration,
    latencies: Vec<f64>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.count as f64 / self.wall.as_secs_f64()
    }

    fn percentile(&self, percent: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = (percent / 100.0 * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }
}

/// Runs `writers` tasks of `per_writer` operations each and gathers timings.
async fn measure<F, Fut>(
    writers: usize,
    per_writer: usize,
    operation: F,
) -> anyhow::Result<Measured>
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let operation = operation.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_writer);
                for n in 0..per_writer {
                    let began = Instant::now();
                    operation(writer, n).await?;
                    latencies.push(began.elapsed().as_secs_f64() * 1_000.0);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(writers * per_writer);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let wall = started.elapsed();
    latencies.sort_by(f64::total_cmp);
    Ok(Measured {
        count: latencies.len(),
        wall,
        latencies,
    })
}

/// Each writer posts to its own instance, with a client event id.
async fn engine_run(
    runtime: &Arc<Runtime>,
    run: &str,
    mode: Mode,
    writers: usize,
    per_writer: usize,
) -> anyhow::Result<Measured> {
    let actor = bench_actor()?;
    let mut targets = Vec::with_capacity(writers);
    for writer in 0..writers {
        let key = format!("run{run}-w{writer}");
        let instance = runtime
            .create("bench", &key, Map::new(), &actor, None)
            .await?;
        targets.push(Target::Id(instance.id));
    }
    let targets = Arc::new(targets);
    let runtime = Arc::clone(runtime);
    let actor = Arc::new(actor);
    let run = run.to_owned();
    measure(writers, per_writer, move |writer, n| {
        let runtime = Arc::clone(&runtime);
        let targets = Arc::clone(&targets);
        let actor = Arc::clone(&actor);
        let event_id = format!("run{run}-w{writer}-e{n}");
        async move {
            let command = PostEvent {
                target: targets[writer].clone(),
                event: "bump".to_owned(),
                data: match json!({ "note": event_id }) {
                    serde_json::Value::Object(data) => data,
                    _ => unreachable!("a literal object"),
                },
                by: actor.as_ref().into(),
                event_id: Some(event_id),
            };
            match mode {
                Mode::GroupCommit => runtime.run_detached(command).await?,
                Mode::Alone => runtime.run(&command).await?,
            };
            Ok(())
        }
    })
    .await
}

/// The raw events, each in a transaction of its own or through `batcher`.
async fn raw_run(
    raw: &Baseline,
    run: &str,
    batcher: Option<&Batcher>,
    writers: usize,
    per_writer: usize,
) -> anyhow::Result<Measured> {
    for writer in 0..writers {
        raw.insert_row(&format!("run{run}-w{writer}")).await?;
    }
    let (raw, batcher, run) = (raw.clone(), batcher.cloned(), run.to_owned());
    measure(writers, per_writer, move |writer, n| {
        let (raw, batcher) = (raw.clone(), batcher.clone());
        let row = format!("run{run}-w{writer}");
        async move {
            let key = format!("{row}-e{n}");
            match batcher {
                Some(batcher) => batcher.event(&row, &key).await?,
                None => raw.event(&row, &key).await?,
            }
            Ok(())
        }
    })
    .await
}

/// Who the benchmark's changes are recorded as.
fn bench_actor() -> anyhow::Result<Actor> {
    Ok(Actor::Account(AccountName::parse("bench")?))
}

/// Creates `count` instances with a 1-minute timer, then moves the clock
/// past it and times one runner firing them all.
async fn timer_run(
    runtime: &Arc<Runtime>,
    clock: &ManualClock,
    count: usize,
) -> anyhow::Result<(usize, Duration)> {
    let creators = 16;
    let actor = bench_actor()?;
    let tasks: Vec<_> = (0..creators)
        .map(|creator| {
            let runtime = Arc::clone(runtime);
            let actor = actor.clone();
            tokio::spawn(async move {
                for n in (creator..count).step_by(creators) {
                    let key = format!("timer-{n}");
                    runtime
                        .create("bench", &key, Map::new(), &actor, None)
                        .await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    clock.advance(120_000);
    let started = Instant::now();
    let fired = runtime.fire_due_timers().await?;
    Ok((fired, started.elapsed()))
}

fn label(database: &str) -> &str {
    if database.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}
