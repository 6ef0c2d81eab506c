//! Where "now" comes from. The engine never reads a clock; the runtime asks
//! its [`Clock`] once per step and passes the answer in, so tests and
//! simulations run on a [`ManualClock`] in virtual time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::engine::Millis;

/// A source of the current time in epoch milliseconds.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Millis;

    /// The manual clock behind this one, if time is simulated: lets
    /// `Runtime::advance_to` move it.
    fn manual(&self) -> Option<&ManualClock> {
        None
    }
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        jiff::Timestamp::now().as_millisecond()
    }
}

/// A clock that only moves when told to, and only forward: time that went
/// back would let a timer fire before the event that set it. Clones share
/// the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new(start: Millis) -> Self {
        Self {
            now: Arc::new(AtomicI64::new(start)),
        }
    }

    /// Moves the clock to `at`; an earlier `at` leaves it where it is.
    /// Returns the time now shown.
    pub fn set(&self, at: Millis) -> Millis {
        self.now.fetch_max(at, Ordering::SeqCst).max(at)
    }

    /// Moves the clock forward by `by` milliseconds (negative counts as 0).
    pub fn advance(&self, by: Millis) -> Millis {
        let by = by.max(0);
        self.now.fetch_add(by, Ordering::SeqCst) + by
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.now.load(Ordering::SeqCst)
    }

    fn manual(&self) -> Option<&ManualClock> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_never_goes_back() {
        let clock = ManualClock::new(1_000);
        let shared = clock.clone();
        assert_eq!(clock.set(5_000), 5_000);
        assert_eq!(clock.set(2_000), 5_000);
        assert_eq!(shared.advance(-10), 5_000);
        assert_eq!(shared.advance(500), 5_500);
        assert_eq!(clock.now(), 5_500);
    }
}
