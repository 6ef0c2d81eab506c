//! Changing a process while it runs (issue 13, `shared/spec/versions.md`):
//! reloads that keep the last good version, the versions listing,
//! migration plans (due instants kept, refusals untouched, dry runs that
//! change nothing, events racing a migration) and batch operations. Each
//! test runs on SQLite and, with `FLOWKEEPER_TEST_DATABASE_URL`, on
//! PostgreSQL, through the real router of `tests/api`'s helpers.

// The API tests' harness; this suite uses only part of it.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

/// Each named `async fn(Backend)` as `sqlite::<name>` and `postgres::<name>`
/// (the latter returns at once without PostgreSQL configured).
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

mod batch;
mod cli;
mod example;
mod migrate;
mod reload;
mod support;
