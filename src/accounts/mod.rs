//! Accounts: the people and services that sign in and act, with the rules
//! about them that need no database (docs/security.md, seed 004 篇三
//! 4.2.5 (1) 3)–6) and 4.2.6 1)).
//!
//! - [`AccountName`]: what a person types and the audit log records.
//! - [`Role`]: admin, operator, service, viewer, vendor.
//! - [`Password`] and [`PasswordHash`]: the seed's password rule, argon2id.
//! - [`AccountDraft`] and [`AccountChange`]: creating and changing an
//!   account under the [`AccountPolicy`] (vendor lifetime, approval,
//!   emergency grace).
//! - [`Gate`]: the sign-in lock-out after repeated failures.
//! - [`Secret`]: API tokens and sign-in sessions, stored as hashes.
//! - [`redact`]: credentials inside URLs, kept out of messages.
//!
//! Everything here is pure and judged on instants it is given. Those
//! instants come from the real system clock, never from a manual clock:
//! moving virtual time must not extend or end anyone's access.

mod account;
mod lockout;
mod password;
mod policy;
pub mod redact;
mod role;
mod secret;

/// Account names are actors' names: defined beside [`crate::engine::Actor`].
pub use crate::engine::{AccountName, NameError};
pub use account::{Account, AccountChange, AccountDraft, AccountError, Changed};
pub use lockout::{FAILURES, Gate, WINDOW};
pub use password::{
    Password, PasswordError, PasswordHash, RULE as PASSWORD_RULE, check as check_password,
};
pub use policy::AccountPolicy;
pub use role::Role;
pub use secret::Secret;
