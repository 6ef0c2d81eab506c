//! Load generator: drives `flowkeeper serve` through full `service_desk`
//! ticket lifecycles and reports throughput and latency.
//!
//! ```text
//! # a server of its own on a fresh database, beside the raw database:
//! cargo run --release --bin loadgen -- --spawn sqlite --clients 16,64 --tickets 2000
//! cargo run --release --bin loadgen -- --spawn postgres://postgres@127.0.0.1:5432/test
//! # a server already running:
//! cargo run --release --bin loadgen -- --url http://127.0.0.1:8080 --token TOKEN --clients 16
//! ```
//!
//! Each client takes tickets from a shared counter and runs create → receive
//! → dispatch → accept → resolve → confirm, one request after another, as a
//! service desk integration would. Every request is timed; any answer other
//! than the expected status counts as an error and is reported.
//!
//! With `--spawn`, loadgen starts `flowkeeper serve` (the binary beside
//! its own) on a fresh SQLite file or PostgreSQL schema with the
//! `--workflows` folder, measures each client count in turn, reads the
//! server's peak resident memory, and then runs the raw database (see
//! `store::baseline`) doing one write per request, a transaction each and
//! batched, with as many concurrent writers as clients. The output ends
//! with `metric <name> <value>` lines for scripts.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use flowkeeper::store::baseline::{Baseline, Batcher};
use flowkeeper::store::testing;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "Drives service_desk ticket lifecycles against a flowkeeper server")]
struct Options {
    /// Base URL of a running server (ignored with `--spawn`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A token whose role may create instances and post events (service or
    /// admin); with `--spawn` one is made up.
    #[arg(
        long,
        env = "FLOWKEEPER_TOKEN",
        hide_env_values = true,
        required_unless_present = "spawn"
    )]
    token: Option<String>,
    /// Start a server of its own on `sqlite` (a fresh temporary file) or a
    /// `postgres://` URL (a fresh schema, dropped at the end).
    #[arg(long)]
    spawn: Option<String>,
    /// The workflow folder a spawned server loads.
    #[arg(long, default_value = "workflows")]
    workflows: PathBuf,
    /// Concurrent clients; several (comma-separated) are run one after another.
    #[arg(long, value_delimiter = ',', default_value = "8")]
    clients: Vec<usize>,
    /// Tickets to run through their whole life, per client count.
    #[arg(long, default_value_t = 1000)]
    tickets: usize,
    /// The workflow to drive (must have service_desk's events).
    #[arg(long, default_value = "service_desk")]
    workflow: String,
}

