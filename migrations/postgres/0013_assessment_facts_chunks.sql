-- The assessment's facts in chunks of at most 16 history lines (issue 15
-- item 5): a row per (instance, chunk), chunk = (seq - 1) / 16, so that
-- appending a line rewrites at most the 15 lines before it in its chunk,
-- never the instance's whole history (0007 kept one row per instance,
-- and `facts || excluded.facts` made every event's write grow with the
-- instance's age). Each chunk keeps its own workflow and span, which the
-- period read filters on (store::assessment).
--
-- `chunk` defaults to 0 so that a backup taken before this migration
-- restores (a restore maps columns by name): its one row per instance
-- becomes that instance's chunk 0, longer than 16 lines but read alike,
-- and new lines go to the chunks after it.
--
-- The rows are made again from the history, like 0007. Kept
-- column-for-column in step with
-- migrations/sqlite/0013_assessment_facts_chunks.sql.
DELETE FROM assessment_facts;
ALTER TABLE assessment_facts ADD COLUMN chunk BIGINT NOT NULL DEFAULT 0;
ALTER TABLE assessment_facts DROP CONSTRAINT assessment_facts_pkey;
ALTER TABLE assessment_facts ADD PRIMARY KEY (instance_id, chunk);

INSERT INTO assessment_facts (instance_id, chunk, workflow, first_at, last_at, facts)
SELECT instance_id, (seq - 1) / 16, MIN(workflow), MIN(at), MAX(at),
       string_agg(
           json_build_array(seq, kind, at, event, from_state, to_state,
                            CASE WHEN kind IN ('event', 'timer', 'sla') THEN data END)::text
           || E'\n', '' ORDER BY seq)
FROM history
WHERE kind <> 'action'
GROUP BY instance_id, (seq - 1) / 16;
