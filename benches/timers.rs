//! Timers fired by one runner, beside the raw database doing the same
//! claim and update work in the same run.
//!
//! ```text
//! cargo bench --bench timers -- --database sqlite
//! cargo bench --bench timers -- --database postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! Two runs per database:
//!
//! - **burst**: `--burst` timers (20 000) all due at once; one runner
//!   (`Runtime::fire_due_timers`) fires them, timed from the first claim
//!   to the last commit.
//! - **paced**: `--rate` timers (2 000) fall due every second for
//!   `--seconds` (30); the scheduler's timer loop fires them as they fall
//!   due, and the lag of each (its timer line's time minus its due time,
//!   in whole milliseconds of the runner's clock) gives p50 / p99.
//!
//! The raw baseline (`store::baseline`), on tables of its own through a
//! pool of its own, claims with the same statement shape (`UPDATE …
//! RETURNING`, with `FOR UPDATE SKIP LOCKED` on PostgreSQL) and fires each
//! timer as five statements (load the row locked, update it, number and insert its log
//! line, delete the timer), 50 per transaction, in 4 lanes at once on
//! PostgreSQL, as the runner does.
//! The last lines are `metric <name> <value>`, named `sqlite_…` or `pg_…`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use flowkeeper::engine::{AccountName, Actor, HistoryKind, Millis};
use flowkeeper::model::{Catalog, load_str};
use flowkeeper::runtime::{
    Clock, CreateInstance, ManualClock, Principal, Runtime, RuntimeConfig, SchedulerConfig,
    SystemClock,
};
use flowkeeper::store::Store;
use flowkeeper::store::baseline::Baseline;
use serde_json::Map;
use uuid::Uuid;

#[path = "support/scratch.rs"]
mod scratch;

/// The runtime benchmark's workflow; its `tick` timer fires here.
const WORKFLOW: &str = include_str!("support/bench.toml");

/// The timer's `after`.
const AFTER: Millis = 60_000;

#[derive(Debug, Parser)]
struct Args {
    /// `sqlite` (a fresh temporary file) or a `postgres://` URL.
    #[arg(long)]
    database: String,
    /// Timers due at once in the burst run.
    #[arg(long, default_value_t = 20_000)]
    burst: usize,
    /// Timers falling due per second in the paced run.
    #[arg(long, default_value_t = 2_000)]
    rate: usize,
    /// How long the paced run lasts.
    #[arg(long, default_value_t = 30)]
    seconds: usize,
    /// Timers claimed per statement (`RuntimeConfig::timer_batch`).
    #[arg(long, default_value_t = 200)]
    batch: u32,
    /// Connections in the pool.
    #[arg(long, default_value_t = 8)]
    connections: u32,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// 2026-01-01T00:00:00Z: the manual clock's start.
const START: Millis = 1_767_225_600_000;

/// Instances created per transaction while setting up.
const CREATED_PER_TRANSACTION: usize = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (store, raw, cleanup) = scratch::open(&args.database, args.connections).await?;
    let prefix = if args.database.starts_with("postgres") {
        "pg"
    } else {
        "sqlite"
    };
    let clock = ManualClock::new(START);
    let config = RuntimeConfig {
        timer_batch: args.batch,
        ..RuntimeConfig::default()
    };
    let catalog = || -> anyhow::Result<Catalog> {
        let definition = load_str("bench.toml".as_ref(), WORKFLOW)
            .map_err(|errors| anyhow::anyhow!("{errors}"))?;
        Ok(Catalog::from_definitions([definition]))
    };
    let runtime = Runtime::with_config(
        store.clone(),
        catalog()?,
        Arc::new(clock.clone()),
        config.clone(),
    )
    .await?;
    println!("database: {prefix}, one runner, {} per claim", args.batch);

