//! The pure core's throughput: tickets through the shipped `service_desk`
//! workflow, every step an `engine::apply` (or the `engine::create` that
//! starts the ticket) on the instance the previous step returned, purely in
//! memory. The lifecycle exercises what a real ticket does: guards
//! (`resolve` chooses by `event.needs_change`), the `within` cases of the
//! handling clock (`data.level == …`, two of the four on the `office`
//! calendar), pauses (`hold`/`resume`), a return (`bounce`) and SLA
//! outcomes.
//!
//! `cargo bench --bench engine`; prints steps per second for each round,
//! per second of the thread's own CPU time (Linux's per-thread accounting:
//! on a shared machine the wall clock also counts the time other processes
//! held the core) and per wall-clock second, and ends with
//! `metric engine_steps_per_s <n>` (the best round, CPU time). The engine
//! touches no database, so there is no raw-database figure to print beside
//! it; the run's baseline is copying the instance a step starts from and
//! nothing else (`metric engine_instance_clone_per_s`), what every step
//! paid before `apply` took the instance by value, and the peer figure of
//! `shared/spec/performance.md` (xstate, 126 000 transitions/s in memory)
//! is the comparison.
//!
//! `cargo bench --bench engine -- --passes N` plays exactly N passes and
//! times nothing: for instruction counts under callgrind, where two runs
//! with different N give the instructions per step by difference.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use flowkeeper::engine::{self, CreateInput, EventInput, Instance, Millis, Status};
use flowkeeper::model::{Catalog, Definition};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

/// 2026-01-05T09:00:00Z, a Monday morning.
const T0: Millis = 1_767_603_600_000;
const MINUTE: Millis = 60_000;
const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_secs(2);

/// One ticket: its create request and the events of its life.
type Plan = (CreateInput, Vec<EventInput>);

/// One ticket's events after `create`, varying its path by its number.
fn lifecycle(number: usize) -> Vec<EventInput> {
    let mut events = vec![
        event("receive", json!({})),
        event("dispatch", json!({"group": "network"})),
    ];
    if number.is_multiple_of(4) {
        events.push(event("bounce", json!({"reason": "not ours"})));
        events.push(event("dispatch", json!({"group": "systems"})));
    }
    events.push(event("accept", json!({})));
    if number.is_multiple_of(3) {
        events.push(event("hold", json!({"reason": "vendor"})));
        events.push(event("resume", json!({})));
    }
    let needs_change = number.is_multiple_of(2);
    events.push(event("resolve", json!({"needs_change": needs_change})));
    if needs_change {
        events.push(event("file_change", json!({"change_ref": "CR-7"})));
    }
    events.push(event("reply", json!({"message": "fixed"})));
    events.push(event("confirm", json!({"satisfied": true})));
    events
}

fn event(name: &str, data: Json) -> EventInput {
    let Json::Object(data) = data else {
        unreachable!("event data is written as an object")
    };
    EventInput {
        name: name.into(),
        data,
        actor: "bench".into(),
    }
}

/// A ticket's create request, its level cycling through 1–4.
fn ticket(number: usize) -> CreateInput {
    let mut data = Map::new();
    data.insert("level".into(), json!(number % 4 + 1));
    data.insert("summary".into(), json!("VPN down"));
    CreateInput {
        id: Uuid::from_u128(number as u128),
        key: format!("T-{number}").into(),
        data,
        actor: "bench".into(),
    }
}

/// The CPU time this thread has run, from `/proc/thread-self/schedstat`
/// (nanoseconds on the CPU, first field).
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux schedstat");
    let nanos = text
        .split_whitespace()
        .next()
        .and_then(|field| field.parse().ok())
        .expect("schedstat's first field");
    Duration::from_nanos(nanos)
}

