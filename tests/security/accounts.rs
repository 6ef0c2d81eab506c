//! Creating and changing accounts: the vendor terms on the real clock, the
//! emergency grace, never a vendor admin, service accounts without
//! passwords.

use flowkeeper::accounts::{
    AccountChange, AccountDraft, AccountError, AccountName, AccountPolicy, Password, PasswordHash,
    Role, check_password,
};

use super::{DAY, HOUR, T0, account};

fn draft(role: Role) -> AccountDraft {
    AccountDraft {
        name: AccountName::parse("li.wei").unwrap(),
        role,
        teams: vec!["bss".into()],
        title: "Li Wei".into(),
        password: None,
        expires_at: None,
        approval: None,
        emergency: false,
    }
}

fn vendor(expires_at: Option<i64>, approval: Option<&str>, emergency: bool) -> AccountDraft {
    AccountDraft {
        expires_at,
        approval: approval.map(str::to_owned),
        emergency,
        ..draft(Role::Vendor)
    }
}

#[test]
fn a_vendor_account_lasts_at_most_vendor_max_from_the_real_now() {
    let policy = AccountPolicy::default();
    let admit = |draft: AccountDraft| draft.admit(&policy, "admin", T0);
    let approved = Some("approved by Zhang, ref SYS-2026-118");
    assert!(
        admit(vendor(Some(T0 + 7 * DAY), approved, false)).is_ok(),
        "exactly 7 days"
    );
    assert_eq!(
        admit(vendor(Some(T0 + 7 * DAY + 1), approved, false)).unwrap_err(),
        AccountError::VendorTooLong {
            max: policy.vendor_max,
            latest: T0 + 7 * DAY
        }
    );
    assert!(matches!(
        admit(vendor(None, approved, false)),
        Err(AccountError::VendorWithoutExpiry { .. })
    ));
    assert_eq!(
        admit(vendor(Some(T0), approved, false)).unwrap_err(),
        AccountError::ExpiryPassed
    );
    let message = admit(vendor(Some(T0 + 8 * DAY), approved, false))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "a vendor account lasts at most 7d: `expires_at` must be no later than 2026-11-30T00:00:00.000Z"
    );
    let short = AccountPolicy::from_settings("[accounts]\nvendor_max = \"2d\"\n").unwrap();
    assert!(matches!(
        vendor(Some(T0 + 3 * DAY), approved, false).admit(&short, "admin", T0),
        Err(AccountError::VendorTooLong { .. })
    ));
}

#[test]
fn a_vendor_account_needs_an_approval_unless_created_in_an_emergency() {
    let policy = AccountPolicy::default();
    let expires = Some(T0 + DAY);
    assert_eq!(
        vendor(expires, None, false)
            .admit(&policy, "admin", T0)
            .unwrap_err(),
        AccountError::VendorWithoutApproval
    );
    let emergency = vendor(expires, None, true)
        .admit(&policy, "admin", T0)
        .unwrap();
    assert!(emergency.awaits_approval());
    assert_eq!(
        AccountDraft {
            emergency: true,
            ..draft(Role::Operator)
        }
        .admit(&policy, "admin", T0)
        .unwrap_err(),
        AccountError::EmergencyNotVendor
    );
}

#[test]
fn an_emergency_account_is_overdue_once_the_grace_passes_without_approval() {
    let policy = AccountPolicy::default();
    let created = vendor(Some(T0 + 2 * DAY), None, true)
        .admit(&policy, "admin", T0)
        .unwrap();
    assert!(!created.is_overdue(&policy, T0 + 24 * HOUR - 1));
    assert!(created.is_overdue(&policy, T0 + 24 * HOUR));
    // The approval added within the grace ends the emergency.
    let approved = AccountChange {
        approval: Some(Some("confirmed in writing by Zhang, ref SYS-119".into())),
        ..AccountChange::default()
    }
    .apply(&created, &policy, T0 + 3 * HOUR)
    .unwrap();
    assert_eq!(approved.fields, ["approval"]);
    assert!(!approved.account.is_overdue(&policy, T0 + 30 * HOUR));
    // Once disabled it is no longer overdue: nothing is left to do.
    let disabled = AccountChange {
        disabled: Some(true),
        ..AccountChange::default()
    }
    .apply(&created, &policy, T0 + 25 * HOUR)
    .unwrap();
    assert!(disabled.disabled());
    assert_eq!(disabled.account.disabled_at, Some(T0 + 25 * HOUR));
    assert!(!disabled.account.is_overdue(&policy, T0 + 30 * HOUR));
}

