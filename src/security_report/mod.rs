//! The weekly security report (4.2.6 4): 每週定期審覈安全日誌,發現問題及時
//! 上報 — review the security log every week and report what is found.
//!
//! A pure computation over one ISO week's audit entries, the accounts as
//! they are, and the chain's verification: [`compute`] builds one
//! [`SecurityReport`], which `flowkeeper security-report` and
//! `GET /v1/admin/security-report` render as a table, JSON or CSV
//! ([`render`]), so the three cannot disagree.

pub mod render;
mod week;

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::{Account, AccountPolicy, Role};
use crate::audit::detail::{self, AccountCreated, AccountUpdated, TokenDetail};
use crate::audit::{AuditAction, AuditEntry, ChainCheck, rfc3339};
use crate::engine::Millis;
pub use week::{IsoWeek, WeekError};

/// What the report is computed from.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub week: IsoWeek,
    /// The zone whose Monday midnights bound the week (the assessment's).
    pub zone: &'a TimeZone,
    /// The audit entries with `from <= at < to`, in `seq` order.
    pub entries: &'a [AuditEntry],
    /// Every account, as it is now.
    pub accounts: &'a [Account],
    pub policy: &'a AccountPolicy,
    /// When the last successful backup was taken, at or before `to`.
    pub last_backup: Option<Millis>,
    /// The whole chain's verification.
    pub chain: ChainCheck,
    /// The real clock's now: accounts are judged at the week's end, or now
    /// for the running week.
    pub now: Millis,
}

/// One week's findings. Lists are in a fixed order (by time, then name)
/// so two runs over the same data print the same report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SecurityReport {
    /// `2026-W48`.
    pub week: String,
    /// Monday 00:00 in `time_zone`, as RFC 3339 UTC (included).
    pub from: String,
    /// The next Monday 00:00 (excluded).
    pub to: String,
    pub time_zone: String,
    /// The week's Monday and Sunday, for the table's heading.
    #[serde(skip)]
    pub(crate) days: (String, String),
    /// The instant accounts were judged at: the week's end, or the report's
    /// time for the running week.
    pub as_of: String,
    pub failed_sign_ins: Vec<FailedSignIns>,
    pub lockouts: Vec<Lockout>,
    pub accounts_created: Vec<AccountCreation>,
    pub accounts_changed: Vec<AccountChangeRow>,
    pub accounts_disabled: Vec<AccountChangeRow>,
    pub vendors: Vendors,
    /// Accounts of any role past their `expires_at` and not disabled.
    pub expired_accounts: Vec<String>,
    pub tokens_issued: Vec<TokenRow>,
    pub tokens_revoked: Vec<TokenRow>,
    pub admin_actions: Vec<AdminAction>,
    pub idle_accounts: Vec<IdleAccount>,
    pub backups: Backups,
    pub audit_chain: ChainCheck,
}

/// Failed sign-ins for one name from one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FailedSignIns {
    /// The name that was tried (it may not exist).
    pub account: String,
    pub remote_addr: Option<String>,
    pub count: u64,
}

/// A name locked after repeated failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Lockout {
    pub account: String,
    pub remote_addr: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountCreation {
    pub account: String,
    /// `null` when the entry's detail could not be read.
    pub role: Option<Role>,
    pub emergency: bool,
    pub by: String,
    pub at: String,
}

/// An account changed or disabled: by whom, when, which fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountChangeRow {
    pub account: String,
    pub fields: Vec<String>,
    pub by: String,
    pub at: String,
}

