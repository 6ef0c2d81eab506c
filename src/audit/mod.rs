//! The audit log (4.2.6 2): 對於重要的數據增、刪、改操作,可以由系統日誌追溯到
//! 執行操作的賬戶 — every change can be traced to the account that made it.
//!
//! Pure: entries, their actions and the hash chain. The store appends a
//! sealed [`AuditEntry`] in the same transaction as the change it records
//! and never updates or deletes one; [`ChainVerifier`] recomputes the chain
//! and names the first entry that does not match.

mod action;
mod chain;
pub mod detail;
mod entry;

pub use action::AuditAction;
pub use chain::{ChainCheck, ChainVerifier, GENESIS, canonical, canonical_body, hash, rfc3339};
pub use entry::{AuditDraft, AuditEntry, target};
