//! One year of synthetic service_desk history, one million rows, assessed
//! the way `flowkeeper assess --year 2026` does after loading its files
//! (the plan's names check, store read, decoding, calculation), on
//! SQLite and, when `FLOWKEEPER_TEST_DATABASE_URL` is set, on PostgreSQL.
//! The target for the whole is under a second.
//!
//! Beside each store figure, in the same run: the raw database doing the
//! same read (the same `SELECT` of the instances' facts through plain sqlx,
//! nothing decoded), and the pure calculation over the rows in memory.
//!
//! `cargo bench --bench assess`; prints the median of each and ends with
//! `metric <name> <seconds>` lines (`assess_seconds` is SQLite's whole).

use std::path::Path;
use std::time::{Duration, Instant};

use flowkeeper::assess::{self, AssessmentConfig, PeriodSpec, Report};
use flowkeeper::engine::{HistoryData, HistoryEntry, SlaDecision, SlaOutcome};
use flowkeeper::model::Catalog;
use flowkeeper::store::{AssessmentRow, Store, testing};
use futures_util::TryStreamExt as _;
use serde_json::{Value as Json, json};
use sqlx::Row as _;
use uuid::Uuid;

const ROWS: usize = 1_000_000;
const RUNS: usize = 5;
const GROUPS: [&str; 5] = ["bss", "net", "db", "app", "vendor_a"];
/// 2026-01-01T00:00:00Z.
const YEAR_START: i64 = 1_767_225_600_000;
const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;
/// The raw read: what `Store::assessment_instances` asks the database for
/// the shipped configuration and 2026.
const RAW_READ: &str = "SELECT instance_id, workflow, facts FROM assessment_facts \
     WHERE workflow IN ('service_desk') AND last_at >= $1 AND first_at < $2";

/// Appends rows of one ticket, varying its path by its number.
struct Writer<'a> {
    rows: &'a mut Vec<AssessmentRow>,
    id: Uuid,
    seq: i64,
    at: i64,
    state: &'static str,
}

impl Writer<'_> {
    fn push(&mut self, event: Option<&str>, to: &'static str, data: HistoryData) {
        self.seq += 1;
        self.at += 90_000;
        self.rows.push(AssessmentRow {
            instance_id: self.id,
            seq: self.seq,
            workflow: "service_desk".into(),
            kind: data.kind(),
            at: self.at,
            event: event.map(str::to_owned),
            from_state: (self.seq > 1).then(|| self.state.to_owned()),
            to_state: Some(to.to_owned()),
            data: Some(data),
        });
        self.state = to;
    }

    fn event(&mut self, event: &str, to: &'static str, data: Json) {
        let data = data.as_object().cloned().unwrap_or_default();
        self.push(Some(event), to, HistoryData::Event(data));
    }

    fn sla(&mut self, clock: &str, met: bool, role: &str) {
        let decision = SlaDecision {
            sla: clock.into(),
            cycle: 1,
            outcome: if met {
                SlaOutcome::Met
            } else {
                SlaOutcome::Missed
            },
            role: Some(role.into()),
            due_at: 0,
        };
        let state = self.state;
        self.push(None, state, HistoryData::Sla(decision));
    }
}

fn ticket(rows: &mut Vec<AssessmentRow>, number: u64) {
    let group = GROUPS[(number % 5) as usize];
    let mut writer = Writer {
        rows,
        id: Uuid::from_u128(u128::from(number)),
        seq: 0,
        at: YEAR_START + (number as i64 * 7_919_000) % YEAR_MS,
        state: "submitted",
    };
    let created = json!({"level": 3}).as_object().cloned().unwrap_or_default();
    writer.push(None, "submitted", HistoryData::Created(created));
    writer.event("receive", "received", json!({}));
    writer.sla("response", !number.is_multiple_of(11), "service_desk");
    writer.event("dispatch", "dispatched", json!({"group": group}));
    if number.is_multiple_of(13) {
        writer.event("bounce", "received", json!({"reason": "wrong group"}));
        writer.event("dispatch", "dispatched", json!({"group": group}));
    }
    writer.event("accept", "handling", json!({}));
    if number.is_multiple_of(9) {
        writer.event("hold", "on_hold", json!({"reason": "parts"}));
        writer.event("resume", "handling", json!({}));
    }
    if number.is_multiple_of(17) {
        writer.event("complain", "handling", json!({"text": "slow"}));
    }
    writer.event(
        "resolve",
        "confirmation",
        json!({"solution": "done", "needs_change": false}),
    );
    writer.sla("handling", !number.is_multiple_of(7), group);
    writer.event("reply", "confirmation", json!({"message": "fixed"}));
    writer.sla("reply", !number.is_multiple_of(6), "service_desk");
    writer.event(
        "confirm",
        "closed",
        json!({"satisfied": !number.is_multiple_of(4)}),
    );
}

fn year_of_history() -> Vec<AssessmentRow> {
    let mut rows = Vec::with_capacity(ROWS + 20);
    let mut number = 0;
    while rows.len() < ROWS {
        number += 1;
        ticket(&mut rows, number);
    }
    rows.sort_by_key(|row| (row.instance_id, row.seq));
    rows
}