#[test]
fn expiry_and_disabling_end_access() {
    let mut alice = account("alice", Role::Operator, &["bss"]);
    alice.expires_at = Some(T0 + DAY);
    assert!(alice.is_usable(T0 + DAY - 1));
    assert!(!alice.is_usable(T0 + DAY), "expired at its expiry instant");
    let mut bob = account("bob", Role::Operator, &[]);
    bob.disabled_at = Some(T0);
    assert!(!bob.is_usable(T0 + 1));
}

#[test]
fn a_vendor_never_becomes_admin_nor_anything_else() {
    let policy = AccountPolicy::default();
    let mut supplier = account("supplier", Role::Vendor, &["bss"]);
    supplier.expires_at = Some(T0 + DAY);
    supplier.approval = Some("ref 1".into());
    let to = |role| {
        AccountChange {
            role: Some(role),
            ..AccountChange::default()
        }
        .apply(&supplier, &policy, T0)
    };
    assert_eq!(to(Role::Admin).unwrap_err(), AccountError::VendorAdmin);
    assert_eq!(
        to(Role::Operator).unwrap_err(),
        AccountError::VendorRoleChange
    );
    assert_eq!(to(Role::Vendor).unwrap().fields, Vec::<&str>::new());
}

#[test]
fn becoming_a_vendor_or_extending_one_meets_the_vendor_terms() {
    let policy = AccountPolicy::default();
    let operator = account("op", Role::Operator, &["bss"]);
    let becoming = AccountChange {
        role: Some(Role::Vendor),
        ..AccountChange::default()
    };
    assert!(matches!(
        becoming.clone().apply(&operator, &policy, T0),
        Err(AccountError::VendorWithoutExpiry { .. })
    ));
    let complete = AccountChange {
        expires_at: Some(Some(T0 + DAY)),
        approval: Some(Some("ref 7".into())),
        ..becoming
    };
    let vendor = complete.apply(&operator, &policy, T0).unwrap();
    assert_eq!(vendor.fields, ["role", "expires_at", "approval"]);
    let extend = |until| AccountChange {
        expires_at: Some(Some(until)),
        ..AccountChange::default()
    };
    assert!(
        extend(T0 + 7 * DAY + DAY / 2)
            .apply(&vendor.account, &policy, T0 + DAY / 2)
            .is_ok()
    );
    assert!(matches!(
        extend(T0 + 8 * DAY).apply(&vendor.account, &policy, T0 + DAY / 2),
        Err(AccountError::VendorTooLong { .. })
    ));
    let unapproved = AccountChange {
        approval: Some(None),
        ..AccountChange::default()
    };
    assert_eq!(
        unapproved.apply(&vendor.account, &policy, T0).unwrap_err(),
        AccountError::VendorWithoutApproval
    );
}

#[test]
fn services_have_no_password_and_people_get_an_argon2id_hash() {
    let policy = AccountPolicy::default();
    let password = PasswordHash::create(&Password::parse("tea4two").unwrap());
    let service = AccountDraft {
        password: Some(password.clone()),
        ..draft(Role::Service)
    };
    assert_eq!(
        service.admit(&policy, "admin", T0).unwrap_err(),
        AccountError::ServicePassword
    );
    let person = AccountDraft {
        password: Some(password),
        ..draft(Role::Operator)
    }
    .admit(&policy, "admin", T0)
    .unwrap();
    let hash = person.password.as_ref().expect("a hash");
    assert!(hash.as_str().starts_with("$argon2id$"));
    assert!(check_password(Some(hash), "tea4two"));
    assert_eq!(person.created_by, "admin");
    assert_eq!(person.created_at, T0);
}

#[test]
fn teams_titles_and_approvals_are_checked() {
    let policy = AccountPolicy::default();
    let with = |teams: &[&str], title: &str| {
        AccountDraft {
            teams: teams.iter().map(|team| (*team).to_owned()).collect(),
            title: title.into(),
            ..draft(Role::Operator)
        }
        .admit(&policy, "admin", T0)
    };
    assert_eq!(
        with(&["bss", "bss", "網絡組"], "Li").unwrap().teams,
        ["bss", "網絡組"],
        "duplicates dropped, any script"
    );
    assert_eq!(
        with(&[" bss"], "Li").unwrap_err(),
        AccountError::Team(" bss".into())
    );
    assert_eq!(
        with(&[""], "Li").unwrap_err(),
        AccountError::Team(String::new())
    );
    assert_eq!(with(&[], "  ").unwrap_err(), AccountError::Title);
    assert_eq!(with(&[], "a\nb").unwrap_err(), AccountError::Title);
    let blank = vendor(Some(T0 + DAY), Some("   "), false).admit(&policy, "admin", T0);
    assert_eq!(blank.unwrap_err(), AccountError::Approval);
}
