-- The console's counts and the stuck check (issue 11, src/store/stuck.rs).
-- Instances by status, workflow, state, definition version and since when
-- each is in it: the live counts per state and the stuck rules' "live in
-- this state of this version since before" ranges read this index alone
-- (it holds the id too), never the rows with their JSON, so they cost the
-- live instances' index entries (or the stuck ones'). Not a partial index
-- on the live ones: SQLite cannot read the status of such an index's rows
-- from it and would go back to the table. Kept in step with
-- migrations/sqlite/0011_console_counts.sql.
CREATE INDEX instances_live_state
    ON instances (status, workflow, state, definition_hash, entered_at, id);
-- Instances per workflow version, live and all (the workflows pages): the
-- count reads this index alone instead of every row.
CREATE INDEX instances_versions ON instances (workflow, version, status);
