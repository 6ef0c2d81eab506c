//! Ids from the clock: UUID v7 stamped with the clock's time, so that ids
//! sort in the order things happened in the runtime's own time (virtual
//! time under a manual clock, not the wall clock), and strictly increase
//! within one millisecond.

use std::sync::Mutex;

use uuid::{ContextV7, Timestamp, Uuid};

use crate::engine::Millis;

/// Makes ids. One per runtime: the counter that orders the ids of one
/// millisecond lives here.
#[derive(Debug, Default)]
pub struct Ids {
    context: Mutex<ContextV7>,
}

impl Ids {
    /// A new id stamped with `now`: later than every id this source made
    /// at `now` or before.
    pub fn at(&self, now: Millis) -> Uuid {
        let millis = u64::try_from(now).unwrap_or(0);
        let seconds = millis / 1_000;
        let nanos = u32::try_from((millis % 1_000) * 1_000_000).unwrap_or(0);
        Uuid::new_v7(Timestamp::from_unix(&self.context, seconds, nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_the_given_time_and_increase_within_a_millisecond() {
        let ids = Ids::default();
        let at = 1_767_225_600_123;
        let made: Vec<Uuid> = (0..1_000).map(|_| ids.at(at)).collect();
        assert!(made.windows(2).all(|pair| pair[0] < pair[1]));
        let (seconds, nanos) = made[0].get_timestamp().unwrap().to_unix();
        assert_eq!(seconds * 1_000 + u64::from(nanos) / 1_000_000, at as u64);
        assert!(ids.at(at + 1) > made[999]);
    }
}