    // Burst: every timer due at once.
    create(&runtime, &clock, args.burst, None).await?;
    clock.advance(AFTER + 1_000);
    let started = Instant::now();
    let fired = runtime.fire_due_timers().await?;
    let burst = started.elapsed();
    anyhow::ensure!(fired == args.burst, "fired {fired} of {}", args.burst);
    let raw_burst = raw_burst(&raw, args.burst, args.batch).await?;
    let rate = |count: usize, took: Duration| count as f64 / took.as_secs_f64();
    println!("| burst | timers | seconds | timers/s |");
    println!("|---|---|---|---|");
    println!(
        "| engine | {fired} | {:.2} | {:.0} |",
        burst.as_secs_f64(),
        rate(fired, burst)
    );
    println!(
        "| raw | {} | {:.2} | {:.0} |",
        args.burst,
        raw_burst.as_secs_f64(),
        rate(args.burst, raw_burst)
    );

    // Paced: `rate` timers fall due per second.
    let count = args.rate * args.seconds;
    let pace = Pace {
        first_at: clock.now() + 1_000,
        rate: args.rate,
    };
    let due = create(&runtime, &clock, count, Some(pace)).await?;
    let lags = paced(&store, catalog()?, config, &due).await?;
    let raw_lags = raw_paced(&raw, count, args.rate, args.batch).await?;
    println!(
        "| paced {}/s for {} s | timers | lag p50 ms | lag p99 ms | lag max ms |",
        args.rate, args.seconds
    );
    println!("|---|---|---|---|---|");
    for (name, lags) in [("engine", &lags), ("raw", &raw_lags)] {
        println!(
            "| {name} | {} | {:.0} | {:.0} | {:.0} |",
            lags.len(),
            percentile(lags, 50.0),
            percentile(lags, 99.0),
            percentile(lags, 100.0)
        );
    }
    println!(
        "metric {prefix}_timers_burst_per_s {:.0}",
        rate(fired, burst)
    );
    println!(
        "metric {prefix}_timers_burst_seconds {:.3}",
        burst.as_secs_f64()
    );
    println!(
        "metric {prefix}_raw_timers_burst_per_s {:.0}",
        rate(args.burst, raw_burst)
    );
    println!(
        "metric {prefix}_timer_lag_p50_ms {:.0}",
        percentile(&lags, 50.0)
    );
    println!(
        "metric {prefix}_timer_lag_p99_ms {:.0}",
        percentile(&lags, 99.0)
    );
    println!(
        "metric {prefix}_raw_timer_lag_p50_ms {:.0}",
        percentile(&raw_lags, 50.0)
    );
    println!(
        "metric {prefix}_raw_timer_lag_p99_ms {:.0}",
        percentile(&raw_lags, 99.0)
    );
    raw.close().await;
    cleanup.run(&store).await
}

/// When paced instances are created: `rate` a second from `first_at`.
struct Pace {
    first_at: Millis,
    rate: usize,
}

impl Pace {
    /// When the `n`-th is created.
    fn at(&self, n: usize) -> Millis {
        let offset = n.saturating_mul(1_000) / self.rate.max(1);
        self.first_at + Millis::try_from(offset).unwrap_or(Millis::MAX)
    }
}

/// Creates `count` instances, many per transaction; paced, the n-th at
/// `pace.at(n)` on the manual clock (so their timers fall due at that
/// pace), else all at the clock's now. Returns each instance's id and due
/// time.
async fn create(
    runtime: &Runtime,
    clock: &ManualClock,
    count: usize,
    pace: Option<Pace>,
) -> anyhow::Result<Vec<(Uuid, Millis)>> {
    let by = Principal::Trusted(Actor::Account(AccountName::parse("bench")?));
    let mut created = Vec::with_capacity(count);
    let prefix = runtime.new_id();
    for chunk in (0..count)
        .collect::<Vec<_>>()
        .chunks(CREATED_PER_TRANSACTION)
    {
        let mut tx = runtime.store().begin().await?;
        let mut executed = Vec::with_capacity(chunk.len());
        for &n in chunk {
            if let Some(pace) = &pace {
                clock.set(pace.at(n));
            }
            let command = CreateInstance {
                workflow: "bench".into(),
                key: format!("{prefix}-{n}"),
                data: Map::new(),
                by: by.clone(),
                idempotency_key: None,
            };
            executed.push(runtime.execute(&mut tx, &command).await?);
        }
        tx.commit().await?;
        for executed in executed {
            let instance = runtime.committed(executed);
            created.push((instance.id, instance.created_at + AFTER));
        }
    }
    Ok(created)
}

