//! A progress bar on stderr for long backups and restores, drawn only when
//! stderr is a terminal (scripts, cron and the server's scheduled backups
//! get no escape codes in their logs).

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};

/// Rows done out of the rows to do; silent unless made by
/// [`Progress::on_terminal`].
#[derive(Debug, Clone, Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// No output at all.
    pub fn hidden() -> Self {
        Self::default()
    }

    /// A bar labelled `label` when stderr is a terminal, else hidden.
    pub fn on_terminal(label: &'static str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template(
            "{msg:9} [{bar:32}] {human_pos}/{human_len} rows  {per_sec}  {elapsed_precise}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label);
        Self { bar: Some(bar) }
    }

    pub(super) fn set_total(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(rows);
            bar.set_position(0);
        }
    }

    /// Adds rows to do (a verification learns them table by table).
    pub(super) fn add_total(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(rows);
        }
    }

    pub(super) fn advance(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(rows);
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
