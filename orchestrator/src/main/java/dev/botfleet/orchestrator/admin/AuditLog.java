package dev.botfleet.orchestrator.admin;

import java.time.Instant;
import java.util.List;

/**
 * The audit log. {@link #append} must be called inside the transaction of the change it records, so
 * a change and its audit event are written together or not at all.
 */
public interface AuditLog {
  void append(Instant at, String actor, String action, String target, String before, String after);

  /** Newest first. */
  List<AuditEvent> list(int limit, String actionPrefix);
}
