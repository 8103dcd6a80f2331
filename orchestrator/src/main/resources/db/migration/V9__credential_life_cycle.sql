-- Credential life cycle (issue 12 §3, A1, O4): principals' tokens can be revoked, rotated with a
-- grace and expire; machines can be removed, which revokes their credential and keeps their history.
-- One migration set for H2 (MODE=PostgreSQL) and PostgreSQL: only syntax both accept.

-- A revoked principal's token (and its previous one) is refused at once; the row stays for the
-- audit trail and the name stays taken.
ALTER TABLE principal ADD COLUMN revoked_at TIMESTAMP WITH TIME ZONE;
-- Optional expiry of the current token (principal create --expires-in, rotate-token --expires-in).
ALTER TABLE principal ADD COLUMN token_expires_at TIMESTAMP WITH TIME ZONE;
-- After rotate-token --grace: the old token keeps working until previous_token_expires_at.
ALTER TABLE principal ADD COLUMN previous_token_hash CHAR(64);
ALTER TABLE principal ADD COLUMN previous_token_expires_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE principal ADD CONSTRAINT principal_previous_token_unique UNIQUE (previous_token_hash);
ALTER TABLE principal ADD CONSTRAINT principal_previous_token_expiry
  CHECK ((previous_token_hash IS NULL) = (previous_token_expires_at IS NULL));

-- Bumped by every revocation and rotation: each replica's authentication cache holds an entry only
-- while this number is unchanged, so a revocation made on one replica is effective on all at once.
CREATE TABLE credential_generation (
  id INT PRIMARY KEY,
  generation BIGINT NOT NULL,
  CONSTRAINT credential_generation_single_row CHECK (id = 1)
);
INSERT INTO credential_generation (id, generation) VALUES (1, 0);

-- A removed machine keeps its row (runs name it in their history) but its credential is refused
-- and its name is free again: removal_tag is '' while the machine is not removed and its own id
-- after, and names are unique per environment among rows with the same tag (so among live ones).
ALTER TABLE machine ADD COLUMN removed_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE machine ADD COLUMN removal_tag VARCHAR(40) DEFAULT '' NOT NULL;
ALTER TABLE machine DROP CONSTRAINT machine_name_unique;
ALTER TABLE machine ADD CONSTRAINT machine_name_unique UNIQUE (environment_id, name, removal_tag);
ALTER TABLE machine ADD CONSTRAINT machine_removal_tag CHECK ((removed_at IS NULL) = (removal_tag = ''));
