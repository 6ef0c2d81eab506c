//! The engine's rules, driven through its public functions with small inline
//! workflow definitions. No database, no clock: time is passed in.

mod admin;
mod calendars;
mod properties;
mod purity;
mod service_desk;
mod sla;
mod support;
mod timers;
mod transitions;
