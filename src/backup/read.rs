//! Reading a backup: every line checked as it comes (the order of the
//! records, each row's length and the kind of each value, each table's row
//! count and SHA-256 against its end record, those against the manifest),
//! so [`verify`] is a read-through and [`restore`] can trust what it
//! inserts.
//!
//! A restore reads on a blocking thread (decompressing, parsing, hashing)
//! while the async side writes the previous batch: on SQLite the
//! connection's own worker thread does the inserting, so the three overlap.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Seek as _};
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use tokio::sync::mpsc;

use super::format::{self, FileColumn, Manifest, Record, Source, TableDigest, TableSummary};
use super::{BackupError, Progress};
use crate::audit::{AuditAction, AuditDraft};
use crate::engine::Millis;
use crate::store::{Cell, Column, ColumnKind, Store, find_column};

/// The first bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Rows handed from the reading thread to the writer at a time: one
/// `COPY` on PostgreSQL, 32 prepared `INSERT`s of 256 rows on SQLite.
const BATCH: usize = 8_192;
/// Batches read ahead of the writer.
const READ_AHEAD: usize = 4;

/// Reads a backup through and checks it; returns its manifest.
pub fn verify(path: &Path, progress: &Progress) -> Result<Manifest, BackupError> {
    let mut reader = BackupReader::open(path)?;
    loop {
        match reader.next()? {
            Some(Item::Table { rows, .. }) => progress.add_total(rows),
            Some(Item::Row(_)) => progress.advance(1),
            Some(Item::End) => {}
            None => break,
        }
    }
    progress.finish();
    reader.manifest()
}

/// How a restore runs.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Replace whatever the target holds (else a non-empty target is refused).
    pub force: bool,
    /// Who restores, for the audit entry (`admin` from the CLI).
    pub actor: String,
    pub remote_addr: Option<String>,
    /// When, by the caller's real clock.
    pub now: Millis,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    /// Whether the target held data that was replaced (`--force`).
    pub replaced: bool,
}

/// Restores `path`, whose `manifest` [`verify`] returned, into `store` in
/// one transaction and records `backup.restore` at the end of the restored
/// audit chain. Every line is checked again as it is inserted (the file
/// could have changed since), and on any error nothing is written: the
/// transaction rolls back, and a process killed halfway leaves the target
/// as it was (a crash never leaves a half-restored database).
pub async fn restore(
    store: &Store,
    path: &Path,
    manifest: Manifest,
    options: &RestoreOptions,
    progress: &Progress,
) -> Result<RestoreSummary, BackupError> {
    let mut tx = store.begin().await?;
    let supported = tx.schema_version().await?;
    if manifest.source.schema_version > supported {
        return Err(BackupError::NewerSchema {
            found: manifest.source.schema_version,
            supported,
            writer: manifest.source.flowkeeper.clone(),
        });
    }
    let empty = tx.store_is_empty().await?;
    if !empty && !options.force {
        return Err(BackupError::NotEmpty);
    }
    // Also on an empty store: a fresh schema holds the chain's genesis
    // head, which the backup's head replaces.
    tx.clear_store().await?;
    progress.set_total(manifest.total_rows());
    let (sender, mut batches) = mpsc::channel(READ_AHEAD);
    let reading = {
        let path = path.to_owned();
        let expected = manifest.clone();
        tokio::task::spawn_blocking(move || read_batches(&path, &expected, &sender))
    };
    let mut current: Option<(String, Vec<Column>)> = None;
    let mut suspended = Vec::new();
    while let Some(batch) = batches.recv().await {
        match batch {
            Batch::Table { name, columns } => {
                let mapped = mapped_columns(&name, &columns, &tx.columns(&name).await?)?;
                suspended = tx.suspend_indexes(&name).await?;
                current = Some((name, mapped));
            }
            Batch::Rows(rows) => {
                let (table, columns) = current.as_ref().expect("rows come inside a table");
                let count = rows.len() as u64;
                tx.restore_rows(table, columns, rows).await?;
                progress.advance(count);
            }
            Batch::End => {
                current = None;
                tx.rebuild_indexes(std::mem::take(&mut suspended)).await?;
            }
        }
    }
    // The channel closed: the reader finished, or stopped at a damage.
    match reading.await {
        Ok(read) => read?,
        Err(error) => {
            return Err(BackupError::Io {
                action: "read",
                path: path.to_owned(),
                source: std::io::Error::other(error.to_string()),
            });
        }
    }
    let replaced = !empty;
    let draft = AuditDraft::new(
        AuditAction::BackupRestore,
        options.actor.clone(),
        super::target(path),
    )
    .with_detail(json!({
        "file": path.display().to_string(),
        "source": manifest.source.backend,
        "taken_at": manifest.source.taken_at,
        "rows": manifest.total_rows(),
        "replaced": replaced,
    }))
    .with_remote_addr(options.remote_addr.clone());
    tx.append_audit(draft, options.now).await?;
    tx.commit().await?;
    progress.finish();
    Ok(RestoreSummary { manifest, replaced })
}