/// The steps after creation: event name and data.
fn lifecycle() -> [(&'static str, Value); 5] {
    [
        ("receive", json!({})),
        ("dispatch", json!({"group": "network"})),
        ("accept", json!({})),
        ("resolve", json!({"needs_change": false})),
        ("confirm", json!({"satisfied": true})),
    ]
}

/// One client count's result.
struct Measured {
    clients: usize,
    requests: usize,
    elapsed: Duration,
    /// Sorted.
    latencies: Vec<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`th percentile in milliseconds (nearest rank).
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1].as_secs_f64() * 1000.0
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    anyhow::ensure!(
        options.clients.iter().all(|clients| *clients > 0),
        "--clients must be at least 1"
    );
    match options.spawn.clone() {
        Some(database) => spawned(options, &database).await,
        None => {
            let token = options.token.clone().context("--token is required")?;
            let target = Target {
                url: options.url.clone(),
                token,
            };
            for &clients in &options.clients {
                let measured = drive(&options, &target, clients).await?;
                report(&measured);
            }
            Ok(())
        }
    }
}

/// Where requests go, and with which token.
#[derive(Clone)]
struct Target {
    url: String,
    token: String,
}

/// `--spawn`: a server of its own, each client count, its memory, then the
/// raw database in the same run.
async fn spawned(options: Options, database: &str) -> anyhow::Result<()> {
    let scratch = Scratch::new()?;
    let (url, cleanup) = if database == "sqlite" {
        let path = scratch.path().join("loadgen.db");
        (format!("sqlite://{}", path.display()), None)
    } else {
        let (store, schema) = testing::fresh_schema(database, "loadgen", 2)
            .await
            .with_context(|| format!("while connecting to {database}"))?;
        (
            testing::url_with_schema(database, &schema),
            Some((store, schema)),
        )
    };
    let prefix = if cleanup.is_some() { "pg" } else { "sqlite" };
    let token = format!("loadgen-{:032x}", rand::random::<u128>());
    let mut server = Server::start(&options, &url, &token, scratch.path()).await?;
    let target = Target {
        url: server.base.clone(),
        token,
    };
    let mut metrics = Vec::new();
    let mut results = Vec::new();
    for &clients in &options.clients {
        let measured = drive(&options, &target, clients).await?;
        report(&measured);
        let name = format!("{prefix}_rest_{clients}_clients");
        metrics.push((format!("{name}_requests_per_s"), measured.rate()));
        metrics.push((format!("{name}_p50_ms"), measured.percentile(50.0)));
        metrics.push((format!("{name}_p99_ms"), measured.percentile(99.0)));
        results.push(measured);
    }
    let rss_mb = server.peak_rss_mb()?;
    println!("serve peak RSS: {rss_mb:.1} MB");
    server.stop();
    if let Some(busiest) = results.iter().max_by_key(|measured| measured.clients) {
        metrics.push((format!("{prefix}_rest_events_per_s"), busiest.rate()));
        metrics.push((format!("{prefix}_rest_p99_ms"), busiest.percentile(99.0)));
    }
    metrics.push(("serve_rss_mb".to_owned(), rss_mb));
    raw_beside(&url, &options, &results, prefix, &mut metrics).await?;
    for (name, value) in metrics {
        println!("metric {name} {value:.2}");
    }
    if let Some((store, schema)) = cleanup {
        testing::drop_schema(&store, &schema).await?;
    }
    Ok(())
}

/// The raw database doing one write per request of each run, with as many
/// writers as the run had clients: a transaction each, then batched.
async fn raw_beside(
    url: &str,
    options: &Options,
    results: &[Measured],
    prefix: &str,
    metrics: &mut Vec<(String, f64)>,
) -> anyhow::Result<()> {
    let baseline = Baseline::open(url, 64).await?;
    let lanes = if prefix == "pg" { 4 } else { 1 };
    let batcher = Batcher::start(baseline.clone(), lanes, 128);
    println!("raw database, the same number of writes:");
    println!("| writers | writes | a tx each writes/s | p99 ms | batched writes/s | p99 ms |");
    println!("|---|---|---|---|---|---|");
    for (run, measured) in results.iter().enumerate() {
        let writers = measured.clients;
        let per_writer = (options.tickets * 6).div_ceil(writers);
        let alone = raw_run(&baseline, None, &format!("a{run}"), writers, per_writer).await?;
        let batched = raw_run(
            &baseline,
            Some(&batcher),
            &format!("b{run}"),
            writers,
            per_writer,
        )
        .await?;
        println!(
            "| {writers} | {} | {:.0} | {:.2} | {:.0} | {:.2} |",
            alone.requests,
            alone.rate(),
            alone.percentile(99.0),
            batched.rate(),
            batched.percentile(99.0)
        );
        let name = format!("{prefix}_rest_{writers}_clients");
        metrics.push((format!("{name}_raw_writes_per_s"), alone.rate()));
        metrics.push((format!("{name}_raw_batched_writes_per_s"), batched.rate()));
        metrics.push((
            format!("{name}_ratio_to_raw"),
            measured.rate() / alone.rate(),
        ));
        metrics.push((
            format!("{name}_ratio_to_raw_batched"),
            measured.rate() / batched.rate(),
        ));
    }
    baseline.close().await;
    Ok(())
}

async fn raw_run(
    baseline: &Baseline,
    batcher: Option<&Batcher>,
    run: &str,
    writers: usize,
    per_writer: usize,
) -> anyhow::Result<Measured> {
    for writer in 0..writers {
        baseline.insert_row(&format!("{run}-{writer}")).await?;
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let (baseline, batcher) = (baseline.clone(), batcher.cloned());
            let row = format!("{run}-{writer}");
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_writer);
                for n in 0..per_writer {
                    let key = format!("{row}-{n}");
                    let began = Instant::now();
                    match &batcher {
                        Some(batcher) => batcher.event(&row, &key).await?,
                        None => baseline.event(&row, &key).await?,
                    }
                    latencies.push(began.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Ok(Measured {
        clients: writers,
        requests: latencies.len(),
        elapsed,
        latencies,
    })
}

/// Runs `options.tickets` lifecycles with `clients` concurrent clients.
async fn drive(options: &Options, target: &Target, clients: usize) -> anyhow::Result<Measured> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(30))
        .build()?;
    // Keys must be new on every run: ended instances keep their keys.
    let run = format!("{:016x}", rand::random::<u64>());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, next, run) = (client.clone(), next.clone(), run.clone());
        let (target, workflow, tickets) =
            (target.clone(), options.workflow.clone(), options.tickets);
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = Vec::new();
            loop {
                let ticket = next.fetch_add(1, Ordering::Relaxed);
                if ticket >= tickets {
                    break;
                }
                let key = format!("LG-{run}-{ticket}");
                if let Err(error) =
                    one_ticket(&client, &target, &workflow, &key, &mut samples).await
                {
                    errors.push(format!("{key}: {error:#}"));
                }
            }
            (samples, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for handle in tasks {
        let (mut samples, mut failed) = handle.await.context("a client task panicked")?;
        latencies.append(&mut samples);
        errors.append(&mut failed);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    for error in errors.iter().take(5) {
        eprintln!("error: {error}");
    }
    if !errors.is_empty() {
        bail!("{} ticket(s) failed", errors.len());
    }
    Ok(Measured {
        clients,
        requests: latencies.len(),
        elapsed,
        latencies,
    })
}

async fn one_ticket(
    client: &reqwest::Client,
    target: &Target,
    workflow: &str,
    key: &str,
    samples: &mut Vec<Duration>,
) -> anyhow::Result<()> {
    let body = json!({"workflow": workflow, "key": key,
                      "data": {"level": 3, "summary": "load test ticket"}});
    let create = client.post(format!("{}/v1/instances", target.url));
    let created = timed(samples, create, target, &body, 201).await?;
    let id = created["id"]
        .as_str()
        .context("the create answer has no id")?
        .to_owned();
    for (event, data) in lifecycle() {
        let body = json!({"event": event, "data": data});
        let url = format!("{}/v1/instances/{id}/events", target.url);
        timed(samples, client.post(url), target, &body, 200).await?;
    }
    Ok(())
}

async fn timed(
    samples: &mut Vec<Duration>,
    request: reqwest::RequestBuilder,
    target: &Target,
    body: &Value,
    expected: u16,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    let response = request.bearer_auth(&target.token).json(body).send().await?;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    samples.push(started.elapsed());
    if status != expected {
        bail!("expected {expected}, got {status}: {answer}");
    }
    Ok(answer)
}

fn report(measured: &Measured) {
    println!(
        "{} clients: {} requests in {:.2}s",
        measured.clients,
        measured.requests,
        measured.elapsed.as_secs_f64()
    );
    println!("throughput: {:.0} requests/s", measured.rate());
    println!(
        "latency ms: p50 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        measured.percentile(50.0),
        measured.percentile(99.0),
        measured.percentile(99.9),
        measured.percentile(100.0)
    );
}

/// A folder of loadgen's own under the system's temporary folder (the
/// SQLite file, the settings path), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("loadgen-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `flowkeeper serve` started by loadgen, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(
        options: &Options,
        database: &str,
        token: &str,
        scratch: &std::path::Path,
    ) -> anyhow::Result<Server> {
        let binary = std::env::current_exe()?.with_file_name("flowkeeper");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(&binary)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database")
            .arg(database)
            .arg("--workflows")
            .arg(&options.workflows)
            .arg("--settings")
            .arg(scratch.join("flowkeeper.toml"))
            .env("FLOWKEEPER_ADMIN_TOKEN", token)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("while starting {}", binary.display()))?;
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let probe = reqwest::get(format!("{}/readyz", server.base)).await;
            if probe.is_ok_and(|response| response.status().is_success()) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("the spawned server did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's peak resident set (`VmHWM`), in MB.
    fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmHWM in /proc/<pid>/status")?;
        Ok(kb / 1024.0)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
