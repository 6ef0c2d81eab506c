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
-- SQLite cannot change a primary key: the table is built anew and filled
-- from the history, like 0007. Kept column-for-column in step with
-- migrations/postgres/0013_assessment_facts_chunks.sql.
ALTER TABLE assessment_facts RENAME TO assessment_facts_0007;
CREATE TABLE assessment_facts (
    instance_id TEXT NOT NULL,
    workflow    TEXT NOT NULL,
    first_at    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL,
    facts       TEXT NOT NULL,
    chunk       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (instance_id, chunk)
);

INSERT INTO assessment_facts (instance_id, chunk, workflow, first_at, last_at, facts)
SELECT instance_id, (seq - 1) / 16, MIN(workflow), MIN(at), MAX(at),
       group_concat(
           json_array(seq, kind, at, event, from_state, to_state,
                      CASE WHEN kind IN ('event', 'timer', 'sla') THEN json(data) END)
           || char(10), '' ORDER BY seq)
FROM history
WHERE kind <> 'action'
GROUP BY instance_id, (seq - 1) / 16;

DROP TABLE assessment_facts_0007;
-- The chunks that may hold a line of [from, to).
CREATE INDEX assessment_facts_period ON assessment_facts (workflow, last_at);
