//! Scheduled backups in `serve`: the `[backup]` table of `flowkeeper.toml`
//! (`every`, `dir`, `keep`). Each round writes
//! `dir/flowkeeper-YYYYMMDDTHHMMSSZ.fkb`, records `backup.create` (or
//! `backup.fail`) in the audit log, and keeps the newest `keep` files.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Progress;
use crate::audit::AuditAction;
use crate::engine::Millis;
use crate::model::Duration;
use crate::runtime::Runtime;

/// The last successful scheduled backup, Unix seconds.
pub const LAST_SUCCESS: &str = "flowkeeper_backup_last_success_timestamp_seconds";
/// Scheduled backups, by `outcome` (`ok` or `failed`).
pub const BACKUPS: &str = "flowkeeper_backups_total";
/// The size of the last successful backup, bytes.
pub const LAST_SIZE: &str = "flowkeeper_backup_last_size_bytes";

/// What the actor of a scheduled backup is called in the audit log.
const ACTOR: &str = "engine";
const PREFIX: &str = "flowkeeper-";
const EXTENSION: &str = ".fkb";
/// A failed backup is tried again after this long (or `every`, if shorter).
const RETRY_AFTER: Millis = 15 * 60 * 1000;

/// The `[backup]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSchedule {
    /// How often, e.g. `"1d"` or `"6h"`.
    pub every: Duration,
    /// The folder the files go to (created if missing).
    pub dir: PathBuf,
    /// How many of the newest files to keep (default 7, at least 1).
    #[serde(default = "default_keep")]
    pub keep: usize,
}

fn default_keep() -> usize {
    7
}

/// The part of `flowkeeper.toml` this module reads.
#[derive(Debug, Default, Deserialize)]
struct Settings {
    #[serde(default)]
    backup: Option<BackupSchedule>,
}

impl BackupSchedule {
    /// The `[backup]` table of a settings file's text, if there is one;
    /// other tables are ignored.
    pub fn from_settings(text: &str) -> Result<Option<Self>, ScheduleError> {
        let settings: Settings =
            toml::from_str(text).map_err(|error| ScheduleError(error.to_string()))?;
        match settings.backup {
            Some(schedule) if schedule.keep == 0 => {
                Err(ScheduleError("[backup] keep must be at least 1".to_owned()))
            }
            Some(schedule) if schedule.every.as_millis() < 60_000 => Err(ScheduleError(
                "[backup] every must be at least 1m".to_owned(),
            )),
            other => Ok(other),
        }
    }
}

/// A `[backup]` table that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(String);

/// How scheduled backups went, for `/readyz`: shared by the loop and the
/// API.
#[derive(Debug, Default)]
pub struct BackupStatus {
    /// Epoch milliseconds of the last success; 0 before the first.
    last_success: AtomicI64,
    failures: AtomicU64,
    /// Whether a backup loop runs in this process.
    scheduled: AtomicBool,
}

/// The status of this process's scheduled backups (one server per
/// process; a process without `[backup]` never changes it).
pub fn status() -> Arc<BackupStatus> {
    static STATUS: std::sync::OnceLock<Arc<BackupStatus>> = std::sync::OnceLock::new();
    Arc::clone(STATUS.get_or_init(Arc::default))
}

/// The status as `/readyz` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BackupHealth {
    /// RFC 3339; absent before the first scheduled backup of this process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success: Option<String>,
    /// Scheduled backups that failed since the server started.
    pub failures: u64,
}

impl BackupStatus {
    /// The health, when backups are scheduled in this process.
    pub fn scheduled_health(&self) -> Option<BackupHealth> {
        self.scheduled
            .load(Ordering::Relaxed)
            .then(|| self.health())
    }

    pub fn health(&self) -> BackupHealth {
        let last = self.last_success.load(Ordering::Relaxed);
        BackupHealth {
            last_success: (last > 0).then(|| crate::audit::rfc3339(last)),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }
}

/// The running backup loop.
pub struct BackupLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl BackupLoop {
    /// Starts backing `runtime`'s store up on `schedule`: the first round
    /// at once when `dir` holds no backup younger than `every`.
    pub fn start(
        runtime: Arc<Runtime>,
        schedule: BackupSchedule,
        status: Arc<BackupStatus>,
    ) -> Self {
        status.scheduled.store(true, Ordering::Relaxed);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(backup_loop(runtime, schedule, status, stopped));
        Self { stop, task }
    }

