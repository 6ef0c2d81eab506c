-- The credentials' revision (see src/store/credentials.rs): one row,
-- rewritten with a fresh random value in the same transaction as every
-- change to accounts, tokens or sessions, so that a process caching them
-- learns at once that it must read them again. No row yet means revision
-- 0. Kept in step with migrations/postgres/0012_credential_revision.sql.
CREATE TABLE credential_revision (
    id       INTEGER PRIMARY KEY,
    revision INTEGER NOT NULL
);
