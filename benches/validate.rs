//! Validation time of large workflows, in the three shapes issue 16 names:
//! 10 000 states chained by events, by eventless (`always`) transitions,
//! and chained by events under 10 000 SLA clocks. Each is also run at
//! 1 000 states: linear checks take about ten times as long at 10 000
//! (before the rewrite the eventless chain took about ten minutes).
//!
//! `cargo bench --bench validate`; ends with `metric <name> <value>` lines
//! (milliseconds, median of the runs). Validation touches no database, so
//! there is no raw-database baseline to print beside it.

use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use flowkeeper::model::check_str;

const RUNS: usize = 5;

/// A workflow text of the given number of states.
type Shape = fn(usize) -> String;

fn header() -> String {
    String::from(
        "id = \"t\"\nversion = 1\ntitle = \"T\"\nstart = \"s0\"\n[data.n]\ntype = \"integer\"\ndefault = 0\n",
    )
}

/// s0 --e0--> s1 --e1--> … with a guard and a `set` on each.
fn events(states: usize) -> String {
    let mut text = header();
    for i in 0..states {
        writeln!(
            text,
            "[states.s{i}]\non.e{i} = {{ when = \"data.n >= 0\", to = \"s{}\", set = {{ n = \"data.n + 1\" }} }}\n[events.e{i}]",
            i + 1
        )
        .unwrap();
    }
    writeln!(text, "[states.s{states}]\nterminal = true").unwrap();
    text
}

/// s0 → s1 → … by `always`, each with a guarded way back to s0.
fn eventless(states: usize) -> String {
    let mut text = header();
    for i in 0..states {
        writeln!(
            text,
            "[states.s{i}]\nalways = [{{ when = \"data.n > {i}\", to = \"s0\" }}, {{ to = \"s{}\" }}]",
            i + 1
        )
        .unwrap();
    }
    writeln!(text, "[states.s{states}]\nterminal = true").unwrap();
    text
}

/// The event chain with one SLA clock per state, each stopping ten states on.
fn clocks(states: usize) -> String {
    let mut text = events(states);
    for i in 0..states {
        writeln!(
            text,
            "[slas.c{i}]\nstart = [\"s{i}\"]\nstop = [\"s{}\"]\nwithin = [{{ when = \"data.n > 2\", duration = \"4h\" }}, {{ duration = \"1d\" }}]",
            (i + 10).min(states)
        )
        .unwrap();
    }
    text
}

/// Median time of validating `text`, and its work count.
fn measure(text: &str) -> (Duration, u64) {
    let mut times = Vec::with_capacity(RUNS);
    let mut work = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let report = check_str(Path::new("t.toml"), black_box(text));
        times.push(started.elapsed());
        assert!(!report.has_errors(), "{}", report.diagnostics());
        work = report.work();
    }
    times.sort();
    (times[RUNS / 2], work)
}

fn main() {
    let shapes: [(&str, Shape); 3] = [("events", events), ("always", eventless), ("sla", clocks)];
    let mut metrics = Vec::new();
    for (name, shape) in shapes {
        let (small, small_work) = measure(&shape(1_000));
        let text = shape(10_000);
        let (large, large_work) = measure(&text);
        println!(
            "validate/{name}: 1 000 states {:.1} ms, 10 000 states {:.1} ms ({} KB), time ×{:.1}, work ×{:.1}",
            small.as_secs_f64() * 1e3,
            large.as_secs_f64() * 1e3,
            text.len() / 1024,
            large.as_secs_f64() / small.as_secs_f64(),
            large_work as f64 / small_work as f64,
        );
        metrics.push((
            format!("validate_{name}_10k_states_ms"),
            large.as_secs_f64() * 1e3,
        ));
        metrics.push((
            format!("validate_{name}_10k_over_1k"),
            large.as_secs_f64() / small.as_secs_f64(),
        ));
    }
    for (name, value) in metrics {
        println!("metric {name} {value:.2}");
    }
}
