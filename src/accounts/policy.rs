//! The `[accounts]` section of `flowkeeper.toml`.

use serde::Deserialize;

use crate::model::Duration;

/// How long vendor accounts may live, how long an emergency account may go
/// without its approval, and when the weekly report calls an account idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountPolicy {
    /// The latest `expires_at` a vendor account may have, from now
    /// (`accounts.vendor_max`, default 7 days).
    pub vendor_max: Duration,
    /// How long an emergency vendor account may wait for its written
    /// approval before it is disabled (`accounts.emergency_grace`, default
    /// 24 hours; 4.2.6 1): 緊急狀態下應實現口頭申請、事後補文字確認說明).
    pub emergency_grace: Duration,
    /// Accounts not seen for this long are listed by the weekly report
    /// (`accounts.idle_report`, default 90 days).
    pub idle_report: Duration,
}

const DAY: i64 = 24 * 60 * 60 * 1000;

impl Default for AccountPolicy {
    fn default() -> Self {
        let days = |n: i64| Duration::from_millis(n * DAY).expect("a positive number of days");
        Self {
            vendor_max: days(7),
            emergency_grace: days(1),
            idle_report: days(90),
        }
    }
}

/// The part of `flowkeeper.toml` this module reads.
#[derive(Debug, Default, Deserialize)]
struct Settings {
    #[serde(default)]
    accounts: AccountPolicy,
}

impl AccountPolicy {
    /// The `[accounts]` section of a settings file's text (defaults for
    /// whatever it leaves out); other sections are ignored.
    pub fn from_settings(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str::<Settings>(text).map(|settings| settings.accounts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let defaults = AccountPolicy::from_settings("[webhooks.a]\nurl = \"http://x\"\n").unwrap();
        assert_eq!(defaults, AccountPolicy::default());
        assert_eq!(defaults.vendor_max.as_millis(), 7 * DAY);
        assert_eq!(defaults.emergency_grace.as_millis(), DAY);
        assert_eq!(defaults.idle_report.as_millis(), 90 * DAY);
        let set = AccountPolicy::from_settings("[accounts]\nvendor_max = \"3d\"\n").unwrap();
        assert_eq!(set.vendor_max.as_millis(), 3 * DAY);
        assert_eq!(set.emergency_grace, defaults.emergency_grace);
        let error = AccountPolicy::from_settings("[accounts]\nvendor_maximum = \"3d\"\n");
        assert!(error.unwrap_err().to_string().contains("vendor_maximum"));
    }
}
