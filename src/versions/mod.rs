//! Changing a process while it runs (contract: `shared/spec/versions.md`):
//! reloading the workflow folder file by file, comparing two versions in
//! words, declarative migration plans and batch operations over many
//! instances.
//!
//! The pure parts live here (what a reload accepts, what changed between
//! two versions, what a plan says); the writes go through the runtime's
//! commands like every other change.

pub mod batch;
pub mod cli;
pub mod diff;
pub mod plan;
pub mod reload;
pub mod resolve;
pub mod watch;
