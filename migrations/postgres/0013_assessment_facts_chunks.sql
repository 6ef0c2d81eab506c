-- The assessment's facts in chunks of at most 16 history lines (issue 15
-- item 5): a row per (instance, chunk), chunk = (seq - 1) / 16, so that
-- appending a line rewrites at most the 15 lines before it in its chunk,
-- never the instance's whole history (0007 kept one row per instance,
-- and `facts || excluded.facts` made every event's write grow with the
-- instance's age).
--
-- Chunk 0 is the instance's head: its `first_at`/`last_at` span the whole
-- instance (the period read filters heads on them) and `last_chunk` says
-- whether other chunks follow, so the usual instance, whose history fits
-- one chunk, is still read as one row of one index range. The other
-- chunks span their own lines.
--
-- `chunk` and `last_chunk` default to 0 so that a backup taken before
-- this migration restores (a restore maps columns by name): each of its
-- rows becomes the head of its instance holding every line so far, and
-- later lines go to the chunks after it.
--
-- The rows are made again from the history, like 0007. Kept
-- column-for-column in step with
-- migrations/sqlite/0013_assessment_facts_chunks.sql.
DELETE FROM assessment_facts;
DROP INDEX assessment_facts_period;
ALTER TABLE assessment_facts ADD COLUMN chunk BIGINT NOT NULL DEFAULT 0;
ALTER TABLE assessment_facts ADD COLUMN last_chunk BIGINT NOT NULL DEFAULT 0;
ALTER TABLE assessment_facts DROP CONSTRAINT assessment_facts_pkey;
ALTER TABLE assessment_facts ADD PRIMARY KEY (instance_id, chunk);

-- The chunks after the head, then the heads.
INSERT INTO assessment_facts (instance_id, chunk, workflow, first_at, last_at, facts)
SELECT instance_id, (seq - 1) / 16, MIN(workflow), MIN(at), MAX(at),
       string_agg(
           json_build_array(seq, kind, at, event, from_state, to_state,
                            CASE WHEN kind IN ('event', 'timer', 'sla') THEN data END)::text
           || E'\n', '' ORDER BY seq)
FROM history
WHERE kind <> 'action' AND seq > 16
GROUP BY instance_id, (seq - 1) / 16;

INSERT INTO assessment_facts (instance_id, chunk, workflow, first_at, last_at, last_chunk, facts)
SELECT instance_id, 0, MIN(workflow), MIN(at), MAX(at), MAX((seq - 1) / 16),
       COALESCE(string_agg(
           CASE WHEN seq <= 16 THEN
               json_build_array(seq, kind, at, event, from_state, to_state,
                                CASE WHEN kind IN ('event', 'timer', 'sla') THEN data END)::text
               || E'\n' END, '' ORDER BY seq), '')
FROM history
WHERE kind <> 'action'
GROUP BY instance_id;

-- The heads that may have recorded something in [from, to).
CREATE INDEX assessment_facts_period ON assessment_facts (workflow, last_at) WHERE chunk = 0;
