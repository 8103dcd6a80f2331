package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.admin.AuditEvent;
import dev.botfleet.orchestrator.admin.AuditLog;
import java.time.Instant;
import java.util.List;

public final class JdbcAuditLog implements AuditLog {
  private static final int MAX_VALUE = 1024;
  private final Jdbc jdbc;

  public JdbcAuditLog(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void append(
      Instant at, String actor, String action, String target, String before, String after) {
    jdbc.update(
        "INSERT INTO audit_event (at, actor, action, target, before_value, after_value) VALUES (?, ?, ?, ?, ?, ?)",
        at,
        actor,
        action,
        clip(target, 256),
        clip(before, MAX_VALUE),
        clip(after, MAX_VALUE));
  }

  @Override
  public List<AuditEvent> list(int limit, String actionPrefix) {
    return jdbc.query(
        "SELECT * FROM audit_event WHERE action LIKE ? ORDER BY id DESC LIMIT ?",
        rs ->
            new AuditEvent(
                rs.getLong("id"),
                Jdbc.instant(rs, "at"),
                rs.getString("actor"),
                rs.getString("action"),
                rs.getString("target"),
                rs.getString("before_value"),
                rs.getString("after_value")),
        actionPrefix.replace("%", "\\%").replace("_", "\\_") + "%",
        limit);
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
