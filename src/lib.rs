//! flowkeeper: a small, durable workflow engine whose processes are
//! declared in TOML files. See `docs/architecture.md` for the map.

pub mod accounts;
pub mod api;
pub mod assess;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod cli;
pub mod console;
pub mod engine;
pub mod model;
pub mod runtime;
pub mod scenario;
pub mod security_report;
pub mod store;
pub mod validate;
pub mod versions;
