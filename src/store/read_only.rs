//! Opening a store to read it only, for commands that must not change what
//! they look at (`flowkeeper assess`): a missing SQLite file is an error
//! rather than a new empty database, no migration runs, and a schema this
//! build does not match is refused instead of misread.

use sqlx::migrate::Migrator;

use super::db::{Backend, Pool, Sql};
use super::{Store, StoreError, StoreOptions, postgres, sqlite};

impl Store {
    /// Opens the database of `options` read-only and checks that its
    /// schema is exactly the one this build writes.
    pub async fn open_read_only(options: &StoreOptions) -> Result<Self, StoreError> {
        let url = options.url.as_str();
        let pool = if url.starts_with("sqlite:") {
            Pool::Sqlite(sqlite::open_read_only(url, options.max_connections).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let schema = options.schema.as_deref();
            Pool::Postgres(postgres::open_read_only(url, schema, options.max_connections).await?)
        } else {
            return Err(StoreError::UnsupportedUrl(
                crate::accounts::redact::database_url(url),
            ));
        };
        let store = Self {
            pool,
            health: Default::default(),
            credentials: Default::default(),
        };
        store.check_schema().await?;
        Ok(store)
    }

    /// Refuses a database without flowkeeper's schema, or with a schema
    /// older or newer than this build's migrations.
    async fn check_schema(&self) -> Result<(), StoreError> {
        let mut db = self.db();
        let (known, expected) = match db.backend() {
            Backend::Sqlite => (
                Sql::new(
                    "SELECT COUNT(*) FROM sqlite_master \
                     WHERE type = 'table' AND name = '_sqlx_migrations'",
                ),
                latest_migration(&sqlite::MIGRATOR),
            ),
            Backend::Postgres => (
                Sql::new(
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
                ),
                latest_migration(&postgres::MIGRATOR),
            ),
        };
        let (tables,): (i64,) = db.fetch_one(known).await?;
        if tables == 0 {
            return Err(StoreError::NoSchema);
        }
        let applied =
            Sql::new("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success");
        let (applied,): (i64,) = db.fetch_one(applied).await?;
        match applied.cmp(&expected) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Less => Err(StoreError::SchemaBehind { applied, expected }),
            std::cmp::Ordering::Greater => Err(StoreError::SchemaAhead { applied, expected }),
        }
    }
}

/// The last migration `migrator` applies: the schema this build reads.
fn latest_migration(migrator: &Migrator) -> i64 {
    migrator
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0)
}
