//! Backups and restores (security.md, "Backups"; docs/backups.md): the
//! whole store as one portable, compressed, self-checking file, the same
//! from SQLite and PostgreSQL, and back into an empty database of either
//! kind — which is also how an installation moves from SQLite to
//! PostgreSQL.
//!
//! [`take`] reads a consistent snapshot while the server keeps writing;
//! [`verify`] reads a file through without touching a database;
//! [`restore`] verifies first, then fills the target in one transaction
//! and appends `backup.restore` to the restored audit chain.

mod format;
mod progress;
mod read;
pub mod schedule;
mod write;

use std::path::PathBuf;

pub use format::{FORMAT, FORMAT_VERSION, Manifest, Source, TableSummary};
pub use progress::Progress;
pub use read::{RestoreOptions, RestoreSummary, restore, verify};
pub use write::{BackupSummary, take};

use serde_json::json;

use crate::audit::{AuditAction, AuditDraft};
use crate::engine::Millis;
use crate::store::{Store, StoreError};

/// Why a backup, a verification or a restore failed. Each is one line
/// that says what to do; nothing has been written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a flowkeeper backup", path.display())]
    NotABackup { path: PathBuf },
    #[error("{} is damaged or truncated: {reason}", path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error(
        "{} has backup format {found}, newer than this flowkeeper reads ({FORMAT_VERSION}): \
         restore it with the flowkeeper version that wrote it ({writer}) or later",
        path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: u64,
        writer: String,
    },
    #[error(
        "the backup's schema (migration {found}) is newer than this flowkeeper's \
         ({supported}): restore it with flowkeeper {writer} or later"
    )]
    NewerSchema {
        found: i64,
        supported: i64,
        writer: String,
    },
    #[error(
        "the target database is not empty: restore into an empty database \
         (a new SQLite file or a new PostgreSQL database), or pass --force to replace everything in it"
    )]
    NotEmpty,
    #[error("the backup's column `{table}.{column}` does not exist in this schema")]
    UnknownColumn { table: String, column: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BackupError {
    fn damaged(path: &std::path::Path, reason: impl Into<String>) -> Self {
        BackupError::Damaged {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The audit target of a backup file: `backup:<file name>`.
fn target(path: &std::path::Path) -> String {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    format!("backup:{name}")
}

/// Records a backup's outcome in the audit log of the store it was taken
/// from, in a transaction of its own: `backup.create` with the file, its
/// rows and size, or `backup.fail` with the reason (the weekly report
/// counts both).
pub async fn record(
    store: &Store,
    out: &std::path::Path,
    taken: &Result<BackupSummary, BackupError>,
    actor: &str,
    remote_addr: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    let draft = match taken {
        Ok(summary) => {
            AuditDraft::new(AuditAction::BackupCreate, actor, target(out)).with_detail(json!({
                "file": out.display().to_string(),
                "rows": summary.manifest.total_rows(),
                "bytes": summary.bytes,
            }))
        }
        Err(error) => {
            AuditDraft::new(AuditAction::BackupFail, actor, target(out)).with_detail(json!({
                "file": out.display().to_string(),
                "error": error.to_string(),
            }))
        }
    };
    let draft = draft.with_remote_addr(remote_addr.map(str::to_owned));
    let mut tx = store.begin().await?;
    tx.append_audit(draft, now).await?;
    tx.commit().await
}
