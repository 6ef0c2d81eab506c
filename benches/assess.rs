//! One year of synthetic service_desk history, one million rows: the pure
//! calculation (`assess/one_year_1m_rows`), and the store read plus the
//! calculation from a SQLite file (`assess/sqlite_one_year_1m_rows`, what
//! `flowkeeper assess --year 2026` does after loading its files). The
//! target for the whole command is under a second.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use flowkeeper::assess::{self, PeriodSpec};
use flowkeeper::engine::{HistoryData, HistoryEntry, SlaDecision, SlaOutcome};
use flowkeeper::model::Catalog;
use flowkeeper::store::{AssessmentRow, Store, testing};
use serde_json::{Value as Json, json};
use uuid::Uuid;

const ROWS: usize = 1_000_000;
const GROUPS: [&str; 5] = ["bss", "net", "db", "app", "vendor_a"];
/// 2026-01-01T00:00:00Z.
const YEAR_START: i64 = 1_767_225_600_000;
const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

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
            sla: clock.to_owned(),
            cycle: 1,
            outcome: if met {
                SlaOutcome::Met
            } else {
                SlaOutcome::Missed
            },
            role: Some(role.to_owned()),
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

/// Writes `rows` as the history of a fresh SQLite file: the fixture,
/// written through the store's test support because the runtime is not
/// what is measured.
async fn sqlite_with(rows: &[AssessmentRow], dir: &Path) -> Store {
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let store = Store::connect(&url).await.expect("open SQLite");
    let mut histories: Vec<(Uuid, Vec<HistoryEntry>)> = Vec::new();
    for row in rows {
        let entry = HistoryEntry {
            at: row.at,
            event: row.event.clone(),
            from: row.from_state.clone(),
            to: row.to_state.clone(),
            actor: "bench".to_owned(),
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
    testing::insert_histories(&store, histories)
        .await
        .expect("write the history");
    store
}

fn bench(c: &mut Criterion) {
    let config = assess::load_file(Path::new("workflows/assessment.toml")).expect("shipped config");
    let catalog = Catalog::load(&["workflows".into()]).expect("shipped workflows");
    let spec = PeriodSpec::parse(None, Some("2026"), None, None).expect("2026");
    let period = spec.resolve(config.time_zone()).expect("2026");
    let rows = year_of_history();
    let expected = assess::run(&config, &rows, period, None).expect("ordered rows");

    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = runtime.block_on(sqlite_with(&rows, dir.path()));
    let from_store = runtime
        .block_on(assess::compute(&store, &config, &catalog, spec, None))
        .expect("assess from SQLite");
    assert_eq!(from_store, expected, "the store must yield the same report");

    let mut group = c.benchmark_group("assess");
    group.sample_size(10);
    group.bench_function("one_year_1m_rows", |b| {
        b.iter(|| assess::run(&config, black_box(&rows), period, None).expect("ordered rows"))
    });
    group.bench_function("sqlite_one_year_1m_rows", |b| {
        b.iter(|| {
            runtime
                .block_on(assess::compute(&store, &config, &catalog, spec, None))
                .expect("assess from SQLite")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
