package dev.botfleet.orchestrator.store;

import java.sql.Connection;
import java.sql.SQLException;
import org.h2.api.Trigger;

/**
 * O4, H2: the audit log is append-only. Installed by migration V8 as a BEFORE UPDATE, DELETE
 * trigger on {@code audit_event}; PostgreSQL gets the same rule from a PL/pgSQL trigger (issue 12
 * §2).
 */
public final class AuditAppendOnlyTrigger implements Trigger {
  @Override
  public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
    String op = newRow == null ? "DELETE" : "UPDATE";
    throw new SQLException(
        "audit_event is append-only: " + op + " refused (issue 12, O4)", "P0001");
  }
}
