//! Vendor terms (4.2.6 1)): 需要向供應商提供遠程接入權限時,應事先經系統部主管
//! 領導書面確認(緊急狀態下應實現口頭申請、事後補文字確認說明)方可開啓適當權限的
//! 臨時賬號,事後及時關閉賬號 — a supplier's account is temporary, opened on a
//! written approval (in an emergency: asked orally, confirmed in writing
//! afterwards), and closed when the work is done. And 4.2.5 (1) 6): 超級用戶
//! 帳號不得授予供應商技術人員使用 — never an administrator.
//!
//! Every instant here is from the real clock: a manual clock moved for a
//! test must not extend or end anyone's access.

use super::AccountPolicy;
use super::account::AccountError;
use crate::engine::Millis;

/// A vendor account's `expires_at` must be given, in the future, and no
/// later than `vendor_max` from `real_now`.
pub(super) fn check_expiry(
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
pub(super) fn check_approval(approval: Option<&str>, emergency: bool) -> Result<(), AccountError> {
    if approval.is_none() && !emergency {
        Err(AccountError::VendorWithoutApproval)
    } else {
        Ok(())
    }
}

/// Whether an emergency account created at `created_at` is still without
/// its approval after the grace: then it is to be disabled.
pub(super) fn grace_over(policy: &AccountPolicy, created_at: Millis, real_now: Millis) -> bool {
    real_now >= created_at.saturating_add(policy.emergency_grace.as_millis())
}
