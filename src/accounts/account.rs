//! An account, and the two ways it comes to be or change: an
//! [`AccountDraft`] admitted under the [`AccountPolicy`], an
//! [`AccountChange`] applied to an existing account. Both judge vendor terms
//! on the real clock and refuse with an [`AccountError`] that says which
//! rule was broken; nothing is half-applied.

use std::fmt;

use super::password::{PasswordError, PasswordHash};
use super::{AccountName, AccountPolicy, Role};
use crate::engine::Millis;
use crate::model::Duration;

/// Longest team name, title and approval text accepted.
const MAX_TEAM: usize = 64;
const MAX_TITLE: usize = 200;
const MAX_APPROVAL: usize = 1000;

/// A person or a service that signs in and acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: AccountName,
    pub role: Role,
    /// The workflow role names it works for (`service_desk`, `bss`, …):
    /// an operator or vendor may post events in states those roles hold.
    pub teams: Vec<String>,
    /// Display name.
    pub title: String,
    /// `None` for services (they use API tokens) and for accounts that
    /// never got a password.
    pub password: Option<PasswordHash>,
    pub expires_at: Option<Millis>,
    /// The written confirmation a vendor account was opened on (who
    /// approved it, reference).
    pub approval: Option<String>,
    /// Created in an emergency without approval; disabled automatically
    /// when the approval is not added within the grace.
    pub emergency: bool,
    pub disabled_at: Option<Millis>,
    pub last_seen_at: Option<Millis>,
    pub created_at: Millis,
    pub created_by: String,
}

impl Account {
    /// Whether it may sign in and act at `real_now`: not disabled, not expired.
    pub fn is_usable(&self, real_now: Millis) -> bool {
        self.disabled_at.is_none() && !self.is_expired(real_now)
    }

    pub fn is_expired(&self, real_now: Millis) -> bool {
        self.expires_at.is_some_and(|at| at <= real_now)
    }

    /// An emergency account still without approval after the grace, and
    /// not disabled yet: the upkeep disables it.
    pub fn is_overdue(&self, policy: &AccountPolicy, real_now: Millis) -> bool {
        self.awaits_approval() && grace_over(policy, self.created_at, real_now)
    }

    /// An enabled emergency account whose written approval is missing.
    pub fn awaits_approval(&self) -> bool {
        self.role == Role::Vendor
            && self.emergency
            && self.approval.is_none()
            && self.disabled_at.is_none()
    }

    /// Whether `team` is one of its teams.
    pub fn works_for(&self, team: &str) -> bool {
        self.teams.iter().any(|own| own == team)
    }
}

/// Why an account cannot be created or changed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("a service account has no password: it signs in with API tokens")]
    ServicePassword,
    #[error("a vendor account is temporary: give `expires_at`, at most {max} from now")]
    VendorWithoutExpiry { max: Duration },
    #[error("a vendor account lasts at most {max}: `expires_at` must be no later than {}", Instant(*latest))]
    VendorTooLong { max: Duration, latest: Millis },
    #[error("`expires_at` has already passed")]
    ExpiryPassed,
    #[error(
        "a vendor account needs an `approval` (who approved it, and the reference), or `emergency: true` with the approval added later"
    )]
    VendorWithoutApproval,
    #[error("only vendor accounts are created in an emergency")]
    EmergencyNotVendor,
    #[error("a vendor account can never become admin")]
    VendorAdmin,
    #[error("a vendor account stays a vendor: create another account for other work")]
    VendorRoleChange,
    #[error("team names are 1 to {MAX_TEAM} characters without control characters; `{0}` is not")]
    Team(String),
    #[error("the title must be 1 to {MAX_TITLE} characters without control characters")]
    Title,
    #[error("the approval must be 1 to {MAX_APPROVAL} characters")]
    Approval,
}

