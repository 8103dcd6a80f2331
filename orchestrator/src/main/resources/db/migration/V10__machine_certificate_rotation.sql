-- Issue 12 §3: `machine rotate-credential` asks the agent for a certificate for a new key; until
-- it answers, this says a rotation is due (also to a replica the agent connects to later). The
-- answer revokes the certificate in use at once instead of keeping it until the new one is used.
ALTER TABLE machine ADD COLUMN rotation_requested_at TIMESTAMP WITH TIME ZONE;
