//! The store and runtime suite: every test runs against SQLite (a fresh
//! temporary file) and, when `FLOWKEEPER_TEST_DATABASE_URL` is set,
//! PostgreSQL (a fresh schema), so tests run in parallel.

/// Declares each named `async fn(Store)` as two tests, `<name>::sqlite` and
/// `<name>::postgres`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    let db = crate::support::sqlite().await;
                    super::$name(db.store.clone()).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    let Some(db) = crate::support::postgres().await else { return };
                    super::$name(db.store.clone()).await;
                    db.drop_schema().await;
                }
            }
        )*
    };
}

/// Like `on_both!` for tests that need the database itself (its URL for a
/// child process), not only a store: each `async fn(&TestDb)`.
macro_rules! on_both_db {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    let db = crate::support::sqlite().await;
                    super::$name(&db).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    let Some(db) = crate::support::postgres().await else { return };
                    super::$name(&db).await;
                    db.drop_schema().await;
                }
            }
        )*
    };
}

mod audit;
mod batches;
mod cascade;
mod crash;
mod credentials;
mod driver;
mod events;
mod group_commit;
mod runners;
mod serve_crash;
mod store;
mod stuck;
mod support;
mod timers;
mod versions;
mod webhooks;