/// What an administrator asks for when creating an account.
#[derive(Debug, Clone)]
pub struct AccountDraft {
    pub name: AccountName,
    pub role: Role,
    pub teams: Vec<String>,
    pub title: String,
    /// Hashed beforehand ([`PasswordHash::create`], in a blocking task),
    /// after [`super::Password::parse`] checked the rule.
    pub password: Option<PasswordHash>,
    pub expires_at: Option<Millis>,
    pub approval: Option<String>,
    pub emergency: bool,
}

impl AccountDraft {
    /// The account, if the draft follows every rule at `real_now`.
    pub fn admit(
        self,
        policy: &AccountPolicy,
        created_by: &str,
        real_now: Millis,
    ) -> Result<Account, AccountError> {
        let teams = check_teams(self.teams)?;
        let title = check_title(self.title)?;
        let approval = self.approval.map(check_approval).transpose()?;
        if self.role == Role::Service && self.password.is_some() {
            return Err(AccountError::ServicePassword);
        }
        if self.emergency && self.role != Role::Vendor {
            return Err(AccountError::EmergencyNotVendor);
        }
        if self.role == Role::Vendor {
            check_expiry(policy, self.expires_at, real_now)?;
            check_vendor_approval(approval.as_deref(), self.emergency)?;
        } else if self.expires_at.is_some_and(|at| at <= real_now) {
            return Err(AccountError::ExpiryPassed);
        }
        Ok(Account {
            name: self.name,
            role: self.role,
            teams,
            title,
            password: self.password,
            expires_at: self.expires_at,
            approval,
            emergency: self.emergency,
            disabled_at: None,
            last_seen_at: None,
            created_at: real_now,
            created_by: created_by.to_owned(),
        })
    }
}

/// What an administrator asks to change; `None` leaves a field alone.
/// `expires_at` and `approval` take `Some(None)` to clear them.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub role: Option<Role>,
    pub teams: Option<Vec<String>>,
    pub title: Option<String>,
    /// A new password, hashed beforehand like [`AccountDraft::password`].
    pub password: Option<PasswordHash>,
    pub expires_at: Option<Option<Millis>>,
    pub approval: Option<Option<String>>,
    pub disabled: Option<bool>,
}

/// An applied change: the account as it is now, and what changed (field
/// names only: the audit log records that a password changed, never it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub account: Account,
    pub fields: Vec<&'static str>,
}

impl Changed {
    /// Whether this change disabled the account (audited as
    /// `account.disable` rather than `account.update`).
    pub fn disabled(&self) -> bool {
        self.fields.contains(&"disabled") && self.account.disabled_at.is_some()
    }
}

impl AccountChange {
    /// `account` with the change applied at `real_now`, if the result
    /// follows every rule.
    pub fn apply(
        self,
        account: &Account,
        policy: &AccountPolicy,
        real_now: Millis,
    ) -> Result<Changed, AccountError> {
        let mut next = account.clone();
        let mut fields = Vec::new();
        if let Some(role) = self.role.filter(|role| *role != account.role) {
            match (account.role, role) {
                (_, Role::Admin) if account.role == Role::Vendor => {
                    return Err(AccountError::VendorAdmin);
                }
                (Role::Vendor, _) => return Err(AccountError::VendorRoleChange),
                _ => {}
            }
            next.role = role;
            fields.push("role");
        }
        if let Some(teams) = self.teams {
            next.teams = check_teams(teams)?;
            fields.push("teams");
        }
        if let Some(title) = self.title {
            next.title = check_title(title)?;
            fields.push("title");
        }
        if let Some(expires_at) = self.expires_at {
            if expires_at.is_some_and(|at| at <= real_now) {
                return Err(AccountError::ExpiryPassed);
            }
            next.expires_at = expires_at;
            fields.push("expires_at");
        }
        if let Some(approval) = self.approval {
            next.approval = approval.map(check_approval).transpose()?;
            fields.push("approval");
        }
        if let Some(disabled) = self.disabled
            && disabled != account.disabled_at.is_some()
        {
            next.disabled_at = disabled.then_some(real_now);
            fields.push("disabled");
        }
        if next.role == Role::Vendor {
            if fields.contains(&"role") || fields.contains(&"expires_at") {
                check_expiry(policy, next.expires_at, real_now)?;
            }
            check_vendor_approval(next.approval.as_deref(), next.emergency)?;
        }
        if let Some(password) = self.password {
            if next.role == Role::Service {
                return Err(AccountError::ServicePassword);
            }
            next.password = Some(password);
            fields.push("password");
        } else if next.role == Role::Service && fields.contains(&"role") {
            // A service signs in with tokens only.
            next.password = None;
        }
        Ok(Changed {
            account: next,
            fields,
        })
    }
}

