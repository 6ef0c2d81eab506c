//! The engine stays pure: its source names no runtime, database, HTTP or
//! clock. A test rather than a convention, so a stray import fails the build.

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
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
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
        checked >= 5,
        "expected the engine's modules, found {checked} files"
    );
}
