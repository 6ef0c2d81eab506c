//! Scenario tests: a process owner's script of events and clock advances,
//! with what they expect after each step, run in virtual time by
//! `flowkeeper test`. `format` is the file format; it only parses.

pub mod format;

pub use format::{Scenario, load_file, parse, scenario_files};