fn check_teams(teams: Vec<String>) -> Result<Vec<String>, AccountError> {
    let mut checked: Vec<String> = Vec::with_capacity(teams.len());
    for team in teams {
        if !is_plain(&team, MAX_TEAM) || team.trim() != team {
            return Err(AccountError::Team(team));
        }
        if !checked.contains(&team) {
            checked.push(team);
        }
    }
    Ok(checked)
}

fn check_title(title: String) -> Result<String, AccountError> {
    if is_plain(&title, MAX_TITLE) && !title.trim().is_empty() {
        Ok(title)
    } else {
        Err(AccountError::Title)
    }
}

fn check_approval(approval: String) -> Result<String, AccountError> {
    let length = approval.chars().count();
    if approval.trim().is_empty() || length > MAX_APPROVAL {
        Err(AccountError::Approval)
    } else {
        Ok(approval)
    }
}

fn is_plain(text: &str, max: usize) -> bool {
    let length = text.chars().count();
    (1..=max).contains(&length) && !text.chars().any(char::is_control)
}

/// An instant written as RFC 3339 in messages.
struct Instant(Millis);

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(at) => write!(f, "{}", at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")),
            Err(_) => write!(f, "{} ms", self.0),
        }
    }
}

// Vendor terms (4.2.6 1)): 需要向供應商提供遠程接入權限時,應事先經系統部主管
// 領導書面確認(緊急狀態下應實現口頭申請、事後補文字確認說明)方可開啓適當權限的
// 臨時賬號,事後及時關閉賬號 — a supplier's account is temporary, opened on a
// written approval (in an emergency: asked orally, confirmed in writing
// afterwards), and closed when the work is done. And 4.2.5 (1) 6): 超級用戶
// 帳號不得授予供應商技術人員使用 — never an administrator.
//
// Every instant here is from the real clock: a manual clock moved for a
// test must not extend or end anyone's access.

/// A vendor account's `expires_at` must be given, in the future, and no
/// later than `vendor_max` from `real_now`.
fn check_expiry(
    policy: &AccountPolicy,
    expires_at: Option<Millis>,
    real_now: Millis,
) -> Result<(), AccountError> {
    let max = policy.vendor_max;
    let latest = real_now.saturating_add(max.as_millis());
    match expires_at {
        None => Err(AccountError::VendorWithoutExpiry { max }),
        Some(at) if at <= real_now => Err(AccountError::ExpiryPassed),
        Some(at) if at > latest => Err(AccountError::VendorTooLong { max, latest }),
        Some(_) => Ok(()),
    }
}

/// A vendor account needs an approval unless it is an emergency one.
fn check_vendor_approval(approval: Option<&str>, emergency: bool) -> Result<(), AccountError> {
    if approval.is_none() && !emergency {
        Err(AccountError::VendorWithoutApproval)
    } else {
        Ok(())
    }
}

/// Whether an emergency account created at `created_at` is still without
/// its approval after the grace: then it is to be disabled.
fn grace_over(policy: &AccountPolicy, created_at: Millis, real_now: Millis) -> bool {
    real_now >= created_at.saturating_add(policy.emergency_grace.as_millis())
}
