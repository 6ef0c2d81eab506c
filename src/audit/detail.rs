//! The `detail` of the entries whose contents the weekly report reads,
//! written and read through these types so both sides agree on the keys.
//! Other actions put whatever describes the change in `detail`; secrets
//! (passwords, tokens, URLs with credentials) never.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::accounts::Role;

/// `account.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCreated {
    pub role: Role,
    pub teams: Vec<String>,
    pub title: String,
    /// RFC 3339, or `null` for an account that does not expire.
    pub expires_at: Option<String>,
    pub emergency: bool,
}

/// `account.update` and `account.disable`: which fields changed (a
/// password change says `password`, never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdated {
    pub fields: Vec<String>,
}

/// `token.issue` and `token.revoke`; the token's id is the entry's target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDetail {
    /// The account the token belongs to.
    pub account: String,
    /// The token's own name (e.g. `ci`).
    pub name: String,
    pub role: Role,
    pub expires_at: Option<String>,
}

/// Turns a detail into the JSON an entry keeps.
pub fn to_json(detail: &impl Serialize) -> Json {
    serde_json::to_value(detail).expect("audit details are plain data")
}

/// Reads a detail back; `None` when the entry does not have this shape
/// (an older entry, or a tampered one).
pub fn from_json<T: for<'de> Deserialize<'de>>(detail: &Json) -> Option<T> {
    T::deserialize(detail).ok()
}
