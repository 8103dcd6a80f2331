package dev.botfleet.orchestrator.idempotency;

import java.time.Instant;
import java.util.Optional;

/**
 * The remembered first answers of retryable mutating calls (issue 8 §2, docs/api.md "Idempotency").
 * Called inside transactions; a key is claimed in the transaction of the change it answers, so the
 * claim, the change and the answer commit together or not at all.
 */
public interface IdempotencyKeys {
  /** A remembered call: the hash of its request and its answer. */
  record Remembered(String requestHash, byte[] response, Instant expiresAt) {}

  /**
   * Claims the key for this transaction. False when it is taken; on PostgreSQL a claim racing an
   * uncommitted one waits for it, so the loser then finds the winner's committed answer.
   */
  boolean claim(
      String principalId,
      String method,
      String key,
      String requestHash,
      Instant now,
      Instant expiresAt);

  /** Claims a taken key whose row has expired, as if it were new. */
  boolean reclaimExpired(
      String principalId,
      String method,
      String key,
      String requestHash,
      Instant now,
      Instant expiresAt);

  Optional<Remembered> find(String principalId, String method, String key);

  void answer(String principalId, String method, String key, byte[] response);

  /** Deletes up to {@code limit} expired rows; returns how many. */
  int purgeExpired(Instant now, int limit);
}
