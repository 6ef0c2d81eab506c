//! Integration tests of the REST API: the real router, a real database, one
//! fresh application per test. Every test that touches the store runs on
//! SQLite and, when `FLOWKEEPER_TEST_DATABASE_URL` is set, on PostgreSQL
//! (a fresh schema per application); a set but unreachable database fails.

/// Declares each named `async fn(Backend)` of a module as two tests,
/// `<module>::sqlite::<name>` and `<module>::postgres::<name>`; the latter
/// returns at once when no PostgreSQL is configured, and drops its schemas
/// once it has passed.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::helpers::Backend::Sqlite).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(backend) = crate::helpers::Backend::postgres() else { return };
                    super::$name(backend.clone()).await;
                    backend.drop_schemas().await;
                }
            )*
        }
    };
}

mod accounts;
mod admin;
mod assessment;
mod audit;
mod auth;
mod errors;
mod faults;
mod hardening;
mod helpers;
mod instances;
mod openapi;
mod operations;
mod server;
mod sessions;
mod time;
mod workflows;
