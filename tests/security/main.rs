//! Accounts, authorization, the audit chain and the weekly security report:
//! the pure rules of docs/security.md, one module per concern.

mod accounts;
mod audit;
mod authorize;
mod cli;
mod report;

use flowkeeper::accounts::{Account, AccountName, Role};
use flowkeeper::engine::Millis;

/// 2026-11-23T00:00:00Z, a Monday (ISO week 2026-W48).
pub const T0: Millis = 1_795_392_000_000;
pub const MINUTE: Millis = 60_000;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// An enabled account with `role` and `teams`, created at T0 by `admin`.
pub fn account(name: &str, role: Role, teams: &[&str]) -> Account {
    Account {
        name: AccountName::parse(name).expect("a valid test name"),
        role,
        teams: teams.iter().map(|team| (*team).to_owned()).collect(),
        title: name.to_owned(),
        password: None,
        expires_at: None,
        approval: None,
        emergency: false,
        disabled_at: None,
        last_seen_at: None,
        created_at: T0,
        created_by: "admin".into(),
    }
}
