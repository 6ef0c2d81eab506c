//! The pure core: applying an event to an instance is a function of
//! (definition, instance, event, now) that returns an [`Outcome`] or a
//! [`Rejection`]. No IO, no clock, no database, no async.

mod types;

pub use types::*;
mod shim;
pub use shim::*;
