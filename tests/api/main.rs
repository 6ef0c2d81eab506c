//! Integration tests of the REST API: the real router, a real database
//! (SQLite, or PostgreSQL when `FLOWKEEPER_TEST_DATABASE_URL` is set), one
//! fresh application per test.

mod admin;
mod assessment;
mod auth;
mod errors;
mod helpers;
mod instances;
mod openapi;
mod operations;
mod server;
mod workflows;