/// Writes `rows` as the history of `store`: the fixture, written through
/// the store's test support (which records the facts as the runtime's
/// commits do) because the runtime is not what is measured.
async fn write_history(store: &Store, rows: &[AssessmentRow]) {
    let mut histories: Vec<(Uuid, Vec<HistoryEntry>)> = Vec::new();
    for row in rows {
        let entry = HistoryEntry {
            at: row.at,
            event: row.event.as_deref().map(Into::into),
            from: row.from_state.as_deref().map(Into::into),
            to: row.to_state.as_deref().map(Into::into),
            actor: "bench".into(),
            data: row.data.clone().expect("every fixture row has its data"),
        };
        match histories.last_mut() {
            Some((id, entries)) if *id == row.instance_id => entries.push(entry),
            _ => histories.push((row.instance_id, vec![entry])),
        }
    }
    let histories = histories
        .iter()
        .map(|(id, entries)| (*id, "service_desk", entries.as_slice()));
    testing::insert_histories(store, histories)
        .await
        .expect("write the history");
}

/// The median of `RUNS` timings of `run`.
fn median(mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// Everything the bench needs to assess one store.
struct Setup {
    config: AssessmentConfig,
    catalog: Catalog,
    spec: PeriodSpec,
    expected: Report,
}

/// Times the assessment (plan, store read, tally) on `store` and `read_raw` (the same read
/// through plain sqlx, returning the bytes of facts it read).
fn time_store(
    name: &str,
    runtime: &tokio::runtime::Runtime,
    setup: &Setup,
    store: &Store,
    read_raw: impl Fn() -> usize,
) -> (Duration, Duration) {
    let compute = || {
        let plan = assess::Plan::new(&setup.config, &setup.catalog, setup.spec).expect("a plan");
        let period = plan.period();
        let instances = store.assessment_instances(plan.selection(), period.from(), period.to());
        runtime
            .block_on(plan.tally(instances, None))
            .expect("assess from the store")
    };
    assert_eq!(
        compute(),
        setup.expected,
        "{name} must yield the same report"
    );
    let bytes = read_raw();
    let whole = median(|| {
        compute();
    });
    let raw_read = median(|| {
        read_raw();
    });
    println!(
        "{name}: store read + compute {:.3} s; raw read of the same facts rows ({:.1} MB) {:.3} s",
        whole.as_secs_f64(),
        bytes as f64 / 1e6,
        raw_read.as_secs_f64()
    );
    (whole, raw_read)
}

/// The raw read on `pool`: every facts row the assessment reads, each
/// row's text taken from the driver and nothing decoded.
macro_rules! raw_reader {
    ($runtime:expr, $pool:expr, $period:expr) => {
        || {
            $runtime.block_on(async {
                let mut rows = sqlx::query(RAW_READ)
                    .bind($period.from())
                    .bind($period.to())
                    .fetch(&$pool);
                let mut bytes = 0;
                while let Some(row) = rows.try_next().await.expect("raw read") {
                    let facts: String = row.get(2);
                    bytes += facts.len();
                }
                bytes
            })
        }
    };
}

fn main() {
    let config = assess::load_file(Path::new("workflows/assessment.toml")).expect("shipped config");
    let catalog = Catalog::load(&["workflows".into()]).expect("shipped workflows");
    let spec = PeriodSpec::parse(None, Some("2026"), None, None).expect("2026");
    let period = spec.resolve(config.time_zone()).expect("2026");
    let rows = year_of_history();
    let expected = assess::run(&config, &rows, period, None).expect("ordered rows");
    let setup = Setup {
        config,
        catalog,
        spec,
        expected,
    };
    println!(
        "{} history rows, one year of service_desk tickets",
        rows.len()
    );

    let pure = median(|| {
        assess::run(&setup.config, &rows, period, None).expect("ordered rows");
    });
    println!(
        "pure calculation over the rows in memory: {:.3} s",
        pure.as_secs_f64()
    );

    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = runtime.block_on(Store::connect(&url)).expect("open SQLite");
    runtime.block_on(write_history(&store, &rows));
    let raw = runtime
        .block_on(sqlx::SqlitePool::connect(&url))
        .expect("raw SQLite");
    let read_raw = raw_reader!(runtime, raw, period);
    let (sqlite, sqlite_raw) = time_store("SQLite", &runtime, &setup, &store, read_raw);

    let postgres = testing::postgres_url().map(|url| {
        let (store, schema) = runtime
            .block_on(testing::fresh_schema(&url, "bench_assess", 4))
            .expect("PostgreSQL schema");
        runtime.block_on(write_history(&store, &rows));
        let raw = runtime
            .block_on(sqlx::PgPool::connect(&testing::url_with_schema(
                &url, &schema,
            )))
            .expect("raw PostgreSQL");
        let read_raw = raw_reader!(runtime, raw, period);
        let times = time_store("PostgreSQL", &runtime, &setup, &store, read_raw);
        runtime.block_on(raw.close());
        runtime
            .block_on(testing::drop_schema(&store, &schema))
            .expect("drop the schema");
        times
    });

    println!("metric assess_seconds {:.3}", sqlite.as_secs_f64());
    println!(
        "metric assess_sqlite_raw_read_seconds {:.3}",
        sqlite_raw.as_secs_f64()
    );
    println!("metric assess_compute_seconds {:.3}", pure.as_secs_f64());
    if let Some((whole, raw)) = postgres {
        println!("metric assess_postgres_seconds {:.3}", whole.as_secs_f64());
        println!(
            "metric assess_postgres_raw_read_seconds {:.3}",
            raw.as_secs_f64()
        );
    }
}