    /// Stops the loop, letting a backup in progress finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn backup_loop(
    runtime: Arc<Runtime>,
    schedule: BackupSchedule,
    status: Arc<BackupStatus>,
    mut stopped: watch::Receiver<bool>,
) {
    // The last success survives restarts in the audit log.
    if let Ok(Some(at)) = runtime
        .store()
        .last_audit_at(AuditAction::BackupCreate, Millis::MAX)
        .await
    {
        status.last_success.store(at, Ordering::Relaxed);
        metrics::gauge!(LAST_SUCCESS).set(at as f64 / 1000.0);
    }
    let every = schedule.every.as_millis();
    let mut due = newest_backup(&schedule.dir).map_or(0, |taken| taken.saturating_add(every));
    loop {
        let now = runtime.real_now();
        if due <= now {
            let succeeded = run_once(&runtime, &schedule, &status).await.is_some();
            let pause = if succeeded {
                every
            } else {
                every.min(RETRY_AFTER)
            };
            due = runtime.real_now().saturating_add(pause);
            continue;
        }
        let wait = StdDuration::from_millis(u64::try_from(due - now).unwrap_or(0));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
    }
}

/// One scheduled backup: written, recorded, counted, old files pruned.
/// Returns the file on success.
pub async fn run_once(
    runtime: &Runtime,
    schedule: &BackupSchedule,
    status: &BackupStatus,
) -> Option<PathBuf> {
    let now = runtime.real_now();
    let out = schedule.dir.join(file_name(now));
    let taken = match std::fs::create_dir_all(&schedule.dir) {
        Ok(()) => super::take(runtime.store(), &out, now, &Progress::hidden()).await,
        Err(source) => Err(super::BackupError::Io {
            action: "create the folder",
            path: schedule.dir.clone(),
            source,
        }),
    };
    // The success is dated when it finished, as its audit entry is: the
    // time read back from the audit log after a restart is the same.
    let finished = runtime.real_now();
    if let Err(error) = super::record(runtime.store(), &out, &taken, ACTOR, None, finished).await {
        tracing::error!(%error, "recording the backup in the audit log failed");
    }
    match taken {
        Ok(summary) => {
            status.last_success.store(finished, Ordering::Relaxed);
            metrics::gauge!(LAST_SUCCESS).set(finished as f64 / 1000.0);
            metrics::gauge!(LAST_SIZE).set(summary.bytes as f64);
            metrics::counter!(BACKUPS, "outcome" => "ok").increment(1);
            tracing::info!(
                file = %out.display(),
                rows = summary.manifest.total_rows(),
                bytes = summary.bytes,
                "backup written"
            );
            prune(&schedule.dir, schedule.keep);
            Some(out)
        }
        Err(error) => {
            status.failures.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(BACKUPS, "outcome" => "failed").increment(1);
            tracing::error!(%error, file = %out.display(), "scheduled backup failed");
            None
        }
    }
}

/// `flowkeeper-20261126T004500Z.fkb`: sorts by time as text.
fn file_name(at: Millis) -> String {
    let stamp = jiff::Timestamp::from_millisecond(at)
        .map(|time| time.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|_| at.to_string());
    format!("{PREFIX}{stamp}{EXTENSION}")
}

/// When a file of [`file_name`]'s form was taken.
fn taken_at(name: &str) -> Option<Millis> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(EXTENSION)?;
    let time = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", stamp).ok()?;
    let time = time.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(time.timestamp().as_millisecond())
}

/// The scheduled backups in `dir`, oldest first.
fn backups_in(dir: &Path) -> Vec<(Millis, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(Millis, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            taken_at(name.to_str()?).map(|at| (at, entry.path()))
        })
        .collect();
    found.sort();
    found
}

fn newest_backup(dir: &Path) -> Option<Millis> {
    backups_in(dir).last().map(|(at, _)| *at)
}

/// Deletes all but the newest `keep` scheduled backups (files of other
/// names are left alone).
fn prune(dir: &Path, keep: usize) {
    let found = backups_in(dir);
    let excess = found.len().saturating_sub(keep);
    for (_, path) in found.into_iter().take(excess) {
        if let Err(error) = std::fs::remove_file(&path) {
            tracing::warn!(%error, file = %path.display(), "cannot remove an old backup");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backup_table_reads_with_defaults_and_limits() {
        assert_eq!(BackupSchedule::from_settings("[accounts]\n").unwrap(), None);
        let schedule =
            BackupSchedule::from_settings("[backup]\nevery = \"1d\"\ndir = \"backups\"\n")
                .unwrap()
                .unwrap();
        assert_eq!(schedule.every.as_millis(), 86_400_000);
        assert_eq!(schedule.keep, 7);
        let error =
            BackupSchedule::from_settings("[backup]\nevery = \"1d\"\ndir = \"b\"\nkeep = 0\n");
        assert!(error.unwrap_err().to_string().contains("keep"));
        let error = BackupSchedule::from_settings("[backup]\nevery = \"1d\"\ndri = \"b\"\n");
        assert!(error.unwrap_err().to_string().contains("dri"));
    }

    #[test]
    fn file_names_carry_their_time() {
        let at = 1_790_841_600_000;
        let name = file_name(at);
        assert_eq!(name, "flowkeeper-20261001T080000Z.fkb");
        assert_eq!(taken_at(&name), Some(at));
        assert_eq!(taken_at("notes.txt"), None);
    }

    #[test]
    fn pruning_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for hour in 0..5 {
            std::fs::write(dir.path().join(file_name(hour * 3_600_000)), b"x").unwrap();
        }
        std::fs::write(dir.path().join("keep-me.txt"), b"x").unwrap();
        prune(dir.path(), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                file_name(3 * 3_600_000),
                file_name(4 * 3_600_000),
                "keep-me.txt".to_owned()
            ]
        );
        assert_eq!(newest_backup(dir.path()), Some(4 * 3_600_000));
    }
}