/// The target's columns for the backup's `columns` of `table`, by name: a
/// column the target lacks, or has with another kind, is refused (a column
/// the backup lacks takes its default).
fn mapped_columns(
    table: &str,
    columns: &[FileColumn],
    target: &[Column],
) -> Result<Vec<Column>, BackupError> {
    columns
        .iter()
        .map(|column| match find_column(target, &column.name) {
            Some(found) if found.kind == column.kind => Ok(found.clone()),
            _ => Err(BackupError::UnknownColumn {
                table: table.to_owned(),
                column: column.name.clone(),
            }),
        })
        .collect()
}

/// What the reading thread hands the writer.
enum Batch {
    Table {
        name: String,
        columns: Vec<FileColumn>,
    },
    Rows(Vec<Vec<Cell>>),
    /// The table is complete: its indexes may be built.
    End,
}

/// The reading thread of a restore: reads and checks `path` again, sends
/// its tables and rows in batches, and fails if the file is not the one
/// whose `expected` manifest was verified. Stops quietly when the writer
/// has gone (it failed, and says why).
fn read_batches(
    path: &Path,
    expected: &Manifest,
    sender: &mpsc::Sender<Batch>,
) -> Result<(), BackupError> {
    let mut reader = BackupReader::open(path)?;
    if reader.source != expected.source {
        return Err(reader.damaged("the file changed since it was verified"));
    }
    let mut rows = Vec::with_capacity(BATCH);
    let send = |batch: Batch| sender.blocking_send(batch).is_ok();
    loop {
        match reader.next()? {
            Some(Item::Table { name, columns, .. }) => {
                if !send(Batch::Table { name, columns }) {
                    return Ok(());
                }
            }
            Some(Item::Row(row)) => {
                rows.push(row);
                if rows.len() == BATCH
                    && !send(Batch::Rows(std::mem::replace(
                        &mut rows,
                        Vec::with_capacity(BATCH),
                    )))
                {
                    return Ok(());
                }
            }
            Some(Item::End) => {
                if !rows.is_empty() && !send(Batch::Rows(std::mem::take(&mut rows))) {
                    return Ok(());
                }
                if !send(Batch::End) {
                    return Ok(());
                }
            }
            None => break,
        }
    }
    if &reader.manifest()? != expected {
        return Err(BackupError::damaged(
            path,
            "the file changed since it was verified",
        ));
    }
    Ok(())
}

/// What the reader yields after the header.
enum Item {
    Table {
        name: String,
        columns: Vec<FileColumn>,
        rows: u64,
    },
    Row(Vec<Cell>),
    End,
}

/// Where the reader is in the file.
enum Position {
    BetweenTables,
    InTable {
        name: String,
        kinds: Vec<ColumnKind>,
        digest: TableDigest,
    },
    Done(Manifest),
}

/// Reads and checks a backup line by line.
struct BackupReader {
    path: PathBuf,
    lines: BufReader<zstd::Decoder<'static, BufReader<File>>>,
    line: Vec<u8>,
    source: Source,
    tables: Vec<TableSummary>,
    position: Position,
}

