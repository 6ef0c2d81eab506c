//! What a database error means for the people around it: a client gets a
//! plain sentence and a time to retry, an operator a counter by kind and a
//! readiness probe, and only the log gets the database's own words.
//!
//! [`WriteHealth`] remembers whether the last write of a store failed, so
//! that `/readyz` answers "not ready" while writes fail even though reads
//! (and `SELECT 1`) still work, as on a full disk.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The counter of database errors, labelled by [`Fault::as_str`].
pub const STORE_ERRORS: &str = "flowkeeper_store_errors_total";

/// What kind of trouble a database error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The disk (or the database's size limit) is full: nothing new can be
    /// written until room is made. SQLite `SQLITE_FULL`, PostgreSQL `53100`.
    Full,
    /// The database cannot be reached or dropped the connection: it is
    /// restarting, was killed, or the network failed.
    Unavailable,
    /// Writers collided (SQLite busy, PostgreSQL serialization failure or
    /// deadlock): trying again is expected to work.
    Busy,
    /// Anything else: a bug or a damaged database, for a person to read
    /// the log.
    Other,
}

impl Fault {
    /// The label of [`STORE_ERRORS`]: `full`, `unavailable`, `busy`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Full => "full",
            Fault::Unavailable => "unavailable",
            Fault::Busy => "busy",
            Fault::Other => "other",
        }
    }

    /// Whether the whole transaction may simply be run again at once.
    pub fn is_retryable(self) -> bool {
        self == Fault::Busy
    }

    /// Whether the fault says writes cannot be done now (rather than that
    /// this one request was wrong or unlucky).
    pub fn stops_writes(self) -> bool {
        matches!(self, Fault::Full | Fault::Unavailable)
    }

    fn code(self) -> u8 {
        match self {
            Fault::Full => 1,
            Fault::Unavailable => 2,
            Fault::Busy => 3,
            Fault::Other => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Fault::Full),
            2 => Some(Fault::Unavailable),
            3 => Some(Fault::Busy),
            4 => Some(Fault::Other),
            _ => None,
        }
    }
}

/// Sorts a driver error into a [`Fault`].
pub(super) fn classify(error: &sqlx::Error) -> Fault {
    match error {
        sqlx::Error::Database(database) => match database.code() {
            Some(code) if code.len() == 5 => postgres_fault(&code),
            Some(code) => code.parse::<i32>().map_or(Fault::Other, sqlite_fault),
            None => Fault::Other,
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => Fault::Unavailable,
        _ => Fault::Other,
    }
}

/// SQLite's extended result codes: the primary code is the low byte.
fn sqlite_fault(extended: i32) -> Fault {
    match extended & 0xff {
        // SQLITE_FULL
        13 => Fault::Full,
        // SQLITE_BUSY, SQLITE_LOCKED
        5 | 6 => Fault::Busy,
        // SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PROTOCOL
        10 | 14 | 8 | 15 => Fault::Unavailable,
        _ => Fault::Other,
    }
}

/// PostgreSQL's SQLSTATE: the class is the first two characters.
fn postgres_fault(sqlstate: &str) -> Fault {
    match sqlstate {
        // disk_full
        "53100" => Fault::Full,
        "40001" | "40P01" => Fault::Busy,
        _ => match &sqlstate[..2] {
            // connection exception, insufficient resources, operator
            // intervention (shutdown, terminated backend), system error
            "08" | "53" | "57" | "58" => Fault::Unavailable,
            _ => Fault::Other,
        },
    }
}

/// Counts one database error by kind.
pub(super) fn count(fault: Fault) {
    metrics::counter!(STORE_ERRORS, "kind" => fault.as_str()).increment(1);
}

/// How long after a real write failed readiness believes it without a
/// probe: a small probe may fit where an event does not (a database at its
/// size limit still has room inside its pages), so while clients keep
/// failing, their failures decide.
const TRUST_FAILURE: Duration = Duration::from_secs(2);

/// How long `/readyz` keeps the answer of a failed probe before it
/// writes again: probes must not add load to a struggling database.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Whether a store's writes currently work, as its last write said.
#[derive(Debug, Default)]
pub(super) struct WriteHealth {
    /// 0 while writes work, else the [`Fault::code`] of the last failure.
    failing: AtomicU8,
    /// When a write last failed, and when readiness last probed.
    times: Mutex<Times>,
}

#[derive(Debug, Default)]
struct Times {
    failed: Option<Instant>,
    probed: Option<Instant>,
}

impl WriteHealth {
    /// Records what a write came to: `None` when it committed.
    pub(super) fn record(&self, outcome: Option<Fault>) {
        match outcome {
            None => self.failing.store(0, Ordering::Relaxed),
            Some(fault) if fault.stops_writes() => {
                self.times().failed = Some(Instant::now());
                self.failing.store(fault.code(), Ordering::Relaxed);
            }
            Some(_) => {}
        }
    }

    /// Why writes fail, when the last one did.
    pub(super) fn failing(&self) -> Option<Fault> {
        Fault::from_code(self.failing.load(Ordering::Relaxed))
    }

    /// Whether readiness should try a probe write now: not while real
    /// writes failed within [`TRUST_FAILURE`], and one per [`PROBE_EVERY`]
    /// at most.
    pub(super) fn probe_due(&self) -> bool {
        let now = Instant::now();
        let mut times = self.times();
        let recent =
            |at: Option<Instant>, window| at.is_some_and(|at| now.duration_since(at) < window);
        if recent(times.failed, TRUST_FAILURE) || recent(times.probed, PROBE_EVERY) {
            return false;
        }
        times.probed = Some(now);
        true
    }

    fn times(&self) -> std::sync::MutexGuard<'_, Times> {
        self.times
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_are_sorted_by_their_primary_code() {
        assert_eq!(sqlite_fault(13), Fault::Full);
        assert_eq!(sqlite_fault(5), Fault::Busy);
        assert_eq!(sqlite_fault(517), Fault::Busy, "SQLITE_BUSY_SNAPSHOT");
        assert_eq!(sqlite_fault(4874), Fault::Unavailable, "SQLITE_IOERR_WRITE");
        assert_eq!(sqlite_fault(19), Fault::Other, "a constraint is a bug");
    }

    #[test]
    fn postgres_states_are_sorted_by_class() {
        assert_eq!(postgres_fault("53100"), Fault::Full);
        assert_eq!(postgres_fault("57P01"), Fault::Unavailable, "terminated");
        assert_eq!(postgres_fault("08006"), Fault::Unavailable);
        assert_eq!(postgres_fault("40P01"), Fault::Busy);
        assert_eq!(postgres_fault("23514"), Fault::Other, "a check is a bug");
    }

    #[test]
    fn a_commit_clears_a_failure_and_a_mere_race_does_not_set_one() {
        let health = WriteHealth::default();
        health.record(Some(Fault::Full));
        assert_eq!(health.failing(), Some(Fault::Full));
        health.record(Some(Fault::Busy));
        assert_eq!(health.failing(), Some(Fault::Full), "a race says nothing");
        health.record(None);
        assert_eq!(health.failing(), None);
    }
}
