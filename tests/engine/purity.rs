//! The pure core stays pure: the source of the engine, the model and the
//! pure rules beside them (accounts, the audit chain, the security report)
//! names no runtime, database, HTTP or clock, and nothing anywhere makes ids or reads
//! the time except the runtime's clock. A test rather than a convention, so
//! a stray import fails the build.

use std::fs;
use std::path::{Path, PathBuf};

const NO_IO: [&str; 8] = [
    "tokio",
    "sqlx",
    "axum",
    "reqwest",
    "SystemTime",
    "Instant::now",
    "Timestamp::now",
    "async ",
];

/// Ways to read the wall clock or make a time-based id behind the clock's
/// back: ids would follow wall time under a manual clock.
const CLOCK_ONLY: [&str; 4] = ["now_v7", "Timestamp::now", "SystemTime", "Utc::now"];

fn sources(folder: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(folder)];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("a readable folder") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn the_pure_core_does_no_io_and_never_reads_the_clock() {
    let folders = [
        "src/engine",
        "src/model",
        "src/calendar",
        "src/accounts",
        "src/audit",
        "src/security_report",
    ];
    for folder in folders {
        let files = sources(folder);
        assert!(files.len() >= 3, "expected the modules of {folder}");
        for path in files {
            let text = fs::read_to_string(&path).expect("a readable source file");
            for word in NO_IO {
                assert!(!text.contains(word), "{} mentions `{word}`", path.display());
            }
        }
    }
}

#[test]
fn only_the_clock_reads_the_time_or_makes_time_based_ids() {
    let clock = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/runtime/clock.rs");
    for path in sources("src") {
        if path == clock {
            continue;
        }
        let text = fs::read_to_string(&path).expect("a readable source file");
        for word in CLOCK_ONLY {
            assert!(!text.contains(word), "{} mentions `{word}`", path.display());
        }
    }
}

/// The assessment calculator tallies the rows its caller streams to it:
/// it names no store handle, driver, async runtime or HTTP. The IO is
/// `Runtime::assess`'s and `src/cli/assess.rs`'s.
#[test]
fn the_calculator_opens_no_database() {
    let files = sources("src/assess");
    assert!(files.len() >= 3, "expected the modules of src/assess");
    for path in files {
        let text = fs::read_to_string(&path).expect("a readable source file");
        for word in ["Store", "sqlx", "tokio", "axum", "connect("] {
            assert!(!text.contains(word), "{} mentions `{word}`", path.display());
        }
    }
}
