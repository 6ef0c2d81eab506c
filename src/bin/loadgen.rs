//! Load generator: drives a running `flowkeeper serve` through full
//! `service_desk` ticket lifecycles and reports throughput and latency.
//!
//! ```text
//! cargo run --release --bin loadgen -- --url http://127.0.0.1:8080 --token TOKEN --clients 16 --tickets 2000
//! ```
//!
//! Each client takes tickets from a shared counter and runs create → receive
//! → dispatch → accept → resolve → confirm, one request after another, as a
//! service desk integration would. Every request is timed; any answer other
//! than the expected status counts as an error and is reported.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "Drives service_desk ticket lifecycles against a flowkeeper server")]
struct Options {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A token whose role may create instances and post events (service or admin).
    #[arg(long, env = "FLOWKEEPER_TOKEN")]
    token: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Tickets to run through their whole life.
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Arc::new(Options::parse());
    anyhow::ensure!(options.clients > 0, "--clients must be at least 1");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .timeout(Duration::from_secs(30))
        .build()?;
    // Keys must be new on every run: ended instances keep their keys.
    let run = format!("{:016x}", rand::random::<u64>());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..options.clients {
        let (client, options, next, run) =
            (client.clone(), options.clone(), next.clone(), run.clone());
        clients.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = Vec::new();
            loop {
                let ticket = next.fetch_add(1, Ordering::Relaxed);
                if ticket >= options.tickets {
                    break;
                }
                let key = format!("LG-{run}-{ticket}");
                if let Err(error) = one_ticket(&client, &options, &key, &mut samples).await {
                    errors.push(format!("{key}: {error:#}"));
                }
            }
            (samples, errors)
        }));
    }
    let mut samples = Vec::new();
    let mut errors = Vec::new();
    for handle in clients {
        let (mut client_samples, mut client_errors) =
            handle.await.context("a client task panicked")?;
        samples.append(&mut client_samples);
        errors.append(&mut client_errors);
    }
    let elapsed = started.elapsed();
    report(&options, &samples, &errors, elapsed);
    if !errors.is_empty() {
        bail!("{} ticket(s) failed", errors.len());
    }
    Ok(())
}

async fn one_ticket(
    client: &reqwest::Client,
    options: &Options,
    key: &str,
    samples: &mut Vec<Duration>,
) -> anyhow::Result<()> {
    let body = json!({"workflow": options.workflow, "key": key,
                      "data": {"level": 3, "summary": "load test ticket"}});
    let created = timed(
        samples,
        client.post(format!("{}/v1/instances", options.url)),
        options,
        &body,
        201,
    )
    .await?;
    let id = created["id"]
        .as_str()
        .context("the create answer has no id")?
        .to_owned();
    for (event, data) in lifecycle() {
        let body = json!({"event": event, "data": data});
        let url = format!("{}/v1/instances/{id}/events", options.url);
        timed(samples, client.post(url), options, &body, 200).await?;
    }
    Ok(())
}

async fn timed(
    samples: &mut Vec<Duration>,
    request: reqwest::RequestBuilder,
    options: &Options,
    body: &Value,
    expected: u16,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    let response = request
        .bearer_auth(&options.token)
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    samples.push(started.elapsed());
    if status != expected {
        bail!("expected {expected}, got {status}: {answer}");
    }
    Ok(answer)
}

fn report(options: &Options, samples: &[Duration], errors: &[String], elapsed: Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let percentile = |p: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
    };
    println!(
        "{} tickets, {} clients, {} requests in {:.2}s",
        options.tickets,
        options.clients,
        samples.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "throughput: {:.0} requests/s",
        samples.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency ms: p50 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        percentile(50.0),
        percentile(99.0),
        percentile(99.9),
        percentile(100.0)
    );
    for error in errors.iter().take(5) {
        eprintln!("error: {error}");
    }
}
