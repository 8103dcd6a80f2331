-- Users and licenses (L1-L6), cloud flows and their plans (P3, P4, P7, P9), request metering
-- (M1-M6). One migration for H2 (MODE=PostgreSQL) and PostgreSQL.

-- Tenant settings for L5 (government cloud) and M2/M3 (metering day, over-limit policy).
ALTER TABLE tenant ADD COLUMN government_cloud BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE tenant ADD COLUMN over_limit_policy VARCHAR(16) DEFAULT 'THROTTLE' NOT NULL;
ALTER TABLE tenant ADD COLUMN limit_multiplier DOUBLE PRECISION DEFAULT 1 NOT NULL;
ALTER TABLE tenant ADD COLUMN metering_day_offset_minutes INT DEFAULT 0 NOT NULL;
ALTER TABLE tenant ADD CONSTRAINT tenant_over_limit_policy CHECK (over_limit_policy IN ('THROTTLE', 'RECORD_OVERAGE'));
ALTER TABLE tenant ADD CONSTRAINT tenant_limit_multiplier CHECK (limit_multiplier >= 1);
ALTER TABLE tenant ADD CONSTRAINT tenant_metering_day_offset CHECK (metering_day_offset_minutes BETWEEN -840 AND 840);

-- L5: self-service trials per license type; no row means enabled.
CREATE TABLE self_service_trial (
  license_type VARCHAR(32) PRIMARY KEY,
  enabled BOOLEAN NOT NULL,
  changed_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The people flows belong to and licenses are assigned to (not API principals).
CREATE TABLE licensed_user (
  id VARCHAR(40) PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT licensed_user_name_unique UNIQUE (name)
);

-- L1, L3: one row per user and license type (a type counts once in L3).
CREATE TABLE user_license (
  id VARCHAR(40) PRIMARY KEY,
  user_id VARCHAR(40) NOT NULL REFERENCES licensed_user (id),
  license_type VARCHAR(32) NOT NULL,
  source VARCHAR(24) NOT NULL,
  starts_at TIMESTAMP WITH TIME ZONE NOT NULL,
  ends_at TIMESTAMP WITH TIME ZONE,
  extended BOOLEAN NOT NULL,
  CONSTRAINT user_license_type_unique UNIQUE (user_id, license_type),
  -- L1: WINDOWS applies to a machine, never to a user.
  CONSTRAINT user_license_not_windows CHECK (license_type <> 'WINDOWS'),
  CONSTRAINT user_license_source CHECK (source IN ('ASSIGNED', 'SELF_SERVICE_TRIAL', 'ADMIN_TRIAL', 'SEEDED')),
  CONSTRAINT user_license_trials_end CHECK (source NOT IN ('SELF_SERVICE_TRIAL', 'ADMIN_TRIAL') OR ends_at IS NOT NULL)
);

-- L5: a user whose self-service trial of a type was removed by disabling that type can never
-- self-start it again, even after the type is re-enabled. Also records trials already used.
CREATE TABLE trial_barred (
  user_id VARCHAR(40) NOT NULL REFERENCES licensed_user (id),
  license_type VARCHAR(32) NOT NULL,
  reason VARCHAR(16) NOT NULL,
  at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (user_id, license_type),
  CONSTRAINT trial_barred_reason CHECK (reason IN ('REVOKED', 'USED'))
);

-- Cloud flows (P3, P4, P9). The plan is derived: see docs/licensing.md.
CREATE TABLE cloud_flow (
  id VARCHAR(40) PRIMARY KEY,
  environment_id VARCHAR(40) NOT NULL REFERENCES environment (id),
  name VARCHAR(64) NOT NULL,
  owner_id VARCHAR(40) NOT NULL REFERENCES licensed_user (id),
  connectors VARCHAR(64) NOT NULL,
  app VARCHAR(64),
  app_license VARCHAR(32),
  process_units INT NOT NULL,
  per_flow BOOLEAN NOT NULL,
  parent_id VARCHAR(40) REFERENCES cloud_flow (id),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT cloud_flow_name_unique UNIQUE (environment_id, name),
  CONSTRAINT cloud_flow_units_non_negative CHECK (process_units >= 0),
  -- P4: a process flow is never associated to another flow.
  CONSTRAINT cloud_flow_process_not_child CHECK (process_units = 0 OR parent_id IS NULL),
  CONSTRAINT cloud_flow_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX cloud_flow_parent ON cloud_flow (parent_id);
CREATE INDEX cloud_flow_name ON cloud_flow (name);

CREATE TABLE flow_share (
  flow_id VARCHAR(40) NOT NULL REFERENCES cloud_flow (id),
  user_id VARCHAR(40) NOT NULL REFERENCES licensed_user (id),
  shared_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (flow_id, user_id)
);

-- P7: find the runs a cloud flow triggered (read-only use of the run table).
CREATE INDEX run_triggering_flow ON run (environment_id, triggering_flow);

-- M1, M2: one counter per bucket and metering day. bucket_kind FLOW (a flow's own plan: P3, P7,
-- P9; P4 charges the parent's row) or USER (L3). daily_limit is the limit at the last write, for
-- the 80%/100% gauges.
CREATE TABLE usage_bucket_day (
  bucket_kind VARCHAR(8) NOT NULL,
  bucket_id VARCHAR(40) NOT NULL,
  usage_day DATE NOT NULL,
  plan VARCHAR(40) NOT NULL,
  daily_limit BIGINT NOT NULL,
  used BIGINT NOT NULL,
  overage BIGINT NOT NULL,
  throttled BIGINT NOT NULL,
  PRIMARY KEY (bucket_kind, bucket_id, usage_day),
  CONSTRAINT usage_bucket_kind CHECK (bucket_kind IN ('FLOW', 'USER')),
  CONSTRAINT usage_bucket_counts CHECK (used >= 0 AND overage >= 0 AND throttled >= 0 AND overage <= used)
);
CREATE INDEX usage_bucket_day_day ON usage_bucket_day (usage_day);

-- M6: who consumed how much of a bucket that day (source FLOW or USER).
CREATE TABLE usage_contribution (
  bucket_kind VARCHAR(8) NOT NULL,
  bucket_id VARCHAR(40) NOT NULL,
  usage_day DATE NOT NULL,
  source_kind VARCHAR(8) NOT NULL,
  source_id VARCHAR(40) NOT NULL,
  requests BIGINT NOT NULL,
  overage BIGINT NOT NULL,
  throttled BIGINT NOT NULL,
  PRIMARY KEY (bucket_kind, bucket_id, usage_day, source_kind, source_id)
);
CREATE INDEX usage_contribution_source ON usage_contribution (source_kind, source_id, usage_day);

-- M4: idempotency keys of recorded usage, kept a few days (pruned by the metering writer).
CREATE TABLE usage_key (
  idempotency_key VARCHAR(128) PRIMARY KEY,
  recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
  bucket_kind VARCHAR(8) NOT NULL,
  bucket_id VARCHAR(40) NOT NULL,
  plan VARCHAR(40) NOT NULL,
  requests BIGINT NOT NULL,
  overage BIGINT NOT NULL
);
CREATE INDEX usage_key_recorded_at ON usage_key (recorded_at);
