//! Workflow files end to end: validation rules, the JSON Schema, graph
//! export and the CLI. One test binary, one module per concern.

mod browser;
mod cli;
mod export;
mod properties;
mod schema;
mod time_keys;
mod validation;

use std::path::PathBuf;

/// The fixture that uses every part of the format.
fn ticket_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ticket.toml")
}
