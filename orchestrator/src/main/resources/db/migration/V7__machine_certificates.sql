-- Issue 12 §1: agents authenticate by a short-lived client certificate (mutual TLS). The machine
-- row names the certificate it may present: the current one and, while a renewal is in flight,
-- the one before it (cleared once the new one is seen on a handshake). Any other serial, however
-- well signed, is refused: that is how removal and rotation revoke a certificate.
ALTER TABLE machine ADD COLUMN cert_serial VARCHAR(40);
ALTER TABLE machine ADD COLUMN prev_cert_serial VARCHAR(40);
ALTER TABLE machine ADD COLUMN cert_expires_at TIMESTAMP WITH TIME ZONE;
