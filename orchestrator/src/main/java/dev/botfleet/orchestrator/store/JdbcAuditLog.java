package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.admin.AuditEvent;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.AuditPage;
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
  public AuditPage list(String actionPrefix, Long beforeId, int limit) {
    // One more than asked tells whether another page follows; id is the primary key, so this is
    // one index range scan from the cursor down (issue 8 §2).
    List<AuditEvent> rows =
        jdbc.query(
            "SELECT * FROM audit_event WHERE action LIKE ? AND id < ? ORDER BY id DESC LIMIT ?",
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
            beforeId == null ? Long.MAX_VALUE : beforeId,
            limit + 1);
    if (rows.size() <= limit) {
      return new AuditPage(rows, null);
    }
    List<AuditEvent> page = rows.subList(0, limit);
    return new AuditPage(List.copyOf(page), page.get(limit - 1).id());
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
