-- Issue 12 §2, PostgreSQL: maker scopes, run keys per environment, and an append-only audit log.
-- The same migration for H2 is db/vendor/h2/V8__audit_append_only_and_maker_scopes.sql: the two
-- differ only in how the audit trigger is written (PL/pgSQL here, a Java trigger class in H2).

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

-- O4: the audit log is append-only. UPDATE, DELETE and TRUNCATE of audit_event are refused for
-- every role but a superuser who drops the trigger; a change is audited in its own transaction, so
-- a refused or failed audit insert rolls the change back.
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % refused (issue 12, O4)', TG_OP;
END;
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