/// Vendor accounts by what needs attention (names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Vendors {
    /// Enabled and not expired.
    pub active: Vec<String>,
    /// Past `expires_at` but not disabled: still enabled after their work.
    pub expired: Vec<String>,
    /// Emergency accounts still waiting for their approval, within the grace.
    pub emergency_without_approval: Vec<String>,
    /// Emergency accounts past the grace without approval and not yet
    /// disabled (the automatic disabling should leave this empty).
    pub overdue: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TokenRow {
    /// `token:<id>`.
    pub token: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AdminAction {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IdleAccount {
    pub account: String,
    pub role: Role,
    /// `null`: never seen since it was created.
    pub last_seen_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Backups {
    pub last_success: Option<String>,
    /// Backups that failed during the week.
    pub failures: u64,
}

/// The report for `input`; fails only when the week cannot be placed in
/// the zone.
pub fn compute(input: &ReportInput<'_>) -> Result<SecurityReport, WeekError> {
    let (from, to) = input.week.bounds(input.zone)?;
    let as_of = input.now.min(to);
    let entries = || {
        input
            .entries
            .iter()
            .filter(move |entry| entry.at >= from && entry.at < to)
    };
    let with = |action: AuditAction| entries().filter(move |entry| entry.action == action.as_str());
    Ok(SecurityReport {
        week: input.week.to_string(),
        from: rfc3339(from),
        to: rfc3339(to),
        time_zone: input.zone.iana_name().unwrap_or("UTC").to_owned(),
        days: input.week.days(),
        as_of: rfc3339(as_of),
        failed_sign_ins: failed_sign_ins(with(AuditAction::SessionFail)),
        lockouts: with(AuditAction::SessionLock)
            .map(|entry| Lockout {
                account: entry.actor.clone(),
                remote_addr: entry.remote_addr.clone(),
                at: rfc3339(entry.at),
            })
            .collect(),
        accounts_created: with(AuditAction::AccountCreate)
            .map(|entry| {
                let created = detail::from_json::<AccountCreated>(&entry.detail);
                AccountCreation {
                    account: account_of(entry),
                    role: created.as_ref().map(|created| created.role),
                    emergency: created.is_some_and(|created| created.emergency),
                    by: entry.actor.clone(),
                    at: rfc3339(entry.at),
                }
            })
            .collect(),
        accounts_changed: with(AuditAction::AccountUpdate).map(change_row).collect(),
        accounts_disabled: with(AuditAction::AccountDisable).map(change_row).collect(),
        vendors: vendors(input.accounts, input.policy, as_of),
        expired_accounts: names(
            input
                .accounts
                .iter()
                .filter(|account| account.disabled_at.is_none() && account.is_expired(as_of)),
        ),
        tokens_issued: with(AuditAction::TokenIssue).map(token_row).collect(),
        tokens_revoked: with(AuditAction::TokenRevoke).map(token_row).collect(),
        admin_actions: entries()
            .filter(|entry| {
                AuditAction::parse(&entry.action).is_some_and(AuditAction::is_admin_action)
            })
            .map(|entry| AdminAction {
                at: rfc3339(entry.at),
                actor: entry.actor.clone(),
                action: entry.action.clone(),
                target: entry.target.clone(),
            })
            .collect(),
        idle_accounts: idle_accounts(input.accounts, input.policy, as_of),
        backups: Backups {
            last_success: input.last_backup.map(rfc3339),
            failures: with(AuditAction::BackupFail).count() as u64,
        },
        audit_chain: input.chain,
    })
}

fn failed_sign_ins<'a>(failures: impl Iterator<Item = &'a AuditEntry>) -> Vec<FailedSignIns> {
    let mut counts: BTreeMap<(&str, Option<&str>), u64> = BTreeMap::new();
    for entry in failures {
        *counts
            .entry((entry.actor.as_str(), entry.remote_addr.as_deref()))
            .or_default() += 1;
    }
    let mut rows: Vec<FailedSignIns> = counts
        .into_iter()
        .map(|((account, remote_addr), count)| FailedSignIns {
            account: account.to_owned(),
            remote_addr: remote_addr.map(str::to_owned),
            count,
        })
        .collect();
    // Most failures first; the map already ordered ties by name and address.
    rows.sort_by_key(|row| std::cmp::Reverse(row.count));
    rows
}

/// The account an `account.*` entry is about: its target without `account:`.
fn account_of(entry: &AuditEntry) -> String {
    entry
        .target
        .strip_prefix("account:")
        .unwrap_or(&entry.target)
        .to_owned()
}

fn change_row(entry: &AuditEntry) -> AccountChangeRow {
    AccountChangeRow {
        account: account_of(entry),
        fields: detail::from_json::<AccountUpdated>(&entry.detail)
            .map(|updated| updated.fields)
            .unwrap_or_default(),
        by: entry.actor.clone(),
        at: rfc3339(entry.at),
    }
}

fn token_row(entry: &AuditEntry) -> TokenRow {
    let token = detail::from_json::<TokenDetail>(&entry.detail);
    TokenRow {
        token: entry.target.clone(),
        name: token.as_ref().map(|token| token.name.clone()),
        account: token.map(|token| token.account),
        by: entry.actor.clone(),
        at: rfc3339(entry.at),
    }
}

fn vendors(accounts: &[Account], policy: &AccountPolicy, as_of: Millis) -> Vendors {
    let vendors = || {
        accounts
            .iter()
            .filter(|account| account.role == Role::Vendor)
    };
    let enabled = || vendors().filter(|account| account.disabled_at.is_none());
    Vendors {
        active: names(vendors().filter(|account| account.is_usable(as_of))),
        expired: names(enabled().filter(|account| account.is_expired(as_of))),
        emergency_without_approval: names(
            vendors()
                .filter(|account| account.awaits_approval() && !account.is_overdue(policy, as_of)),
        ),
        overdue: names(vendors().filter(|account| account.is_overdue(policy, as_of))),
    }
}

/// Enabled accounts not seen (or, never seen, not created) within
/// `idle_report` before `as_of`.
fn idle_accounts(accounts: &[Account], policy: &AccountPolicy, as_of: Millis) -> Vec<IdleAccount> {
    let limit = as_of - policy.idle_report.as_millis();
    let mut idle: Vec<IdleAccount> = accounts
        .iter()
        .filter(|account| account.disabled_at.is_none())
        .filter(|account| account.last_seen_at.unwrap_or(account.created_at) <= limit)
        .map(|account| IdleAccount {
            account: account.name.to_string(),
            role: account.role,
            last_seen_at: account.last_seen_at.map(rfc3339),
        })
        .collect();
    idle.sort_by(|a, b| a.account.cmp(&b.account));
    idle
}

fn names<'a>(accounts: impl Iterator<Item = &'a Account>) -> Vec<String> {
    let mut names: Vec<String> = accounts.map(|account| account.name.to_string()).collect();
    names.sort();
    names
}
