//! Backup and restore of a store with one million history rows (10 000
//! instances' worth, 100 lines each), on SQLite and, when
//! `FLOWKEEPER_TEST_DATABASE_URL` is set, PostgreSQL: how long a backup,
//! a verification and a restore take and how large the file is. The raw
//! baseline is a plain copy of the SQLite file (what a backup can at best
//! approach on the same disk).
//!
//! `cargo bench --bench backup`; ends with `metric <name> <value>` lines.

use std::time::Instant;

use flowkeeper::backup::{self, Progress, RestoreOptions};
use flowkeeper::engine::{HistoryData, HistoryEntry};
use flowkeeper::store::{Store, testing};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

const INSTANCES: u128 = 10_000;
const LINES: usize = 100;
/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

fn history(number: u128) -> Vec<HistoryEntry> {
    (0..LINES)
        .map(|line| HistoryEntry {
            at: START + number as i64 * 60_000 + line as i64 * 1_000,
            event: (line > 0).then(|| "note".into()),
            from: (line > 0).then(|| "handling".into()),
            to: Some("handling".into()),
            actor: format!("operator{}", number % 40).into(),
            data: {
                let mut data = Map::new();
                data.insert(
                    "text".into(),
                    Json::from(format!("called the customer back, attempt {line}")),
                );
                data.insert("group".into(), Json::from("bss"));
                if line == 0 {
                    HistoryData::Created(data)
                } else {
                    HistoryData::Event(data)
                }
            },
        })
        .collect()
}

async fn filled(store: &Store) {
    let histories: Vec<(Uuid, Vec<HistoryEntry>)> = (0..INSTANCES)
        .map(|number| (Uuid::from_u128(number + 1), history(number)))
        .collect();
    for chunk in histories.chunks(1_000) {
        let rows = chunk
            .iter()
            .map(|(id, entries)| (*id, "service_desk", entries.as_slice()));
        testing::insert_histories(store, rows)
            .await
            .expect("write the history");
    }
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let folder = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temp folder");
    let source_path = folder.path().join("source.db");
    let source = Store::connect(&format!("sqlite://{}", source_path.display()))
        .await
        .expect("the source");
    filled(&source).await;
    let rows: i64 = source.row_counts().await.expect("counts").values().sum();
    println!("store: {rows} rows");

    let started = Instant::now();
    std::fs::copy(&source_path, folder.path().join("copy.db")).expect("copy");
    let copy = seconds(started);
    let database_bytes = std::fs::metadata(&source_path).expect("size").len();
    println!("raw: copying the SQLite file ({database_bytes} bytes) took {copy:.2} s");

    let file = folder.path().join("store.fkb");
    let started = Instant::now();
    let taken = backup::take(&source, &file, START, &Progress::hidden())
        .await
        .expect("backup");
    let backup_sqlite = seconds(started);
    println!(
        "backup from SQLite: {:.2} s, {} bytes ({:.1}x smaller than the database)",
        backup_sqlite,
        taken.bytes,
        database_bytes as f64 / taken.bytes as f64
    );

    let started = Instant::now();
    backup::verify(&file, &Progress::hidden()).expect("verify");
    let verify = seconds(started);
    println!("verify: {verify:.2} s");

    let options = RestoreOptions {
        force: false,
        actor: "admin".into(),
        remote_addr: None,
        now: START,
    };
    let target = Store::connect(&format!(
        "sqlite://{}",
        folder.path().join("target.db").display()
    ))
    .await
    .expect("the target");
    // As `flowkeeper restore` does: verify, then restore.
    let started = Instant::now();
    let manifest = backup::verify(&file, &Progress::hidden()).expect("verify");
    backup::restore(&target, &file, manifest, &options, &Progress::hidden())
        .await
        .expect("restore");
    let restore_sqlite = seconds(started);
    println!("restore into SQLite: {restore_sqlite:.2} s (verifying the file first included)");

    println!("metric backup_1m_rows_sqlite_seconds {backup_sqlite:.2}");
    println!("metric restore_1m_rows_sqlite_seconds {restore_sqlite:.2}");
    println!("metric verify_1m_rows_seconds {verify:.2}");
    println!("metric backup_1m_rows_bytes {}", taken.bytes);
    println!("metric sqlite_1m_rows_database_bytes {database_bytes}");
    println!("metric raw_file_copy_seconds {copy:.2}");

    if let Some(url) = testing::postgres_url() {
        let (postgres, schema) = testing::fresh_schema(&url, "bench_backup", 4)
            .await
            .expect("a PostgreSQL schema");
        let started = Instant::now();
        let manifest = backup::verify(&file, &Progress::hidden()).expect("verify");
        backup::restore(&postgres, &file, manifest, &options, &Progress::hidden())
            .await
            .expect("restore into PostgreSQL");
        let restore_postgres = seconds(started);
        println!("restore into PostgreSQL: {restore_postgres:.2} s");
        let from_postgres = folder.path().join("postgres.fkb");
        let started = Instant::now();
        backup::take(&postgres, &from_postgres, START, &Progress::hidden())
            .await
            .expect("backup from PostgreSQL");
        let backup_postgres = seconds(started);
        println!("backup from PostgreSQL: {backup_postgres:.2} s");
        println!("metric restore_1m_rows_postgres_seconds {restore_postgres:.2}");
        println!("metric backup_1m_rows_postgres_seconds {backup_postgres:.2}");
        testing::drop_schema(&postgres, &schema)
            .await
            .expect("drop the schema");
    }
}
