package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.idempotency.IdempotencyKeys;
import java.time.Instant;
import java.util.Optional;

/** {@link IdempotencyKeys} on the {@code idempotency_key} table (V6). */
public final class JdbcIdempotencyKeys implements IdempotencyKeys {
  private final Jdbc jdbc;

  public JdbcIdempotencyKeys(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public boolean claim(
      String principalId,
      String method,
      String key,
      String requestHash,
      Instant now,
      Instant expiresAt) {
    return jdbc.update(
            "INSERT INTO idempotency_key (principal_id, method, idempotency_key, request_hash,"
                + " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            principalId,
            method,
            key,
            requestHash,
            now,
            expiresAt)
        == 1;
  }

  @Override
  public boolean reclaimExpired(
      String principalId,
      String method,
      String key,
      String requestHash,
      Instant now,
      Instant expiresAt) {
    return jdbc.update(
            "UPDATE idempotency_key SET request_hash = ?, response = NULL, created_at = ?,"
                + " expires_at = ? WHERE principal_id = ? AND method = ? AND idempotency_key = ?"
                + " AND expires_at <= ?",
            requestHash,
            now,
            expiresAt,
            principalId,
            method,
            key,
            now)
        == 1;
  }

  @Override
  public Optional<Remembered> find(String principalId, String method, String key) {
    return jdbc.queryOne(
        "SELECT request_hash, response, expires_at FROM idempotency_key"
            + " WHERE principal_id = ? AND method = ? AND idempotency_key = ?",
        rs ->
            new Remembered(
                rs.getString("request_hash"),
                rs.getBytes("response"),
                Jdbc.instant(rs, "expires_at")),
        principalId,
        method,
        key);
  }

  @Override
  public void answer(String principalId, String method, String key, byte[] response) {
    jdbc.update(
        "UPDATE idempotency_key SET response = ?"
            + " WHERE principal_id = ? AND method = ? AND idempotency_key = ?",
        response,
        principalId,
        method,
        key);
  }

  @Override
  public int purgeExpired(Instant now, int limit) {
    // By primary key through a bounded sub-select: a long backlog is purged in slices, never in
    // one long transaction.
    return jdbc.update(
        "DELETE FROM idempotency_key WHERE (principal_id, method, idempotency_key) IN"
            + " (SELECT principal_id, method, idempotency_key FROM idempotency_key"
            + " WHERE expires_at <= ? LIMIT ?)",
        now,
        limit);
  }
}
