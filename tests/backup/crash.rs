//! A restore killed halfway (SIGKILL while rows are going in) leaves no
//! half-restored database: the target is found empty, and a restore
//! without `--force` then fills it completely.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flowkeeper::backup::{self, Progress};
use flowkeeper::engine::{HistoryData, HistoryEntry};
use flowkeeper::store::{Store, testing};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::support::{REAL_START, flowkeeper, sqlite_url};

const INSTANCES: u128 = 1_000;
const LINES: usize = 100;

fn history(number: u128) -> Vec<HistoryEntry> {
    (0..LINES)
        .map(|line| {
            let mut data = Map::new();
            data.insert(
                "note".into(),
                Json::from(format!("line {line} of {number}")),
            );
            HistoryEntry {
                at: REAL_START + number as i64 * 60_000 + line as i64,
                event: Some("note".into()),
                from: Some("open".into()),
                to: Some("open".into()),
                actor: "tester".into(),
                data: HistoryData::Event(data),
            }
        })
        .collect()
}

#[tokio::test]
async fn a_restore_killed_halfway_leaves_the_target_empty() {
    let folder = tempfile::tempdir().unwrap();
    let source = Store::connect(&sqlite_url(&folder.path().join("source.db")))
        .await
        .unwrap();
    let histories: Vec<(Uuid, Vec<HistoryEntry>)> = (0..INSTANCES)
        .map(|number| (Uuid::from_u128(number + 1), history(number)))
        .collect();
    testing::insert_histories(
        &source,
        histories
            .iter()
            .map(|(id, lines)| (*id, "callback", lines.as_slice())),
    )
    .await
    .unwrap();
    let file = folder.path().join("big.fkb");
    let taken = backup::take(&source, &file, REAL_START, &Progress::hidden())
        .await
        .unwrap();
    source.close().await;

    let target_path = folder.path().join("target.db");
    let target = sqlite_url(&target_path);
    let killed_halfway = kill_while_restoring(&file, &target, &target_path);
    let store = Store::connect(&target).await.unwrap();
    let counts = store.row_counts().await.unwrap();
    store.close().await;
    let history = counts["history"] as u64;
    if killed_halfway {
        assert_eq!(history, 0, "no half-restored history: {counts:?}");
    } else {
        eprintln!("the restore finished before it could be killed");
        assert_eq!(history, (INSTANCES as u64) * LINES as u64);
        return;
    }
    let (restored, stdout, stderr) =
        flowkeeper(&["restore", "--database", &target, file.to_str().unwrap()]);
    assert!(
        restored,
        "the empty target takes a restore: {stdout}{stderr}"
    );
    let store = Store::connect(&target).await.unwrap();
    let counts = store.row_counts().await.unwrap();
    let rows: i64 = counts.values().sum();
    // Everything in the file, and the restore's own audit entry.
    assert_eq!(rows as u64, taken.manifest.total_rows() + 1);
    store.close().await;
}

/// Runs `flowkeeper restore` and SIGKILLs it once its write-ahead log has
/// grown past a few megabytes (rows are going in). Returns whether it was
/// still running when killed.
fn kill_while_restoring(file: &Path, target: &str, target_path: &Path) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
        .args(["restore", "--database", target, file.to_str().unwrap()])
        .env_remove("FLOWKEEPER_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start flowkeeper restore");
    let mut wal = target_path.as_os_str().to_owned();
    wal.push("-wal");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let written = std::fs::metadata(&wal).map_or(0, |meta| meta.len());
        if written > 4 << 20 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the restore hung"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    running
}
