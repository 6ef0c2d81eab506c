-- flowkeeper schema, PostgreSQL dialect. Ids are TEXT (hyphenated UUIDs), times
-- are BIGINT epoch milliseconds, JSON is JSONB. Kept column-for-column in
-- step with migrations/sqlite/0001_init.sql.

-- Every workflow version ever loaded, by content hash: a running instance
-- keeps the version it started with.
CREATE TABLE definitions (
    hash      TEXT PRIMARY KEY,
    workflow  TEXT NOT NULL,
    version   BIGINT NOT NULL,
    source    TEXT NOT NULL,
    loaded_at BIGINT NOT NULL
);

-- One row per instance. `slas`, `timers` and `sla_cycle_counts` are JSON
-- copies of the open SLA cycles, pending timers and cycle numbers, so an
-- instance loads in one query; the
-- `sla_cycles` and `timers` tables are the queryable truth for reports and
-- the timer claim.
CREATE TABLE instances (
    id              TEXT PRIMARY KEY,
    workflow        TEXT NOT NULL,
    version         BIGINT NOT NULL,
    definition_hash TEXT NOT NULL REFERENCES definitions (hash),
    key             TEXT NOT NULL,
    state           TEXT NOT NULL,
    status          TEXT NOT NULL,
    data            JSONB NOT NULL,
    slas            JSONB NOT NULL,
    timers          JSONB NOT NULL,
    -- Highest cycle number used per SLA clock: numbers the next cycle.
    sla_cycle_counts JSONB NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    entered_at      BIGINT NOT NULL,
    revision        BIGINT NOT NULL
);
-- Only one live instance per business key; ended ones may share it.
CREATE UNIQUE INDEX instances_live_key ON instances (workflow, key) WHERE status = 'active';
CREATE INDEX instances_key ON instances (workflow, key, created_at);
CREATE INDEX instances_listing ON instances (workflow, state, id);
CREATE INDEX instances_status ON instances (status, id);

CREATE TABLE history (
    instance_id TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    workflow    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    event       TEXT,
    from_state  TEXT,
    to_state    TEXT,
    actor       TEXT NOT NULL,
    data        JSONB NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
CREATE INDEX history_workflow_at ON history (workflow, at);

CREATE TABLE timers (
    instance_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    due_at        BIGINT NOT NULL,
    fires         JSONB NOT NULL,
    claimed_by    TEXT,
    claimed_until BIGINT,
    attempts      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (instance_id, name)
);
CREATE INDEX timers_due ON timers (due_at);

CREATE TABLE sla_cycles (
    instance_id TEXT NOT NULL,
    sla         TEXT NOT NULL,
    cycle       BIGINT NOT NULL,
    started_at  BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    paused_at   BIGINT,
    outcome     TEXT,
    role        TEXT,
    stopped_at  BIGINT,
    PRIMARY KEY (instance_id, sla, cycle)
);
CREATE INDEX sla_cycles_open ON sla_cycles (due_at) WHERE stopped_at IS NULL;

-- Webhook deliveries, written in the transaction that caused them.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    instance_id     TEXT NOT NULL,
    webhook         TEXT NOT NULL,
    payload         JSONB NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    claimed_until   BIGINT,
    delivered_at    BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX incidents_open ON incidents (instance_id) WHERE resolved_at IS NULL;

CREATE TABLE idempotency (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     JSONB NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
