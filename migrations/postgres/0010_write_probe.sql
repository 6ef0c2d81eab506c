-- The readiness probe's one row (see src/store/health.rs): rewritten by
-- /readyz while writes fail, to learn when they work again. Kept in step
-- with migrations/sqlite/0010_write_probe.sql.
CREATE TABLE write_probe (
    id         BIGINT PRIMARY KEY,
    written_at BIGINT NOT NULL,
    padding    TEXT NOT NULL
);
