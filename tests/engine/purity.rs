//! The engine stays pure: its source names no runtime, database, HTTP or
//! clock. A test rather than a convention, so a stray import fails the build.
//! The same holds for the pure rules beside it: accounts, the audit chain
//! and the security report.

use std::fs;
use std::path::Path;

const FORBIDDEN: [&str; 8] = [
    "tokio",
    "sqlx",
    "axum",
    "reqwest",
    "SystemTime",
    "Instant::now",
    "Timestamp::now",
    "async ",
];

#[test]
fn the_engine_does_no_io_and_never_reads_the_clock() {
    check_folder("src/engine", 5);
}

#[test]
fn accounts_audit_and_the_security_report_do_no_io_and_never_read_the_clock() {
    check_folder("src/accounts", 5);
    check_folder("src/audit", 3);
    check_folder("src/security_report", 3);
}

fn check_folder(name: &str, at_least: usize) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    let mut checked = 0;
    for entry in fs::read_dir(&folder).expect("src/engine exists") {
        let path = entry.expect("a readable entry").path();
        let text = fs::read_to_string(&path).expect("a readable source file");
        for word in FORBIDDEN {
            assert!(!text.contains(word), "{} mentions `{word}`", path.display());
        }
        checked += 1;
    }
    assert!(
        checked >= at_least,
        "expected the modules of {name}, found {checked} files"
    );
}
