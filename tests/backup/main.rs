//! Backups and restores end to end, on SQLite and (when
//! `FLOWKEEPER_TEST_DATABASE_URL` is set) PostgreSQL: round trips between
//! every pair of backends on a store built by driving every shipped
//! workflow (compared answer by answer over HTTP), a backup taken under
//! concurrent writers, damaged or refused input through the real command
//! line, and scheduled backups in a real `serve` process.

mod answers;
mod bad_input;
mod concurrent;
mod crash;
mod roundtrip;
mod schedule;
mod served;
mod support;
