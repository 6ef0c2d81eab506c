-- The console's counts and the stuck check (issue 11, src/store/stuck.rs).
-- Live instances per workflow, definition version and state, and since
-- when each is in it: the overview's counts and the stuck rules' "idle
-- since before" ranges read this index alone, so they cost the live
-- instances' index entries (or the stuck ones'), never the table's rows
-- with their JSON. Kept in step with migrations/sqlite/0011_console_counts.sql.
CREATE INDEX instances_live_state ON instances (workflow, definition_hash, state, entered_at)
    WHERE status = 'active';
-- Instances per workflow version, live and all (the workflows pages): the
-- count reads this index alone instead of every row.
CREATE INDEX instances_versions ON instances (workflow, version, status);
