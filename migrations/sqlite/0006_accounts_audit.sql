-- Accounts, sign-in sessions and the audit log (docs/security.md). Kept
-- column-for-column in step with migrations/postgres/0006_accounts_audit.sql.

-- People and services. `teams` is a JSON array of workflow role names;
-- `password_hash` an argon2id PHC string (NULL for services); `emergency`
-- 1 for a vendor account opened without its approval.
CREATE TABLE accounts (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    teams         TEXT NOT NULL,
    title         TEXT NOT NULL,
    password_hash TEXT,
    expires_at    INTEGER,
    approval      TEXT,
    emergency     INTEGER NOT NULL DEFAULT 0,
    disabled_at   INTEGER,
    last_seen_at  INTEGER,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL
);

-- Every token belongs to an account and has exactly its rights; `name` is
-- now the token's own name (`ci`, `console`). Existing tokens are adopted:
-- each valid token name becomes an account with the least privileged role
-- its tokens had (a name with an admin and a vendor token stays a vendor).
ALTER TABLE tokens ADD COLUMN account TEXT REFERENCES accounts (name);

INSERT INTO accounts (name, role, teams, title, created_at, created_by)
SELECT name,
       CASE MIN(CASE role WHEN 'vendor' THEN 0 WHEN 'viewer' THEN 1 WHEN 'service' THEN 2
                          WHEN 'operator' THEN 3 ELSE 4 END)
           WHEN 0 THEN 'vendor' WHEN 1 THEN 'viewer' WHEN 2 THEN 'service'
           WHEN 3 THEN 'operator' ELSE 'admin' END,
       '[]', name, MIN(created_at), 'migration'
FROM tokens
WHERE length(name) BETWEEN 2 AND 64 AND name NOT GLOB '*[^a-z0-9._-]*'
  AND name NOT IN ('timer', 'sla', 'engine')
GROUP BY name;

UPDATE tokens SET account = name WHERE name IN (SELECT name FROM accounts);
CREATE INDEX tokens_account ON tokens (account);

-- Sign-in sessions: bearer tokens (or the console's cookie) with a short
-- lifetime. Only the SHA-256 of the secret is kept.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    account     TEXT NOT NULL REFERENCES accounts (name),
    hash        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    remote_addr TEXT
);
CREATE INDEX sessions_account ON sessions (account);

-- The audit log: append-only, hash-chained. `detail` is the canonical JSON
-- text that was hashed, kept as text so it reads back byte for byte.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    remote_addr TEXT,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor_action ON audit (actor, action, at);
CREATE INDEX audit_target ON audit (target, seq);

-- The chain's head: the last entry's number and hash. Writers are already
-- serialized (BEGIN IMMEDIATE); PostgreSQL locks this row.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- No statement changes or removes an entry.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
