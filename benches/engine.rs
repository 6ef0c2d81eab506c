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
//! it; the peer figure of `shared/spec/performance.md` (xstate, 126 000
//! transitions/s in memory) is the comparison.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use flowkeeper::engine::{self, CreateInput, EventInput, Millis, Status};
use flowkeeper::model::{Catalog, Definition};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

/// 2026-01-05T09:00:00Z, a Monday morning.
const T0: Millis = 1_767_603_600_000;
const MINUTE: Millis = 60_000;
const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_secs(2);

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

/// Runs whole tickets until `budget` has passed; returns the steps taken.
fn round(desk: &Definition, plans: &[(CreateInput, Vec<EventInput>)], budget: Duration) -> u64 {
    let started = Instant::now();
    let mut steps = 0_u64;
    while started.elapsed() < budget {
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
    }
    steps
}

fn main() {
    let catalog = Catalog::load(&[PathBuf::from("workflows")]).expect("shipped workflows");
    let desk = catalog.get("service_desk").expect("service_desk").clone();
    let plans: Vec<_> = (0..12).map(|n| (ticket(n), lifecycle(n))).collect();
    let per_pass: usize = plans.iter().map(|(_, events)| events.len() + 1).sum();
    println!("service_desk lifecycle: {per_pass} steps per pass of 12 tickets");
    round(&desk, &plans, Duration::from_millis(300));
    let mut best = 0.0_f64;
    for n in 1..=ROUNDS {
        let (started, cpu_started) = (Instant::now(), thread_cpu());
        let steps = round(&desk, &plans, ROUND);
        let cpu = (thread_cpu() - cpu_started).as_secs_f64();
        let rate = steps as f64 / cpu;
        let wall = steps as f64 / started.elapsed().as_secs_f64();
        println!(
            "round {n}: {steps} steps, {rate:.0} steps/s of CPU time ({wall:.0} per wall second)"
        );
        best = best.max(rate);
    }
    println!("peer: xstate 126000 transitions/s in memory (shared/spec/performance.md)");
    println!("metric engine_steps_per_s {best:.0}");
}
