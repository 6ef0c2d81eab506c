//! The hash chain that makes the log tamper-evident.
//!
//! Each entry's `hash` is the lower-case hex SHA-256 of: the previous
//! entry's `hash` (64 zeros for the first), a newline, and the entry
//! without `hash` as JSON with keys sorted and no whitespace (UTF-8), `at`
//! written as the API writes it (RFC 3339, UTC, milliseconds). Anyone can
//! recompute it from `GET /v1/admin/audit`; docs/security.md shows how.

use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use super::AuditEntry;
use crate::engine::Millis;

/// The "previous hash" of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash `entry` must have when the entry before it has `previous`.
pub fn hash(previous: &str, entry: &AuditEntry) -> String {
    let mut digest = Sha256::new();
    digest.update(previous.as_bytes());
    digest.update(b"\n");
    digest.update(canonical_body(entry).as_bytes());
    hex::encode(digest.finalize())
}

/// The entry without `hash`, as hashed.
pub fn canonical_body(entry: &AuditEntry) -> String {
    let mut body = Map::new();
    body.insert("seq".into(), entry.seq.into());
    body.insert("at".into(), rfc3339(entry.at).into());
    body.insert("actor".into(), entry.actor.clone().into());
    body.insert("action".into(), entry.action.clone().into());
    body.insert("target".into(), entry.target.clone().into());
    body.insert("detail".into(), entry.detail.clone());
    body.insert("remote_addr".into(), entry.remote_addr.clone().into());
    canonical(&Json::Object(body))
}

/// JSON with every object's keys sorted (by their UTF-8 bytes) and no
/// whitespace; strings and numbers exactly as serde_json writes them.
pub fn canonical(value: &Json) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Json, out: &mut String) {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Json::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Json::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// RFC 3339 in UTC with milliseconds, as the API writes instants.
pub fn rfc3339(at: Millis) -> String {
    match jiff::Timestamp::from_millisecond(at) {
        Ok(at) => at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => at.to_string(),
    }
}

/// The verdict on a chain: `ok`, or the first entry that does not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChainCheck {
    pub ok: bool,
    /// The first entry whose hash, or whose place in the sequence, is not
    /// what the entries before it imply; `null` when the chain holds.
    pub first_bad_seq: Option<i64>,
    /// How many entries were checked.
    pub entries: u64,
}

/// Recomputes the chain entry by entry, in `seq` order, so a log of any
/// length is checked in pages without holding it whole.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    previous: String,
    next_seq: i64,
    first_bad: Option<i64>,
    entries: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            previous: GENESIS.to_owned(),
            next_seq: 1,
            first_bad: None,
            entries: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry; after the first bad one the rest is skipped.
    pub fn feed(&mut self, entry: &AuditEntry) {
        if self.first_bad.is_some() {
            return;
        }
        self.entries += 1;
        if entry.seq != self.next_seq || hash(&self.previous, entry) != entry.hash {
            self.first_bad = Some(entry.seq);
            return;
        }
        self.previous.clone_from(&entry.hash);
        self.next_seq += 1;
    }

    /// The verdict. `last_seq` is the number the store says its last entry
    /// has: when entries at the end were deleted, the first missing one is
    /// named.
    pub fn finish(self, last_seq: Option<i64>) -> ChainCheck {
        let missing = last_seq.filter(|&last| last >= self.next_seq);
        let first_bad_seq = self.first_bad.or(missing.map(|_| self.next_seq));
        ChainCheck {
            ok: first_bad_seq.is_none(),
            first_bad_seq,
            entries: self.entries,
        }
    }

    /// The hash the next entry must chain to.
    pub fn head(&self) -> &str {
        &self.previous
    }
}
