//! Sign-in lock-out: after 5 failed sign-ins for one name (known or not)
//! within 15 minutes, every further attempt for that name — the right
//! password included — is refused with `429` until 15 minutes after the
//! last failure. Attempts refused while locked are not failures: they
//! neither extend the lock nor get a password check.

use crate::engine::Millis;

/// Failures that lock a name.
pub const FAILURES: usize = 5;
/// The window the failures must fall in, and how long the lock lasts
/// after the last of them: 15 minutes.
pub const WINDOW: Millis = 15 * 60 * 1000;

/// Whether a sign-in attempt for a name may be checked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Refuse without checking the password until `until`.
    Locked {
        until: Millis,
    },
}

impl Gate {
    /// The gate for a name whose failed attempts happened at `failures`
    /// (any order; older ones than the window may be included and are
    /// ignored), judged at `now`.
    pub fn judge(failures: &[Millis], now: Millis) -> Self {
        let Some(&last) = failures.iter().filter(|&&at| at <= now).max() else {
            return Gate::Open;
        };
        let in_window = failures
            .iter()
            .filter(|&&at| at > last - WINDOW && at <= last)
            .count();
        let until = last + WINDOW;
        if in_window >= FAILURES && now < until {
            Gate::Locked { until }
        } else {
            Gate::Open
        }
    }

    /// The `Retry-After` value: whole seconds until the lock ends, at least 1.
    pub fn retry_after_secs(self, now: Millis) -> Option<u64> {
        match self {
            Gate::Open => None,
            Gate::Locked { until } => {
                let millis = u64::try_from(until - now).unwrap_or(0);
                Some(millis.div_ceil(1000).max(1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Millis = 60_000;
    const T0: Millis = 1_700_000_000_000;

    fn at(minutes: &[i64]) -> Vec<Millis> {
        minutes.iter().map(|m| T0 + m * MINUTE).collect()
    }

    #[test]
    fn four_failures_leave_the_name_open_and_the_fifth_locks_it() {
        assert_eq!(Gate::judge(&[], T0), Gate::Open);
        assert_eq!(Gate::judge(&at(&[0, 1, 2, 3]), T0 + 4 * MINUTE), Gate::Open);
        let five = at(&[0, 1, 2, 3, 4]);
        assert_eq!(
            Gate::judge(&five, T0 + 4 * MINUTE),
            Gate::Locked {
                until: T0 + 19 * MINUTE
            },
            "locked until 15 minutes after the last failure"
        );
    }

    #[test]
    fn the_lock_ends_15_minutes_after_the_last_failure() {
        let five = at(&[0, 1, 2, 3, 4]);
        let gate = Gate::judge(&five, T0 + 19 * MINUTE - 1);
        assert_eq!(
            gate,
            Gate::Locked {
                until: T0 + 19 * MINUTE
            }
        );
        assert_eq!(gate.retry_after_secs(T0 + 19 * MINUTE - 1), Some(1));
        assert_eq!(gate.retry_after_secs(T0 + 5 * MINUTE), Some(14 * 60));
        assert_eq!(gate.retry_after_secs(T0 + 5 * MINUTE + 500), Some(14 * 60));
        assert_eq!(Gate::judge(&five, T0 + 19 * MINUTE), Gate::Open);
    }

    #[test]
    fn failures_spread_over_more_than_15_minutes_do_not_lock() {
        // Five failures, but never five within 15 minutes of the last.
        let spread = at(&[0, 5, 10, 14, 16]);
        assert_eq!(Gate::judge(&spread, T0 + 16 * MINUTE), Gate::Open);
        // Exactly 15 minutes before the last one is outside the window.
        let edge = at(&[0, 1, 2, 3, 15]);
        assert_eq!(Gate::judge(&edge, T0 + 15 * MINUTE), Gate::Open);
        let inside = [
            T0 + 1,
            T0 + MINUTE,
            T0 + 2 * MINUTE,
            T0 + 3 * MINUTE,
            T0 + 15 * MINUTE,
        ];
        assert_eq!(
            Gate::judge(&inside, T0 + 15 * MINUTE),
            Gate::Locked {
                until: T0 + 30 * MINUTE
            }
        );
    }

    #[test]
    fn old_failures_do_not_count_after_a_lock_ran_out() {
        let failures = at(&[0, 1, 2, 3, 4, 20]);
        assert_eq!(Gate::judge(&failures, T0 + 20 * MINUTE), Gate::Open);
    }
}
