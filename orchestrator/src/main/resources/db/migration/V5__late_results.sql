-- Issue 7: a result that arrives after the orchestrator already ended the run (AGENT_LOST, or the
-- run-time-out backstop) is kept beside the run's own outcome instead of being dropped, so an
-- operator can see that the work in fact finished before re-running it.
ALTER TABLE run ADD COLUMN late_outcome VARCHAR(16);
ALTER TABLE run ADD COLUMN late_exit_code INT;
ALTER TABLE run ADD COLUMN late_ended_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE run ADD COLUMN late_reported_at TIMESTAMP WITH TIME ZONE;
