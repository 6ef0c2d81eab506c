-- API bearer tokens. Only the SHA-256 of a token is kept: a leaked database
-- does not leak working credentials. `expires_at` and `approved_by` exist so
-- temporary vendor access (an expiry, the admin who approved it) needs no
-- schema change; `revoked_at` keeps the row for the audit trail.
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    approved_by TEXT,
    revoked_at  BIGINT
);
CREATE INDEX tokens_role ON tokens (role) WHERE revoked_at IS NULL;
