//! Tests of the web console (shared/spec/console.md): every route's HTML
//! through the real router in-process (status and the spec's markers),
//! signing in, CSRF, escaping, forms that go through the runtime; and a
//! real headless Chromium driving a spawned `serve` (`browser.rs`).
//! Store-touching tests run on SQLite and, when
//! `FLOWKEEPER_TEST_DATABASE_URL` is set, on PostgreSQL.

#[path = "../api/helpers.rs"]
#[allow(
    dead_code,
    reason = "shared with the API tests; the console uses part of it"
)]
mod helpers;

/// Declares each named `async fn(Backend)` as a SQLite and a PostgreSQL test.
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
mod browser;
mod forms;
mod overview;
mod pages;
mod user;
