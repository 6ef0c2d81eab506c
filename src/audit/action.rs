//! What an audit entry records.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kinds of change the audit log records (security.md, "Audit log").
/// The text form (`instance.create`, …) is what the log stores and the API
/// filters on; new kinds follow the same `<thing>.<verb>` style.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum AuditAction {
    #[serde(rename = "instance.create")]
    InstanceCreate,
    #[serde(rename = "instance.event")]
    InstanceEvent,
    #[serde(rename = "instance.cancel")]
    InstanceCancel,
    #[serde(rename = "instance.move")]
    InstanceMove,
    #[serde(rename = "instance.retry")]
    InstanceRetry,
    #[serde(rename = "instance.migrate")]
    InstanceMigrate,
    #[serde(rename = "account.create")]
    AccountCreate,
    #[serde(rename = "account.update")]
    AccountUpdate,
    #[serde(rename = "account.disable")]
    AccountDisable,
    #[serde(rename = "token.issue")]
    TokenIssue,
    #[serde(rename = "token.revoke")]
    TokenRevoke,
    #[serde(rename = "session.create")]
    SessionCreate,
    #[serde(rename = "session.fail")]
    SessionFail,
    #[serde(rename = "session.lock")]
    SessionLock,
    #[serde(rename = "session.delete")]
    SessionDelete,
    #[serde(rename = "workflows.reload")]
    WorkflowsReload,
    #[serde(rename = "clock.move")]
    ClockMove,
    #[serde(rename = "backup.create")]
    BackupCreate,
    /// A scheduled or requested backup that did not complete; the weekly
    /// report counts them.
    #[serde(rename = "backup.fail")]
    BackupFail,
    #[serde(rename = "backup.restore")]
    BackupRestore,
}

impl AuditAction {
    pub const ALL: [AuditAction; 20] = [
        AuditAction::InstanceCreate,
        AuditAction::InstanceEvent,
        AuditAction::InstanceCancel,
        AuditAction::InstanceMove,
        AuditAction::InstanceRetry,
        AuditAction::InstanceMigrate,
        AuditAction::AccountCreate,
        AuditAction::AccountUpdate,
        AuditAction::AccountDisable,
        AuditAction::TokenIssue,
        AuditAction::TokenRevoke,
        AuditAction::SessionCreate,
        AuditAction::SessionFail,
        AuditAction::SessionLock,
        AuditAction::SessionDelete,
        AuditAction::WorkflowsReload,
        AuditAction::ClockMove,
        AuditAction::BackupCreate,
        AuditAction::BackupFail,
        AuditAction::BackupRestore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::InstanceCreate => "instance.create",
            AuditAction::InstanceEvent => "instance.event",
            AuditAction::InstanceCancel => "instance.cancel",
            AuditAction::InstanceMove => "instance.move",
            AuditAction::InstanceRetry => "instance.retry",
            AuditAction::InstanceMigrate => "instance.migrate",
            AuditAction::AccountCreate => "account.create",
            AuditAction::AccountUpdate => "account.update",
            AuditAction::AccountDisable => "account.disable",
            AuditAction::TokenIssue => "token.issue",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::SessionCreate => "session.create",
            AuditAction::SessionFail => "session.fail",
            AuditAction::SessionLock => "session.lock",
            AuditAction::SessionDelete => "session.delete",
            AuditAction::WorkflowsReload => "workflows.reload",
            AuditAction::ClockMove => "clock.move",
            AuditAction::BackupCreate => "backup.create",
            AuditAction::BackupFail => "backup.fail",
            AuditAction::BackupRestore => "backup.restore",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == text)
    }

    /// What an administrator did to running work or the system, which the
    /// weekly report lists (cancel, move, migrate, clock, reload, restore).
    pub fn is_admin_action(self) -> bool {
        matches!(
            self,
            AuditAction::InstanceCancel
                | AuditAction::InstanceMove
                | AuditAction::InstanceMigrate
                | AuditAction::ClockMove
                | AuditAction::WorkflowsReload
                | AuditAction::BackupRestore
        )
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_agree() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{action}\""));
        }
        assert_eq!(AuditAction::parse("instance.delete"), None);
    }
}
