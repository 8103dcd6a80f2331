-- Dispatch reads each target's queue in R3 order with a small LIMIT, so the queue index holds
-- exactly that order (priority DESC, then submission): a pass costs what it takes, not the
-- backlog. Every state change of a run rewrites each index whose key holds the state, so keep
-- only what a query needs: this index also serves the once-a-second queue time-out sweep, and
-- active runs per machine are found through machine_id alone.
DROP INDEX IF EXISTS run_deadlines;
DROP INDEX IF EXISTS run_machine;
DROP INDEX IF EXISTS run_queue;
CREATE INDEX run_queue ON run (state, target_id, priority DESC, submitted_at, seq);
CREATE INDEX run_machine ON run (machine_id);

-- A bot's current_run_id changes twice per run. While it was indexed (a unique constraint), no
-- update could be HOT on PostgreSQL, and each bot row piled up versions that every primary-key
-- lookup had to walk: dispatch slowed down as runs accumulated. R2 stays enforced by the claim,
-- a conditional update (... WHERE id = ? AND current_run_id IS NULL), and bots are freed by id.
ALTER TABLE bot DROP CONSTRAINT bot_current_run_unique;
