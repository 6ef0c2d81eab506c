//! What a recurring timer does when it fires late.
//!
//! A recurring timer (`every` or `cron`) is *late* when the slot after the
//! one firing is already due too: the runner was down, or the manual clock
//! jumped, across at least one more slot. Firing every missed slot one
//! after the other is the trap of Camunda #9680 (a cycle timer that fired
//! once per missed interval after a restart), so the default fires once.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Millis;

/// A recurring timer's policy for slots missed while nothing ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CatchUp {
    /// Fire once for all the missed slots, then continue with the next
    /// future slot (the default).
    #[default]
    Once,
    /// Fire every missed slot, one after the other.
    All,
    /// Fire none of the missed slots; continue with the next future slot.
    Skip,
}

/// What to do with one firing of a recurring timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    /// Post the timer's event now.
    pub fire: bool,
    /// The slot the timer is scheduled for next; `None` when there is none
    /// (a cron pattern that never matches again).
    pub next: Option<Millis>,
    /// Whether the slot after the firing one had already passed: the
    /// firing stands for missed slots (its history line says which slot it
    /// was).
    pub late: bool,
}

/// Plans the firing, at `now`, of the slot due at `slot`. `after(t)` is the
/// first slot strictly after `t`.
pub fn plan(
    policy: CatchUp,
    slot: Millis,
    now: Millis,
    after: impl Fn(Millis) -> Option<Millis>,
) -> Firing {
    let following = after(slot);
    let late = following.is_some_and(|following| following < now);
    if !late {
        return Firing {
            fire: true,
            next: following,
            late,
        };
    }
    match policy {
        CatchUp::All => Firing {
            fire: true,
            next: following,
            late,
        },
        CatchUp::Once => Firing {
            fire: true,
            next: after(now),
            late,
        },
        CatchUp::Skip => Firing {
            fire: false,
            next: after(now),
            late,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Millis = 86_400_000;

    /// Daily slots at 09:00 (day 0 at 09:00 is 9 h).
    fn daily(t: Millis) -> Option<Millis> {
        let nine = 9 * 3_600_000;
        Some(((t - nine).div_euclid(DAY) + 1) * DAY + nine)
    }

    #[test]
    fn a_timer_on_time_fires_and_moves_to_its_next_slot() {
        let slot = 9 * 3_600_000;
        for policy in [CatchUp::Once, CatchUp::All, CatchUp::Skip] {
            let firing = plan(policy, slot, slot + 5_000, daily);
            assert_eq!(
                firing,
                Firing {
                    fire: true,
                    next: Some(slot + DAY),
                    late: false
                }
            );
        }
    }

    #[test]
    fn three_missed_daily_slots_fire_once_all_or_none() {
        let slot = 9 * 3_600_000;
        let now = slot + 2 * DAY + 3_600_000; // day 2, 10:00
        let once = plan(CatchUp::Once, slot, now, daily);
        assert_eq!(
            (once.fire, once.next, once.late),
            (true, Some(slot + 3 * DAY), true)
        );
        let all = plan(CatchUp::All, slot, now, daily);
        assert_eq!((all.fire, all.next), (true, Some(slot + DAY)));
        let skip = plan(CatchUp::Skip, slot, now, daily);
        assert_eq!((skip.fire, skip.next), (false, Some(slot + 3 * DAY)));
    }

    #[test]
    fn exactly_one_period_late_is_not_late() {
        let slot = 9 * 3_600_000;
        let firing = plan(CatchUp::Skip, slot, slot + DAY, daily);
        assert!(!firing.late);
        assert_eq!((firing.fire, firing.next), (true, Some(slot + DAY)));
        let later = plan(CatchUp::Skip, slot, slot + DAY + 1, daily);
        assert!(later.late);
        assert_eq!((later.fire, later.next), (false, Some(slot + 2 * DAY)));
    }
}
