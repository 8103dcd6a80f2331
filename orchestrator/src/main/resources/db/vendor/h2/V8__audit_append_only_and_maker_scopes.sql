-- Issue 12 §2, H2: maker scopes, run keys per environment, and an append-only audit log.
-- The same migration for PostgreSQL is db/vendor/postgresql/V8__audit_append_only_and_maker_scopes.sql:
-- the two differ only in how the audit trigger is written (a Java trigger class here).

-- Issue 12 §2: MAKER is granted per environment, like ENVIRONMENT_ADMIN (one row per environment).
ALTER TABLE principal_role DROP CONSTRAINT principal_role_scope;
-- A maker from before this migration was tenant-wide: it keeps its reach as one grant for each
-- environment that exists now; environments created later need a new grant (docs/security.md).
INSERT INTO principal_role (principal_id, role, environment_id)
  SELECT r.principal_id, 'MAKER', e.id FROM principal_role r CROSS JOIN environment e
  WHERE r.role = 'MAKER' AND r.environment_id IS NULL;
DELETE FROM principal_role WHERE role = 'MAKER' AND environment_id IS NULL;
ALTER TABLE principal_role ADD CONSTRAINT principal_role_scope
  CHECK ((role IN ('ENVIRONMENT_ADMIN', 'MAKER')) = (environment_id IS NOT NULL));

-- Issue 12 §2: a run's idempotency key (R6) is scoped to its environment, so a key used in one
-- environment neither collides with nor reveals a run of another.
ALTER TABLE run DROP CONSTRAINT run_idempotency_unique;
ALTER TABLE run ADD CONSTRAINT run_idempotency_unique UNIQUE (environment_id, idempotency_key);

-- O4: the audit log is append-only. The class refuses every UPDATE and DELETE of audit_event; it
-- ships in the orchestrator's jar, so a tool that opens the database file needs that jar on its
-- class path. H2's TRUNCATE TABLE fires no trigger: that limit is in docs/security.md.
CREATE TRIGGER audit_event_append_only BEFORE UPDATE, DELETE ON audit_event
  FOR EACH ROW CALL 'dev.botfleet.orchestrator.store.AuditAppendOnlyTrigger';
