-- Issue 9, PostgreSQL: the queue is not the history (DESIGN "State and concurrency").
-- The same migration for H2 is db/vendor/h2/V11__queue_is_not_the_history.sql: queued_run is the
-- same; the indexes for active runs differ (H2 has no partial indexes).
--
-- Measured before (docs/benchmarks.md, "PostgreSQL slow mode"): the claim
-- UPDATE run ... WHERE id = ? AND attempt = ? AND state = 'QUEUED' ran on a cached generic plan
-- that scanned run_queue on state = 'QUEUED' alone and filtered on id, because the plan was made
-- while the table was nearly empty and both indexes cost the same; every claim then read the whole
-- queue (up to 15,000 rows and 13,000 buffers per claim). The report update chose run_machine the
-- same way, whose entries grow with each machine's history. So: no index of run may lead with
-- state or serve a hot single-row update better than the primary key.

-- A queued run has one row here, added in the transaction that queues it and removed in the one
-- that claims or ends it; claimed and finished runs leave nothing in the queue's indexes beyond
-- what vacuum removes from this small table.
CREATE TABLE queued_run (
  run_id VARCHAR(40) PRIMARY KEY,
  target_id VARCHAR(40) NOT NULL,
  priority INT NOT NULL,
  submitted_at TIMESTAMP WITH TIME ZONE NOT NULL,
  -- run.seq: R3 order is (priority DESC, submitted_at, seq), as before.
  seq BIGINT NOT NULL,
  queue_deadline TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX queued_run_order ON queued_run (target_id, priority DESC, submitted_at, seq);
CREATE INDEX queued_run_deadline ON queued_run (queue_deadline);
INSERT INTO queued_run (run_id, target_id, priority, submitted_at, seq, queue_deadline)
  SELECT id, target_id, priority, submitted_at, seq, queue_deadline FROM run WHERE state = 'QUEUED';
-- Every run passes through once (an insert and a delete): vacuum it after a few thousand, not
-- after 20 % of its size, so its indexes stay as small as the queue.
ALTER TABLE queued_run SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_vacuum_threshold = 2000,
  autovacuum_analyze_scale_factor = 0.05, autovacuum_analyze_threshold = 2000);

DROP INDEX IF EXISTS run_queue;
DROP INDEX IF EXISTS run_machine;
-- Active runs (ASSIGNED, RUNNING: a machine and no end) of a machine, for the sweeper, machine
-- removal and loss detection. Partial: it holds at most one entry per busy bot (plus dead ones
-- until vacuum), and no hot statement implies its predicate (none says ended_at IS NULL), so the
-- planner can never prefer it to the primary key for a claim or a report.
CREATE INDEX run_active ON run (machine_id) WHERE machine_id IS NOT NULL AND ended_at IS NULL;