impl BackupReader {
    /// Opens `path` and reads its header.
    fn open(path: &Path) -> Result<Self, BackupError> {
        let mut file = File::open(path).map_err(|source| BackupError::Io {
            action: "open",
            path: path.to_owned(),
            source,
        })?;
        let not_a_backup = || BackupError::NotABackup {
            path: path.to_owned(),
        };
        // Anything but a zstd stream is not a backup; a damaged one is.
        let mut magic = [0u8; 4];
        let read = file.read_exact(&mut magic).and_then(|()| file.rewind());
        if read.is_err() || magic != ZSTD_MAGIC {
            return Err(not_a_backup());
        }
        let decoder = zstd::Decoder::new(file).map_err(|source| BackupError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        let mut reader = Self {
            path: path.to_owned(),
            lines: BufReader::with_capacity(256 * 1024, decoder),
            line: Vec::new(),
            source: Source {
                backend: String::new(),
                schema_version: 0,
                taken_at: String::new(),
                flowkeeper: String::new(),
            },
            tables: Vec::new(),
            position: Position::BetweenTables,
        };
        if !reader.read_line()? {
            return Err(not_a_backup());
        }
        // Read loosely first: a newer format may have changed the rest.
        let header: Json = serde_json::from_slice(&reader.line).map_err(|_| not_a_backup())?;
        if header["record"] != "header" || header["format"] != format::FORMAT {
            return Err(not_a_backup());
        }
        let version = header["format_version"].as_u64().ok_or_else(not_a_backup)?;
        if version > u64::from(format::FORMAT_VERSION) {
            return Err(BackupError::NewerFormat {
                path: path.to_owned(),
                found: version,
                writer: header["source"]["flowkeeper"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_owned(),
            });
        }
        match serde_json::from_slice(&reader.line) {
            Ok(Record::Header { source, .. }) => reader.source = source,
            _ => return Err(reader.damaged("its header is not readable")),
        }
        Ok(reader)
    }

    fn damaged(&self, reason: impl Into<String>) -> BackupError {
        BackupError::damaged(&self.path, reason)
    }

    /// Reads the next line into `self.line` (without its `\n`); `false` at
    /// the end of the file. A last line without `\n` was cut short.
    fn read_line(&mut self) -> Result<bool, BackupError> {
        self.line.clear();
        let read = self
            .lines
            .read_until(b'\n', &mut self.line)
            .map_err(|error| self.damaged(format!("the compressed data is damaged ({error})")))?;
        if read == 0 {
            return Ok(false);
        }
        if self.line.pop() != Some(b'\n') {
            return Err(self.damaged("the file ends in the middle of a line"));
        }
        Ok(true)
    }

    /// The next table, row or table end, checked; `None` after the manifest.
    fn next(&mut self) -> Result<Option<Item>, BackupError> {
        if !self.read_line()? {
            return match self.position {
                Position::Done(_) => Ok(None),
                _ => Err(self.damaged("the file ends before its manifest")),
            };
        }
        if matches!(self.position, Position::Done(_)) {
            return Err(self.damaged("there is data after the manifest"));
        }
        if self.line.first() == Some(&b'[') {
            let row: Vec<Cell> = serde_json::from_slice(&self.line)
                .map_err(|error| self.damaged(format!("a row is not readable ({error})")))?;
            let Position::InTable {
                name,
                kinds,
                digest,
            } = &mut self.position
            else {
                return Err(self.damaged("a row stands outside any table"));
            };
            if row.len() != kinds.len() {
                let reason = format!(
                    "a row of `{name}` has {} values for {} columns",
                    row.len(),
                    kinds.len()
                );
                return Err(self.damaged(reason));
            }
            if let Some(index) = row
                .iter()
                .zip(kinds.iter())
                .position(|(value, kind)| !value.fits(*kind))
            {
                let reason = format!(
                    "a row of `{name}` holds {:?} in column {} of kind {:?}",
                    row[index],
                    index + 1,
                    kinds[index]
                );
                return Err(self.damaged(reason));
            }
            self.line.push(b'\n');
            digest.add(&self.line);
            return Ok(Some(Item::Row(row)));
        }
        let record: Record = serde_json::from_slice(&self.line)
            .map_err(|error| self.damaged(format!("a record is not readable ({error})")))?;
        let between_tables = matches!(self.position, Position::BetweenTables);
        match record {
            Record::Table {
                name,
                columns,
                rows,
            } if between_tables => {
                self.position = Position::InTable {
                    name: name.clone(),
                    kinds: columns.iter().map(|column| column.kind).collect(),
                    digest: TableDigest::default(),
                };
                Ok(Some(Item::Table {
                    name,
                    columns,
                    rows,
                }))
            }
            Record::End(end) => {
                let position = std::mem::replace(&mut self.position, Position::BetweenTables);
                let Position::InTable { name, digest, .. } = position else {
                    return Err(self.damaged("its records are out of order"));
                };
                let summary = digest.finish(&name);
                if summary != end {
                    return Err(self.damaged(format!(
                        "table `{name}` does not match its checksum ({} rows read, {} recorded)",
                        summary.rows, end.rows
                    )));
                }
                self.tables.push(summary);
                Ok(Some(Item::End))
            }
            Record::Manifest(manifest) if between_tables => {
                if manifest.tables != self.tables || manifest.source != self.source {
                    return Err(self.damaged("the manifest does not match the tables"));
                }
                self.position = Position::Done(manifest);
                self.next()
            }
            _ => Err(self.damaged("its records are out of order")),
        }
    }

    /// The manifest, once the whole file has been read.
    fn manifest(self) -> Result<Manifest, BackupError> {
        match self.position {
            Position::Done(manifest) => Ok(manifest),
            _ => Err(BackupError::damaged(
                &self.path,
                "the file ends before its manifest",
            )),
        }
    }
}
