-- Issue 8 §2: every retryable mutating RPC takes an idempotency_key. The first answer is kept
-- here, written in the same transaction as the change it answers, so a retry (also one racing
-- the first call, also after the orchestrator was killed mid-call) either finds the committed
-- answer or runs as the first call. Keys are per caller and per RPC; rows expire (24 hours, 15
-- minutes for answers that carry a secret) and are purged by the orchestrator.
CREATE TABLE idempotency_key (
  principal_id VARCHAR(64) NOT NULL,
  method VARCHAR(128) NOT NULL,
  idempotency_key VARCHAR(128) NOT NULL,
  -- SHA-256 of the request without its key: the same key with another request is refused.
  request_hash VARCHAR(64) NOT NULL,
  response BYTEA,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (principal_id, method, idempotency_key)
);
CREATE INDEX idempotency_key_expiry ON idempotency_key (expires_at);

-- Issue 8 §4: ListRuns filtered by state pages by (submitted_at, seq) within an environment;
-- without this index a state filter over a long history scans every run of the environment.
CREATE INDEX run_environment_state ON run (environment_id, state, submitted_at, seq);
DROP INDEX IF EXISTS run_environment;
CREATE INDEX run_environment ON run (environment_id, submitted_at, seq);