/// Plays every ticket of `plans` from `create` to `confirm`, each step on
/// the instance the step before returned; returns the steps taken.
fn pass(desk: &Definition, plans: &[Plan]) -> u64 {
    let mut steps = 0_u64;
    for (create, events) in plans {
        let mut now = T0;
        let outcome = engine::create(desk, create.clone(), now).expect("create");
        let mut instance = outcome.instance;
        steps += 1;
        for event in events {
            now += 7 * MINUTE;
            let outcome = engine::apply(desk, instance, event, now).expect("event accepted");
            instance = black_box(outcome).instance;
            steps += 1;
        }
        assert_eq!(instance.status, Status::Completed, "the ticket closes");
    }
    steps
}

/// The instances one pass starts its steps from (the created one for the
/// `create` step), for the baseline.
fn starting_points(desk: &Definition, plans: &[Plan]) -> Vec<Instance> {
    let mut instances = Vec::new();
    for (create, events) in plans {
        let mut now = T0;
        let mut instance = engine::create(desk, create.clone(), now)
            .expect("create")
            .instance;
        instances.push(instance.clone());
        for event in events {
            now += 7 * MINUTE;
            instances.push(instance.clone());
            instance = engine::apply(desk, instance, event, now)
                .expect("event accepted")
                .instance;
        }
    }
    instances
}

/// The baseline: per step, only copying (and dropping) the instance the
/// step starts from, which every step of a by-reference engine paid first.
fn clone_pass(instances: &[Instance]) -> u64 {
    for instance in instances {
        drop(black_box(instance.clone()));
    }
    instances.len() as u64
}

/// Runs `work` until `budget` has passed; returns steps per second of the
/// thread's CPU time and of the wall clock.
fn round(budget: Duration, mut work: impl FnMut() -> u64) -> (u64, f64, f64) {
    let (started, cpu_started) = (Instant::now(), thread_cpu());
    let mut steps = 0_u64;
    while started.elapsed() < budget {
        steps += work();
    }
    let cpu = (thread_cpu() - cpu_started).as_secs_f64();
    let wall = started.elapsed().as_secs_f64();
    (steps, steps as f64 / cpu, steps as f64 / wall)
}

/// `--passes N`: exactly N passes and no timing, for instruction counts
/// (`valgrind --tool=callgrind`); run twice with different N, the
/// difference divided by the difference in steps is the cost of a step.
fn passes_asked() -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|arg| arg == "--passes")?;
    let count = args.get(at + 1).and_then(|text| text.parse().ok());
    Some(count.expect("--passes takes a number"))
}

fn main() {
    let catalog = Catalog::load(&[PathBuf::from("workflows")]).expect("shipped workflows");
    let desk = catalog.get("service_desk").expect("service_desk").clone();
    let plans: Vec<Plan> = (0..12).map(|n| (ticket(n), lifecycle(n))).collect();
    if let Some(passes) = passes_asked() {
        let steps: u64 = (0..passes).map(|_| pass(&desk, &plans)).sum();
        println!("{passes} passes: {steps} steps");
        return;
    }
    let per_pass: usize = plans.iter().map(|(_, events)| events.len() + 1).sum();
    println!("service_desk lifecycle: {per_pass} steps per pass of 12 tickets");
    round(Duration::from_millis(300), || pass(&desk, &plans));
    let mut best = 0.0_f64;
    for n in 1..=ROUNDS {
        let (steps, rate, wall) = round(ROUND, || pass(&desk, &plans));
        println!(
            "round {n}: {steps} steps, {rate:.0} steps/s of CPU time ({wall:.0} per wall second)"
        );
        best = best.max(rate);
    }
    let instances = starting_points(&desk, &plans);
    let (_, cloned, _) = round(ROUND, || clone_pass(&instances));
    println!("baseline: copying the instance a step starts from, alone: {cloned:.0}/s of CPU time");
    println!("peer: xstate 126000 transitions/s in memory (shared/spec/performance.md)");
    println!("metric engine_instance_clone_per_s {cloned:.0}");
    println!("metric engine_steps_per_s {best:.0}");
}
