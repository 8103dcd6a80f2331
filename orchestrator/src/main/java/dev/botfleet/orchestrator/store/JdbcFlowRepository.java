package dev.botfleet.orchestrator.store;

import dev.botfleet.orchestrator.flows.CloudFlow;
import dev.botfleet.orchestrator.flows.FlowRepository;
import dev.botfleet.orchestrator.licensing.ConnectorTier;
import dev.botfleet.orchestrator.licensing.LicenseType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

public final class JdbcFlowRepository implements FlowRepository {
  private final Jdbc jdbc;

  public JdbcFlowRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public boolean insert(CloudFlow f) {
    return jdbc.update(
            "INSERT INTO cloud_flow (id, environment_id, name, owner_id, connectors, app, app_license, process_units, per_flow,"
                + " parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            f.id(),
            f.environmentId(),
            f.name(),
            f.ownerId(),
            f.connectors().stream().map(Enum::name).collect(Collectors.joining(",")),
            f.app(),
            f.appLicense(),
            f.processUnits(),
            f.perFlow(),
            f.parentId(),
            f.createdAt())
        == 1;
  }

  @Override
  public Optional<CloudFlow> find(String environmentId, String name, boolean forUpdate) {
    return jdbc.queryOne(
        "SELECT * FROM cloud_flow WHERE environment_id = ? AND name = ?"
            + (forUpdate ? " FOR UPDATE" : ""),
        JdbcFlowRepository::flow,
        environmentId,
        name);
  }

  @Override
  public Optional<CloudFlow> findById(String id, boolean forUpdate) {
    return jdbc.queryOne(
        "SELECT * FROM cloud_flow WHERE id = ?" + (forUpdate ? " FOR UPDATE" : ""),
        JdbcFlowRepository::flow,
        id);
  }

  @Override
  public List<CloudFlow> list(String environmentId) {
    return jdbc.query(
        "SELECT * FROM cloud_flow WHERE environment_id = ? ORDER BY name",
        JdbcFlowRepository::flow,
        environmentId);
  }

  @Override
  public List<CloudFlow> children(String parentId) {
    return jdbc.query(
        "SELECT * FROM cloud_flow WHERE parent_id = ? ORDER BY name",
        JdbcFlowRepository::flow,
        parentId);
  }

  @Override
  public int countChildren(String parentId) {
    return (int) jdbc.queryLong("SELECT COUNT(*) FROM cloud_flow WHERE parent_id = ?", parentId);
  }

  @Override
  public void updateProcessUnits(String id, int units) {
    jdbc.update("UPDATE cloud_flow SET process_units = ? WHERE id = ?", units, id);
  }

  @Override
  public void updatePerFlow(String id, boolean perFlow) {
    jdbc.update("UPDATE cloud_flow SET per_flow = ? WHERE id = ?", perFlow, id);
  }

  @Override
  public void updateParent(String id, String parentId) {
    jdbc.update("UPDATE cloud_flow SET parent_id = ? WHERE id = ?", parentId, id);
  }

  @Override
  public boolean insertShare(String flowId, String userId, Instant at) {
    return jdbc.update(
            "INSERT INTO flow_share (flow_id, user_id, shared_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            flowId,
            userId,
            at)
        == 1;
  }

  @Override
  public List<String> sharedWithUserIds(String flowId) {
    return jdbc.query(
        "SELECT user_id FROM flow_share WHERE flow_id = ? ORDER BY shared_at",
        rs -> rs.getString(1),
        flowId);
  }

  @Override
  public Optional<String> coveringTarget(String environmentId, String flowName) {
    // P7 (see docs/licensing.md): a target of a run the flow triggered that holds a bot now.
    return jdbc.queryOne(
        "SELECT r.target_kind, r.target_id FROM run r WHERE r.environment_id = ? AND r.triggering_flow = ? AND ("
            + " (r.target_kind = 'MACHINE' AND EXISTS (SELECT 1 FROM bot b WHERE b.machine_id = r.target_id))"
            + " OR (r.target_kind = 'GROUP' AND EXISTS (SELECT 1 FROM bot b JOIN machine m ON m.id = b.machine_id WHERE m.group_id = r.target_id)))"
            + " ORDER BY r.submitted_at LIMIT 1",
        rs -> {
          String kind = rs.getString(1);
          String id = rs.getString(2);
          return kind.equals("MACHINE")
              ? "machine "
                  + jdbc.queryOne("SELECT name FROM machine WHERE id = ?", r -> r.getString(1), id)
                      .orElse(id)
              : "group "
                  + jdbc.queryOne(
                          "SELECT name FROM machine_group WHERE id = ?", r -> r.getString(1), id)
                      .orElse(id);
        },
        environmentId,
        flowName);
  }

  @Override
  public Map<String, Long> processUnitsByEnvironment() {
    Map<String, Long> result = new HashMap<>();
    jdbc.query(
        "SELECT environment_id, SUM(process_units) FROM cloud_flow WHERE process_units > 0 GROUP BY environment_id",
        rs -> result.put(rs.getString(1), rs.getLong(2)));
    return result;
  }

  @Override
  public Map<String, Long> perFlowPlansByEnvironment() {
    Map<String, Long> result = new HashMap<>();
    jdbc.query(
        "SELECT environment_id, COUNT(*) FROM cloud_flow WHERE per_flow GROUP BY environment_id",
        rs -> result.put(rs.getString(1), rs.getLong(2)));
    return result;
  }

  private static CloudFlow flow(ResultSet rs) throws SQLException {
    EnumSet<ConnectorTier> tiers = EnumSet.noneOf(ConnectorTier.class);
    for (String t : rs.getString("connectors").split(",")) {
      if (!t.isBlank()) {
        tiers.add(ConnectorTier.valueOf(t));
      }
    }
    String appLicense = rs.getString("app_license");
    return new CloudFlow(
        rs.getString("id"),
        rs.getString("environment_id"),
        rs.getString("name"),
        rs.getString("owner_id"),
        tiers,
        rs.getString("app"),
        appLicense == null ? null : LicenseType.valueOf(appLicense),
        rs.getInt("process_units"),
        rs.getBoolean("per_flow"),
        rs.getString("parent_id"),
        Jdbc.instant(rs, "created_at"));
  }
}
