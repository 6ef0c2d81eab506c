-- The readiness probe's one row (see src/store/health.rs): rewritten by
-- /readyz while writes fail, to learn when they work again. Kept in step
-- with migrations/postgres/0010_write_probe.sql.
CREATE TABLE write_probe (
    id         INTEGER PRIMARY KEY,
    written_at INTEGER NOT NULL,
    padding    TEXT NOT NULL
);
