//! Noticing changed workflow files while `serve` runs.
//!
//! Polling, not inotify: a poll of a folder of a few dozen small files
//! each second costs nothing, needs no extra dependency, and works where
//! file events do not arrive (network and container bind mounts, editors
//! that save by renaming). A change is reloaded once two polls in a row
//! see the same new content, so a file still being written (or several
//! files saved one after the other) is read once, when it settled: within
//! about two poll intervals of the last write.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often the folder is looked at.
pub const POLL: Duration = Duration::from_secs(1);

/// A digest of the names and contents of the folder's top-level `*.toml`
/// files (workflows, calendars, assessment); unreadable files count as
/// absent.
pub fn fingerprint(folder: &Path) -> u64 {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        if let Ok(content) = std::fs::read(&file) {
            file.hash(&mut hasher);
            content.hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Polls `folder` every `every` and calls `reload` once a change settled,
/// and on every SIGHUP (Unix). Runs until the task is dropped.
pub async fn watch<F, Fut>(folder: PathBuf, every: Duration, mut reload: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let digest = |folder: PathBuf| async move {
        tokio::task::spawn_blocking(move || fingerprint(&folder))
            .await
            .unwrap_or_default()
    };
    let mut loaded = digest(folder.clone()).await;
    let mut settling: Option<u64> = None;
    let mut hangup = hangups();
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                let now = digest(folder.clone()).await;
                if now == loaded {
                    settling = None;
                } else if settling == Some(now) {
                    tracing::info!(folder = %folder.display(), "workflow files changed; reloading");
                    reload().await;
                    loaded = now;
                    settling = None;
                } else {
                    settling = Some(now);
                }
            }
            () = next_hangup(&mut hangup) => {
                tracing::info!(folder = %folder.display(), "SIGHUP; reloading the workflow files");
                reload().await;
                loaded = digest(folder.clone()).await;
                settling = None;
            }
        }
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangups() -> Hangups {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangups() -> Hangups {}

/// Resolves on the next SIGHUP; never where there are none.
#[cfg(unix)]
async fn next_hangup(hangups: &mut Hangups) {
    let received = match hangups {
        Some(signal) => signal.recv().await.is_some(),
        None => false,
    };
    if !received {
        // No (more) signals: never resolve, so the select keeps polling.
        *hangups = None;
        std::future::pending::<()>().await;
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_follows_content_not_other_files() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("a.toml"), "version = 1").unwrap();
        let before = fingerprint(folder.path());
        std::fs::write(folder.path().join("notes.txt"), "x").unwrap();
        assert_eq!(fingerprint(folder.path()), before);
        std::fs::write(folder.path().join("a.toml"), "version = 2").unwrap();
        assert_ne!(fingerprint(folder.path()), before);
    }
}
