-- Issue 9, H2: the queue is not the history (DESIGN "State and concurrency").
-- The same migration for PostgreSQL is db/vendor/postgresql/V11__queue_is_not_the_history.sql:
-- queued_run is the same; the index for active runs differs (H2 has no partial indexes).
--
-- On PostgreSQL the queue index on run made a slow mode (docs/benchmarks.md, "PostgreSQL slow
-- mode"); H2 has no dead index entries and plans by primary key, but shares the repository's SQL,
-- so it gets the same queue table. Every index of run is rewritten at each state change on H2: one
-- index for active runs replaces run_queue and run_machine.

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
DROP INDEX IF EXISTS run_queue;
DROP INDEX IF EXISTS run_machine;
-- Active runs (ASSIGNED, RUNNING) of a machine, for the sweeper, machine removal and loss
-- detection: by state first, so history (finished states) and the queue are never read. H2 plans
-- the single-row updates by primary key whatever the other indexes are (measured).
CREATE INDEX run_active ON run (state, machine_id);
