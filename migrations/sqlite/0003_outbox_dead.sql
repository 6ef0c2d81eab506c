-- A delivery that used up its attempts is dead: kept (with its last error)
-- for an administrator's retry, never claimed again until then.
ALTER TABLE outbox ADD COLUMN dead_at INTEGER;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (instance_id) WHERE dead_at IS NOT NULL;
