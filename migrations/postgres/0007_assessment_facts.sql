-- The assessment's own narrow copy of the history (issue 15 item 5): one row
-- per instance holding, one JSON line each, the history lines an assessment
-- can read ([seq, kind, at, event, from_state, to_state, data]; `action`
-- lines are left out, and `data` is kept only for `event`, `timer` and `sla`
-- lines). The store appends to it in the transaction that appends the
-- history (store::assessment), so a year is read as ~100 000 rows instead
-- of a million. Kept column-for-column in step with
-- migrations/sqlite/0007_assessment_facts.sql.
CREATE TABLE assessment_facts (
    instance_id TEXT PRIMARY KEY NOT NULL,
    workflow    TEXT NOT NULL,
    first_at    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL,
    facts       TEXT NOT NULL
);
-- The instances that may have recorded something in [from, to).
CREATE INDEX assessment_facts_period ON assessment_facts (workflow, last_at);

-- An existing installation gets the facts of the history it already has.
INSERT INTO assessment_facts (instance_id, workflow, first_at, last_at, facts)
SELECT instance_id, MIN(workflow), MIN(at), MAX(at),
       string_agg(
           json_build_array(seq, kind, at, event, from_state, to_state,
                            CASE WHEN kind IN ('event', 'timer', 'sla') THEN data END)::text
           || E'\n', '' ORDER BY seq)
FROM history
WHERE kind <> 'action'
GROUP BY instance_id;

-- Only the assessment read history by (workflow, at): the facts replace it,
-- and every history insert no longer pays for the index.
DROP INDEX history_assessment;
