//! Taking a backup: one snapshot of the store, streamed table by table
//! into a compressed file.
//!
//! The database is read on the async side while a blocking thread
//! compresses and writes, so a large store is never held in memory and the
//! two cores share the work. The file is written beside its final name
//! (`FILE.partial`), synced and renamed only when complete: a failed or
//! interrupted backup never leaves a file that looks like a backup.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt as _;
use tokio::sync::mpsc;

use super::format::{self, FileColumn, Manifest, Record, Source, TableDigest};
use super::{BackupError, Progress};
use crate::engine::Millis;
use crate::store::{Backend, Cell, Store, TABLES};

/// zstd level 3: the library's default, a few times smaller than the rows
/// at well over 100 MB/s on one core.
const LEVEL: i32 = 3;
/// Lines are handed to the writer in chunks of about this many bytes.
const CHUNK: usize = 256 * 1024;

/// A backup that was written.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub manifest: Manifest,
    /// The file's size.
    pub bytes: u64,
}

/// Writes a backup of `store` to `out`, stamped `taken_at` (the caller's
/// clock). Readers and writers of the store carry on meanwhile; the file
/// holds the store as it was when the snapshot began.
pub async fn take(
    store: &Store,
    out: &Path,
    taken_at: Millis,
    progress: &Progress,
) -> Result<BackupSummary, BackupError> {
    let partial = partial_path(out);
    let file = File::create(&partial).map_err(|source| BackupError::Io {
        action: "create",
        path: partial.clone(),
        source,
    })?;
    let (sender, receiver) = mpsc::channel::<Vec<u8>>(16);
    let writer = tokio::task::spawn_blocking(move || compress(file, receiver));
    let dumped = dump(store, taken_at, sender, progress).await;
    let written = writer.await.map_err(|error| BackupError::Io {
        action: "write",
        path: partial.clone(),
        source: std::io::Error::other(error.to_string()),
    });
    progress.finish();
    let outcome = match (dumped, written) {
        (Ok(manifest), Ok(Ok(bytes))) => Ok((manifest, bytes)),
        // The writer's own failure (a full disk) explains a refused send.
        (_, Ok(Err(source))) => Err(BackupError::Io {
            action: "write",
            path: partial.clone(),
            source,
        }),
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    match outcome {
        Ok((manifest, bytes)) => {
            std::fs::rename(&partial, out).map_err(|source| BackupError::Io {
                action: "rename the finished backup to",
                path: out.to_owned(),
                source,
            })?;
            Ok(BackupSummary {
                path: out.to_owned(),
                manifest,
                bytes,
            })
        }
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(error)
        }
    }
}

/// `FILE.partial`, beside `FILE` so that the rename stays on one file system.
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Reads every table from one snapshot and sends the lines to the writer;
/// returns the manifest that ends the file.
async fn dump(
    store: &Store,
    taken_at: Millis,
    sender: mpsc::Sender<Vec<u8>>,
    progress: &Progress,
) -> Result<Manifest, BackupError> {
    let mut snapshot = store.snapshot().await?;
    let source = Source {
        backend: match snapshot.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .to_owned(),
        schema_version: snapshot.schema_version().await?,
        taken_at: crate::audit::rfc3339(taken_at),
        flowkeeper: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        counts.push(snapshot.count(table).await?);
    }
    progress.set_total(counts.iter().map(|&count| count as u64).sum());
    let mut out = Lines::new(sender);
    out.push(&Record::Header {
        format: format::FORMAT.to_owned(),
        format_version: format::FORMAT_VERSION,
        source: source.clone(),
    })
    .await?;
    let mut tables = Vec::with_capacity(TABLES.len());
    for (table, count) in TABLES.into_iter().zip(counts) {
        let columns = snapshot.columns(table).await?;
        out.push(&Record::Table {
            name: table.to_owned(),
            columns: columns
                .iter()
                .map(|column| FileColumn {
                    name: column.name.clone(),
                    kind: column.kind,
                })
                .collect(),
            rows: count as u64,
        })
        .await?;
        let mut digest = TableDigest::default();
        let mut rows = snapshot.rows(table, &columns);
        while let Some(row) = rows.try_next().await? {
            out.push_row(&row, &mut digest).await?;
            if digest.rows().is_multiple_of(1024) {
                progress.advance(1024);
            }
        }
        drop(rows);
        progress.advance(digest.rows() % 1024);
        let summary = digest.finish(table);
        out.push(&Record::End(summary.clone())).await?;
        tables.push(summary);
    }
    let manifest = Manifest {
        format_version: format::FORMAT_VERSION,
        source,
        tables,
    };
    out.push(&Record::Manifest(manifest.clone())).await?;
    out.flush().await?;
    Ok(manifest)
}

/// Lines gathered into chunks for the writer thread.
struct Lines {
    sender: mpsc::Sender<Vec<u8>>,
    chunk: Vec<u8>,
}

impl Lines {
    fn new(sender: mpsc::Sender<Vec<u8>>) -> Self {
        Self {
            sender,
            chunk: Vec::with_capacity(CHUNK),
        }
    }

    async fn push(&mut self, record: &Record) -> Result<(), BackupError> {
        self.push_bytes(&record.line()).await
    }

    /// Writes a row's line straight into the chunk and adds it to `digest`.
    async fn push_row(
        &mut self,
        row: &[Cell],
        digest: &mut TableDigest,
    ) -> Result<(), BackupError> {
        let start = self.chunk.len();
        format::write_row(&mut self.chunk, row);
        digest.add(&self.chunk[start..]);
        if self.chunk.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn push_bytes(&mut self, line: &[u8]) -> Result<(), BackupError> {
        self.chunk.extend_from_slice(line);
        if self.chunk.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), BackupError> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.sender
            .send(chunk)
            .await
            // The writer stopped: its error is the one reported.
            .map_err(|_| BackupError::Io {
                action: "write",
                path: PathBuf::from("the backup"),
                source: std::io::Error::other("the writer stopped"),
            })
    }
}

/// The writer thread: compresses what arrives until the sender is
/// dropped, then finishes the stream and syncs the file. Returns the
/// file's size. (A dump that failed halfway also ends here; [`take`] then
/// removes the file.)
fn compress(file: File, mut receiver: mpsc::Receiver<Vec<u8>>) -> std::io::Result<u64> {
    let mut encoder = zstd::Encoder::new(BufWriter::new(file), LEVEL)?;
    encoder.include_checksum(true)?;
    while let Some(chunk) = receiver.blocking_recv() {
        encoder.write_all(&chunk)?;
    }
    let mut writer = encoder.finish()?;
    writer.flush()?;
    let file = writer.into_inner().map_err(|error| error.into_error())?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}
