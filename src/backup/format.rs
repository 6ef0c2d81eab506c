//! The backup file (docs/backups.md): one zstd stream of JSON lines.
//!
//! ```text
//! {"record":"header","format":"flowkeeper-backup","format_version":1,"source":{…}}
//! {"record":"table","name":"definitions","columns":[{"name":"hash","kind":"text"},…],"rows":6}
//! ["3f2a…","service_desk",1,"…",1790841600000]          one array per row
//! {"record":"end","name":"definitions","rows":6,"sha256":"…"}
//! …                                                       every table of the store, in restore order
//! {"record":"manifest","format_version":1,"source":{…},"tables":[{"name","rows","sha256"},…]}
//! ```
//!
//! Lines because they stream both ways and stay readable with `zstdcat`;
//! the manifest last because the counts and hashes are known only once
//! every row is written. A file without its manifest is truncated.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::store::{Cell, ColumnKind};

/// What `format` says in every backup's header.
pub const FORMAT: &str = "flowkeeper-backup";
/// The format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Where and when a backup was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The last schema migration the database had.
    pub schema_version: i64,
    /// RFC 3339, UTC.
    pub taken_at: String,
    /// The flowkeeper version that wrote it.
    pub flowkeeper: String,
}

/// A column as carried in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// One table's count and hash in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSummary {
    pub name: String,
    pub rows: u64,
    /// Lowercase hex SHA-256 of the table's row lines, each with its `\n`.
    pub sha256: String,
}

/// The last line: what a reader checks everything against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub source: Source,
    pub tables: Vec<TableSummary>,
}

impl Manifest {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|table| table.rows).sum()
    }
}

/// Every line that is not a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "lowercase")]
pub enum Record {
    Header {
        format: String,
        format_version: u32,
        source: Source,
    },
    Table {
        name: String,
        columns: Vec<FileColumn>,
        /// How many rows follow (for progress; the end record is the truth).
        rows: u64,
    },
    End(TableSummary),
    Manifest(Manifest),
}

impl Record {
    /// The record as one line, `\n` included.
    pub fn line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(self).expect("records always serialize");
        line.push(b'\n');
        line
    }
}

/// Appends a row as one line, `\n` included, to `out`.
pub fn write_row(out: &mut Vec<u8>, values: &[Cell]) {
    serde_json::to_writer(&mut *out, values).expect("row values always serialize");
    out.push(b'\n');
}

/// Counts and hashes one table's row lines as they are written or read.
#[derive(Default)]
pub struct TableDigest {
    rows: u64,
    hasher: Sha256,
}

impl TableDigest {
    pub fn add(&mut self, line: &[u8]) {
        self.rows += 1;
        self.hasher.update(line);
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn finish(self, name: &str) -> TableSummary {
        TableSummary {
            name: name.to_owned(),
            rows: self.rows,
            sha256: hex::encode(self.hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_tagged_lines() {
        let end = Record::End(TableSummary {
            name: "history".into(),
            rows: 2,
            sha256: "ab".into(),
        });
        let line = String::from_utf8(end.line()).unwrap();
        assert_eq!(
            line,
            "{\"record\":\"end\",\"name\":\"history\",\"rows\":2,\"sha256\":\"ab\"}\n"
        );
        let back: Record = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(back, end);
    }

    #[test]
    fn the_digest_of_no_rows_is_the_empty_hash() {
        let summary = TableDigest::default().finish("timers");
        assert_eq!(summary.rows, 0);
        assert_eq!(
            summary.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
