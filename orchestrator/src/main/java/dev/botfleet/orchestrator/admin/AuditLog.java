package dev.botfleet.orchestrator.admin;

import java.time.Instant;

/**
 * The audit log. {@link #append} must be called inside the transaction of the change it records, so
 * a change and its audit event are written together or not at all.
 */
public interface AuditLog {
  void append(Instant at, String actor, String action, String target, String before, String after);

  /**
   * Newest first by id: at most {@code limit} events whose action starts with {@code actionPrefix}
   * and whose id is below {@code beforeId} (null: from the newest), keyset paging (issue 8 §2).
   */
  AuditPage list(String actionPrefix, Long beforeId, int limit);
}