/// The system clock shifted so that the paced timers start falling due
/// just after the run starts.
struct ShiftedClock {
    offset: AtomicI64,
}

impl Clock for ShiftedClock {
    fn now(&self) -> Millis {
        SystemClock.now() + self.offset.load(Ordering::Relaxed)
    }
}

/// Runs the scheduler's timer loop on a runtime of its own (a shifted
/// system clock) until every timer of `due` fired; returns each one's lag
/// in milliseconds, read from its timer line.
async fn paced(
    store: &Store,
    catalog: Catalog,
    config: RuntimeConfig,
    due: &[(Uuid, Millis)],
) -> anyhow::Result<Vec<f64>> {
    let first_due = due.iter().map(|(_, due_at)| *due_at).min().unwrap_or(0);
    let clock = Arc::new(ShiftedClock {
        offset: AtomicI64::new(0),
    });
    clock
        .offset
        .store(first_due - 200 - SystemClock.now(), Ordering::Relaxed);
    let runtime =
        Arc::new(Runtime::with_config(store.clone(), catalog, clock.clone(), config).await?);
    let scheduler = runtime.start_scheduler(SchedulerConfig::default());
    let last_due = due.iter().map(|(_, due_at)| *due_at).max().unwrap_or(0);
    while clock.now() < last_due + 1_000 || store.row_counts().await?["timers"] > 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        anyhow::ensure!(
            clock.now() < last_due + 120_000,
            "timers still pending two minutes after the last was due"
        );
    }
    scheduler.stop().await;
    let mut lags = Vec::with_capacity(due.len());
    for (id, due_at) in due {
        let history = store.history(*id).await?;
        let fired = history
            .iter()
            .find(|line| line.entry.kind() == HistoryKind::Timer)
            .with_context(|| format!("instance {id} has no timer line"))?;
        lags.push((fired.entry.at - due_at) as f64);
    }
    lags.sort_by(f64::total_cmp);
    Ok(lags)
}

/// `count` raw timers all due now, fired by one runner; how long it took.
async fn raw_burst(raw: &Baseline, count: usize, batch: u32) -> anyhow::Result<Duration> {
    let now = || SystemClock.now();
    raw.insert_timers("burst", count, now() - 1_000, usize::MAX)
        .await?;
    let started = Instant::now();
    let mut fired = 0;
    loop {
        let claimed = raw.fire_due_timers(batch, &now).await?;
        if claimed.is_empty() {
            break;
        }
        fired += claimed.len();
    }
    anyhow::ensure!(fired == count, "raw fired {fired} of {count}");
    Ok(started.elapsed())
}

/// `rate` raw timers falling due per second, `count` in all, fired by one
/// runner that sleeps a millisecond when nothing is due; the lags
/// (fired − due, ms), sorted.
async fn raw_paced(
    raw: &Baseline,
    count: usize,
    rate: usize,
    batch: u32,
) -> anyhow::Result<Vec<f64>> {
    let now = || SystemClock.now();
    raw.insert_timers("paced", count, now() + 2_000, rate)
        .await?;
    let mut lags = Vec::with_capacity(count);
    while lags.len() < count {
        let fired = raw.fire_due_timers(batch, &now).await?;
        if fired.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        lags.extend(fired.into_iter().map(|(due, at)| (at - due) as f64));
    }
    lags.sort_by(f64::total_cmp);
    Ok(lags)
}

fn percentile(sorted: &[f64], percent: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (percent / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
